"""Runbooks: search the knowledge index, see what it holds, rebuild it, and check runbook quality."""

import pandas as pd
import streamlit as st

from components import data
from components.format import headers
from components.highlight import marked_passage
from components.state import current_view
from services.auth import Permission, PermissionDenied
from services.i18n import Language, catalogue
from services.knowledge import indexing
from services.knowledge.documents import KnowledgeError
from services.llm.client import ChatModel, ModelError
from services.safety.markup import escape_markdown, without_images

view = current_view()  # the sidebar and window are shared; this page reads only the index
settings = view.settings
t = view.t
st.title(t("runbooks.title"))
index_dir = settings.knowledge.index_dir

warm = data.warm_index(settings)
index = warm.get(timeout=300)
if index is None:
    st.warning(t("runbooks.no_index", error=warm.error), icon=":material/warning:")

search_tab, status_tab, quality_tab = st.tabs([t("runbooks.tab.search"), t("runbooks.tab.index"), t("runbooks.tab.quality")])

with search_tab:
    query = st.text_input(t("runbooks.search"), key="kb_query", placeholder=t("runbooks.search_placeholder"))
    k = st.slider(t("runbooks.results"), 1, 10, 5, key="kb_k")
    if query and index is not None:
        hits = index.search(query, k)
        if not hits:
            st.info(t("runbooks.no_match"))
        for n, hit in enumerate(hits, 1):
            with st.container(border=True):
                st.markdown(
                    t(
                        "runbooks.hit",
                        n=n,
                        title=escape_markdown(hit.title),
                        source=hit.source.replace("`", ""),
                        section=escape_markdown(hit.section) if hit.section else t("runbooks.whole_runbook"),
                        score=f"{hit.score:.3f}",
                    )
                    + (t("runbooks.internal") if hit.visibility == "internal" else "")
                )
                st.html(marked_passage(hit.text, query))

with status_tab:
    if index is not None:
        stats = index.stats()
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(t("runbooks.documents"), stats["documents"])
        c2.metric(t("runbooks.chunks"), stats["chunks"])
        c3.metric(t("runbooks.embedder"), stats["embedder"], help=t("runbooks.dimensions", dim=stats["dim"]))
        c4.metric(
            t("runbooks.built"), stats["built_at"][:16].replace("T", " "), help=t("runbooks.built_help", index=stats["index"])
        )
        roots = ", ".join(r["path"] + (t("runbooks.internal_root") if r["internal"] else "") for r in stats["roots"])
        st.caption(t("runbooks.roots", roots=roots))
        if stats["skipped"]:
            st.markdown(t("runbooks.skipped", count=len(stats["skipped"])))
            files = pd.DataFrame(stats["skipped"])
            st.dataframe(files, hide_index=True, column_config=headers(view, files.columns))
    actor = data.runtime(view).actor
    if not actor.may(Permission.REBUILD_INDEX):
        st.caption(t("runbooks.rebuild_admins"))
    elif st.button(t("runbooks.rebuild"), key="kb_rebuild", help=t("runbooks.rebuild_help")):
        bar = st.progress(0.0, text=t("runbooks.reading"))

        def show_progress(done: int, total: int, what: str) -> None:
            # The index names its steps by code ("embedding"); one the catalogue lacks is shown as it is.
            step = t(f"index_step.{what}") if f"index_step.{what}" in catalogue().texts[Language.EN] else what
            bar.progress(done / max(total, 1), text=t("runbooks.progress", step=step, done=done, total=total))

        try:
            _, report = indexing.rebuild_index(actor, settings.knowledge, data.runtime(view).store, progress=show_progress)
        except KnowledgeError as exc:
            st.error(t("runbooks.build_failed", error=exc))
        except PermissionDenied as exc:
            st.error(str(exc))
        else:
            data.index_generation.clear()
            data.runbook_check.clear()
            bar.progress(1.0, text=t("runbooks.done"))
            st.success(
                t(
                    "runbooks.indexed",
                    documents=report.documents,
                    chunks=report.chunks,
                    embedded=report.embedded_documents,
                    reused=report.reused_documents,
                    seconds=f"{report.seconds:.1f}",
                )
            )

with quality_tab:
    try:
        documents, findings, skipped = data.runbook_check(settings.knowledge)
    except KnowledgeError as exc:
        st.error(str(exc))
    else:
        st.caption(t("runbooks.quality_caption", runbooks=len(documents), findings=len(findings)))
        if findings:
            table = pd.DataFrame(
                [
                    {"source": f.source, "problem": f.problem_in(view.lang), "suggestion": f.suggestion_in(view.lang)}
                    for f in findings
                ]
            )
            st.dataframe(
                table,
                hide_index=True,
                column_config=headers(view, table.columns, suggestion=st.column_config.TextColumn(width="large")),
            )
        titles = {f"{d.title} ({d.source})": d for d in documents}
        chosen = st.selectbox(
            t("runbooks.review"), list(titles), key="kb_review_doc", index=None, placeholder=t("runbooks.review_placeholder")
        )
        if settings.model_problem:
            st.error(t("runbooks.review_model_problem", problem=settings.model_problem))
        elif settings.model is None:
            st.caption(t("runbooks.review_no_model"))
        elif chosen and st.button(t("runbooks.review_button"), key="kb_review"):
            doc = titles[chosen]
            llm = ChatModel(settings.model, data.store_or_stop(view))
            with st.spinner(t("runbooks.asking", model=llm.name)):
                try:
                    st.markdown(without_images(indexing.review_runbook(llm, doc)))
                except ModelError as exc:
                    st.error(str(exc))
