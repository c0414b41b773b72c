"""Prompts: edit the assistant's prompts without a deploy; every save is a version."""

from dataclasses import replace

import streamlit as st

from components import data
from components.state import current_view
from services.assistant.answers import ModelAnswer, prepare
from services.auth import PermissionDenied
from services.llm import prompts
from services.llm.prompts import PROMPTS
from services.safety.markup import escape_markdown
from services.storage import prompt_diff

view = current_view()
st.title("Prompts")
store = data.store_or_stop(view.settings)
store.seed_prompts(PROMPTS)

name = st.selectbox("Prompt", store.prompt_names(), key="prompt_name")
versions = store.prompt_versions(name)
current = versions[-1]
st.caption(
    f"v{current['version']} by {current['author']} at {current['created_at']}"
    + (f" — {current['note']}" if current["note"] else "")
)

actor = data.runtime(view.settings).actor
draft = st.text_area("Text", value=current["text"], height=320, key=f"prompt_text_{name}_{current['version']}")
note = st.text_input("What changed", key="prompt_note")
st.caption(f"Saved as {escape_markdown(actor.name)}.")
if draft != current["text"]:
    st.markdown("**Diff against the current version**")
    st.code(prompt_diff(current["text"], draft, f"v{current['version']}", "draft"), language="diff")

save, try_it = st.columns(2)
if save.button("Save as new version", key="prompt_save", disabled=draft == current["text"]):
    try:
        version = prompts.save(store, actor, name, draft, note.strip())
    except PermissionDenied as exc:
        st.error(str(exc))
    else:
        st.success(f"Saved {name} v{version}.")
        st.rerun()

if try_it.button("Try it on the current window", key="prompt_try"):
    runtime = data.runtime(view.settings)
    if name != "assistant_system":
        st.info("Try it runs the assistant's system prompt; the others run where they are used.")
    elif runtime.model is None:
        st.info("Try it needs a model: set OPENAI_API_KEY (and OPENAI_BASE_URL for another server).")
    else:
        # Routed by the rules (the draft is about answers), answered by the model with the draft.
        q = prepare(
            "Summarize what is happening in this window.",
            runtime.now(),
            replace(runtime, model=None),
            page="Prompts",
            filters=view.filters,
            tz=view.tz,
            window=view.window,
        )
        st.write_stream(ModelAnswer(q, runtime, [], system_prompt=draft).stream())

st.subheader("History")
for v in reversed(versions):
    with st.expander(f"v{v['version']} — {v['author']} — {v['created_at']}" + (f" — {v['note']}" if v["note"] else "")):
        previous = next((p for p in versions if p["version"] == v["version"] - 1), None)
        if previous:
            st.code(
                prompt_diff(previous["text"], v["text"], f"v{previous['version']}", f"v{v['version']}") or "(same text)",
                language="diff",
            )
        else:
            st.code(v["text"], language=None)
        if v["version"] != current["version"] and st.button(f"Roll back to v{v['version']}", key=f"rollback_{v['version']}"):
            try:
                prompts.roll_back(store, actor, name, v["version"])
            except PermissionDenied as exc:
                st.error(str(exc))
            else:
                st.rerun()
