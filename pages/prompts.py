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
t = view.t
st.title(t("prompts.title"))
store = data.store_or_stop(view)
store.seed_prompts(PROMPTS)

name = st.selectbox(t("prompts.prompt"), store.prompt_names(), key="prompt_name")
versions = store.prompt_versions(name)
current = versions[-1]
st.caption(
    t("prompts.version", version=current["version"], author=current["author"], at=current["created_at"])
    + (f" — {current['note']}" if current["note"] else "")
)

actor = data.runtime(view).actor
draft = st.text_area(t("prompts.text"), value=current["text"], height=320, key=f"prompt_text_{name}_{current['version']}")
note = st.text_input(t("prompts.note"), key="prompt_note")
st.caption(t("prompts.saved_as", name=escape_markdown(actor.name)))
if draft != current["text"]:
    st.markdown(t("prompts.diff"))
    st.code(prompt_diff(current["text"], draft, f"v{current['version']}", "draft"), language="diff")

save, try_it = st.columns(2)
if save.button(t("prompts.save"), key="prompt_save", disabled=draft == current["text"]):
    try:
        version = prompts.save(store, actor, name, draft, note.strip())
    except PermissionDenied as exc:
        st.error(str(exc))
    else:
        st.success(t("prompts.saved", name=name, version=version))
        st.rerun()

if try_it.button(t("prompts.try"), key="prompt_try"):
    runtime = data.runtime(view)
    if name != "assistant_system":
        st.info(t("prompts.try_other"))
    elif runtime.model is None:
        st.info(t("prompts.try_no_model"))
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

st.subheader(t("prompts.history"))
for v in reversed(versions):
    with st.expander(f"v{v['version']} — {v['author']} — {v['created_at']}" + (f" — {v['note']}" if v["note"] else "")):
        previous = next((p for p in versions if p["version"] == v["version"] - 1), None)
        if previous:
            st.code(
                prompt_diff(previous["text"], v["text"], f"v{previous['version']}", f"v{v['version']}") or t("prompts.same_text"),
                language="diff",
            )
        else:
            st.code(v["text"], language=None)
        if v["version"] != current["version"] and st.button(
            t("prompts.roll_back", version=v["version"]), key=f"rollback_{v['version']}"
        ):
            try:
                prompts.roll_back(store, actor, name, v["version"])
            except PermissionDenied as exc:
                st.error(str(exc))
            else:
                st.rerun()
