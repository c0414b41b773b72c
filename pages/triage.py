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
st.title("Error-log triage")
st.caption(
    "Errors are picked by each line's own level (or a 5xx, or the failure it reports), a stack trace stays with "
    "its message, and events are grouped into templates (times, ids, hosts, names and numbers masked). "
    "Each group gets a suggested fix from the runbooks, with citations."
)

pasted = st.text_area("Paste log lines", key="triage_text", height=180)
uploaded = st.file_uploader("or upload a log file", key="triage_file")
allowed = view.settings.triage.log_dirs
path = st.text_input(
    "or a log file on the dashboard's server",
    key="triage_path",
    disabled=not allowed,
    placeholder=f"a file under {', '.join(map(str, allowed))}" if allowed else "off: set ONCALL_LOG_DIRS",
)

text = pasted
if uploaded is not None:
    text = uploaded.getvalue().decode("utf-8", errors="replace")
elif path.strip():
    try:
        text, truncated = read_server_log(path, allowed, view.settings.triage.max_log_bytes)
        if truncated:
            st.info(f"The file is larger than {view.settings.triage.max_log_bytes // 1_000_000} MB: its last part is triaged.")
    except LogAccessError as exc:
        st.error(str(exc))

if text.strip():
    groups = group_errors(text)
    if not groups:
        st.success("No error lines found.")
    runtime = data.runtime(view.settings)
    model, index = runtime.model, runtime.index
    lang = language(text[:2000] + pasted)
    st.subheader(f"{len(groups)} error group{'' if len(groups) == 1 else 's'}")
    for i, group in enumerate(groups[:20]):
        with st.expander(f"{group.count}× [{group.level}] {group.template[:120]}", expanded=i < 3):
            st.caption(f"lines {line_ranges(group.lines)}")
            st.code(group.sample, language=None)
            suggest(group, index, model, lang)
            st.markdown(f"**Suggested fix** ({escape_markdown(group.mode)})\n\n{without_images(group.suggestion)}")
            for source in group.citations:
                st.caption(f"[{source.n}] {source.source}" + (f" — {source.section}" if source.section else ""))
            slack_post(
                f"triage_{i}",
                runtime,
                f"{group.count}× {group.template[:150]}",
                group.suggestion,
                [f"{s.source}" + (f" ({s.section})" if s.section else "") for s in group.citations],
            )
