"""Error-log triage: paste, upload or point at logs; error lines grouped, each with a grounded fix."""

import streamlit as st

from components import data
from components.confirm import slack_post
from components.state import current_view
from services.assistant.logfiles import LogAccessError, read_server_log
from services.assistant.offline import language
from services.assistant.triage import group_errors, line_ranges, suggest
from services.safety.markup import escape_markdown, without_images

view = current_view()
t = view.t
st.title(t("triage.title"))
st.caption(t("triage.caption"))

pasted = st.text_area(t("triage.paste"), key="triage_text", height=180)
uploaded = st.file_uploader(t("triage.upload"), key="triage_file")
allowed = view.settings.triage.log_dirs
path = st.text_input(
    t("triage.server_file"),
    key="triage_path",
    disabled=not allowed,
    placeholder=t("triage.server_file_under", dirs=", ".join(map(str, allowed))) if allowed else t("triage.server_file_off"),
)

text = pasted
if uploaded is not None:
    text = uploaded.getvalue().decode("utf-8", errors="replace")
elif path.strip():
    try:
        text, truncated = read_server_log(path, allowed, view.settings.triage.max_log_bytes)
        if truncated:
            st.info(t("triage.truncated", mb=view.settings.triage.max_log_bytes // 1_000_000))
    except LogAccessError as exc:
        st.error(str(exc))

if text.strip():
    groups = group_errors(text)
    if not groups:
        st.success(t("triage.no_errors"))
    runtime = data.runtime(view)
    model, index = runtime.model, runtime.index
    lang = language(text[:2000] + pasted)
    st.subheader(t("triage.groups_one" if len(groups) == 1 else "triage.groups", count=len(groups)))
    for i, group in enumerate(groups[:20]):
        with st.expander(f"{group.count}× [{group.level}] {group.template[:120]}", expanded=i < 3):
            st.caption(t("triage.lines", lines=line_ranges(group.lines)))
            st.code(group.sample, language=None)
            suggest(group, index, model, lang)
            mode = t("chat.offline") if group.mode == "offline" else group.mode
            st.markdown(t("triage.suggested_fix", mode=escape_markdown(mode), fix=without_images(group.suggestion)))
            for source in group.citations:
                st.caption(f"[{source.n}] {source.source}" + (f" — {source.section}" if source.section else ""))
            slack_post(
                view,
                f"triage_{i}",
                runtime,
                f"{group.count}× {group.template[:150]}",
                group.suggestion,
                [f"{s.source}" + (f" ({s.section})" if s.section else "") for s in group.citations],
            )
