"""Runbooks: search the knowledge index, see what it holds, rebuild it, and check runbook quality."""

import pandas as pd
import streamlit as st

from components import data
from components.highlight import marked_passage
from components.state import current_view
from services.auth import Permission, PermissionDenied
from services.knowledge import indexing
from services.knowledge.documents import KnowledgeError
from services.llm.client import ChatModel, ModelError
from services.safety.markup import escape_markdown, without_images

view = current_view()  # the sidebar and window are shared; this page reads only the index
settings = view.settings
st.title("Runbooks")
index_dir = settings.knowledge.index_dir

index = None
try:
    index = data.knowledge_index(settings.knowledge, str(index_dir))
except KnowledgeError as exc:
    st.warning(f"{exc}. Use **Rebuild index** below.", icon=":material/warning:")

search_tab, status_tab, quality_tab = st.tabs(["Search", "Index", "Quality"])

with search_tab:
    query = st.text_input(
        "Search runbooks (English or Korean, or paste an alert)",
        key="kb_query",
        placeholder="e.g. 파드가 계속 재시작돼요 / 503 UF on the cart -> inventory edge",
    )
    k = st.slider("Results", 1, 10, 5, key="kb_k")
    if query and index is not None:
        hits = index.search(query, k)
        if not hits:
            st.info("No runbook matches.")
        for n, hit in enumerate(hits, 1):
            with st.container(border=True):
                st.markdown(
                    f"**{n}. {escape_markdown(hit.title)}** · `{hit.source.replace('`', '')}` · "
                    f"{escape_markdown(hit.section or 'overview')} · score {hit.score:.3f}"
                    + (" · :red[internal]" if hit.visibility == "internal" else "")
                )
                st.html(marked_passage(hit.text, query))

with status_tab:
    if index is not None:
        stats = index.stats()
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Documents", stats["documents"])
        c2.metric("Chunks", stats["chunks"])
        c3.metric("Embedder", stats["embedder"], help=f"{stats['dim']} dimensions")
        c4.metric("Built", stats["built_at"][:16].replace("T", " "), help=f"UTC, at {stats['index']}")
        st.caption("Roots: " + ", ".join(r["path"] + (" (internal)" if r["internal"] else "") for r in stats["roots"]))
        if stats["skipped"]:
            st.markdown(f"**Skipped files ({len(stats['skipped'])})**")
            st.dataframe(pd.DataFrame(stats["skipped"]), hide_index=True)
    actor = data.runtime(settings).actor
    if not actor.may(Permission.REBUILD_INDEX):
        st.caption("Rebuilding the index is for admins.")
    elif st.button("Rebuild index", key="kb_rebuild", help="Re-embeds only the runbooks that changed"):
        bar = st.progress(0.0, text="reading runbooks")

        def show_progress(done: int, total: int, what: str) -> None:
            bar.progress(done / max(total, 1), text=f"{what} {done}/{total}")

        try:
            _, report = indexing.rebuild_index(actor, settings.knowledge, progress=show_progress)
        except KnowledgeError as exc:
            st.error(f"The index could not be built: {exc}")
        except PermissionDenied as exc:
            st.error(str(exc))
        else:
            data.knowledge_index.clear()
            data.runbook_check.clear()
            bar.progress(1.0, text="done")
            st.success(
                f"Indexed {report.documents} documents in {report.chunks} chunks "
                f"({report.embedded_documents} embedded, {report.reused_documents} unchanged) in {report.seconds:.1f} s."
            )

with quality_tab:
    try:
        documents, findings, skipped = data.runbook_check(settings.knowledge)
    except KnowledgeError as exc:
        st.error(str(exc))
    else:
        st.caption(
            f"{len(documents)} runbooks, {len(findings)} findings. Each runbook should say what the alert "
            "means, its impact, how to diagnose it with PromQL or commands, and how to mitigate it."
        )
        if findings:
            st.dataframe(
                pd.DataFrame([f.__dict__ for f in findings]),
                hide_index=True,
                column_config={"suggestion": st.column_config.TextColumn(width="large")},
            )
        titles = {f"{d.title} ({d.source})": d for d in documents}
        chosen = st.selectbox("Review a runbook", list(titles), key="kb_review_doc", index=None, placeholder="choose a runbook")
        if settings.model_problem:
            st.error(f"{settings.model_problem}. The LLM review needs a usable model.")
        elif settings.model is None:
            st.caption("Set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server) for an LLM review.")
        elif chosen and st.button("LLM review", key="kb_review"):
            doc = titles[chosen]
            llm = ChatModel(settings.model, data.store_or_stop(settings))
            with st.spinner(f"asking {llm.name}"):
                try:
                    st.markdown(without_images(indexing.review_runbook(llm, doc)))
                except ModelError as exc:
                    st.error(str(exc))
