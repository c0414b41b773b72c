"""The assistant panel beside every page: conversation, checkpoint questions, confirmations."""

from __future__ import annotations

import json
import uuid

import streamlit as st

from components import data
from components.format import local_time
from components.identity import current_actor
from components.state import View
from services.assistant.actions import PAGE_FOR_ACTION, Action
from services.assistant.answers import ModelAnswer, answer_offline, prepare, record
from services.assistant.router import mentions_time
from services.assistant.tools import Proposal, ToolCall, execute, review
from services.auth import Permission, PermissionDenied
from services.integrations.slack import SlackError
from services.safety.markup import escape_markdown, without_images, without_images_streamed
from services.sources.base import SourceError
from services.storage import StorageError, Store
from services.timewindow import Window

CHAT_KEY = "chat"
PENDING_VIEW = "pending_view"
CHECKPOINTS = {
    "en": [
        ("Summarize alerts", "Summarize the alerts in this window and the clusters and services involved."),
        ("Firing now", "What is firing now and what should I check next?"),
        ("Noisy alerts", "Which alerts flap or look false, and how should we tune them?"),
    ],
    "ko": [
        ("얼럿 요약", "이 기간의 얼럿과 관련된 클러스터, 서비스를 요약해줘."),
        ("지금 발생 중", "지금 발생 중인 얼럿은 뭐고 다음에 뭘 확인해야 해?"),
        ("노이즈 얼럿", "플래핑하거나 오탐 같은 얼럿은 뭐고 어떻게 튜닝해야 해?"),
    ],
}


def _history() -> list[dict]:
    return st.session_state.setdefault(CHAT_KEY, [])


def _model_history() -> list[dict]:
    return [{"role": m["role"], "content": m["content"]} for m in _history()]


def session_id() -> str:
    return st.session_state.setdefault("session_id", uuid.uuid4().hex[:12])


FEEDBACK = {"resolved": "Resolved", "helpful": "Helpful", "not_helpful": "Not helpful", "not_relevant": "Not relevant"}


def _feedback(message: dict, index: int, question: str, view: View) -> None:
    """Rating buttons, a comment, and a ready-to-post escalation, stored with the request id."""
    meta = message["meta"]
    if message.get("rated"):
        st.caption(f"Feedback: {FEEDBACK[message['rated']]}")
    else:
        comment = st.text_input(
            "Comment (optional)",
            key=f"fb_comment_{index}",
            label_visibility="collapsed",
            placeholder="Comment on this answer (optional)",
        )
        for col, (rating, label) in zip(st.columns(4), FEEDBACK.items(), strict=False):
            if col.button(label, key=f"fb_{rating}_{index}"):
                try:
                    Store.open(view.settings.storage.db_url).add_feedback(
                        meta["request_id"], session_id(), rating, comment, user=current_actor(view.settings.access).name
                    )
                    message["rated"] = rating
                except (StorageError, OSError) as exc:
                    st.error(f"Feedback not saved: {escape_markdown(str(exc))}")
                st.rerun()
    if st.button("Escalate to on-call", key=f"escalate_{index}"):
        message["escalation"] = escalation_text(question, meta)
        try:
            Store.open(view.settings.storage.db_url).add_feedback(
                meta["request_id"],
                session_id(),
                message.get("rated") or "not_helpful",
                "escalated",
                escalated=True,
                user=current_actor(view.settings.access).name,
            )
        except (StorageError, OSError) as exc:
            st.warning(f"The escalation was not recorded: {exc}")
    if message.get("escalation"):
        st.code(message["escalation"], language=None)


def escalation_text(question: str, meta: dict) -> str:
    sources = ", ".join(f"[{c['n']}] {c['source']}" for c in meta["citations"]) or "none"
    return (
        f":rotating_light: Escalation from the on-call dashboard (request {meta['request_id']})\n"
        f"Window: {meta['window']['from']} – {meta['window']['to']}\n"
        f"Question: {question}\n"
        f"Assistant ({meta['mode']}): {meta['answer'][:1500]}\n"
        f"Sources: {sources}"
    )


def _show_meta(message: dict, index: int, view: View, question: str) -> None:
    meta = message.get("meta")
    if not meta:
        return
    if meta["notice"]:
        st.warning(meta["notice"], icon=":material/cloud_off:")
    if meta["citations"]:
        with st.expander(f"Sources ({len(meta['citations'])})"):
            for c in meta["citations"]:
                st.markdown(
                    f"**[{c['n']}]** {escape_markdown(c['source'])}"
                    + (f" — {escape_markdown(c['section'])}" if c["section"] else "")
                )
    cost = f" · ~${meta['cost_usd']:.4f}" if meta["cost_usd"] is not None else ""
    st.caption(
        f"{meta['mode']} · {meta['prompt_version']} · {meta['tokens']['in']}+{meta['tokens']['out']} "
        f"tokens{cost} · request {meta['request_id']}"
    )
    for j, proposal in enumerate(meta["proposals"]):
        if proposal.get("done"):
            st.success(proposal["done"])
            continue
        st.info(f"Proposed: **{proposal['tool']}**", icon=":material/pending_actions:")
        st.code(json.dumps(proposal["arguments"], ensure_ascii=False, indent=1), language="json")
        call = ToolCall(data.runtime(view.settings), request_id=meta["request_id"])
        shown, refused = review(Proposal(proposal["tool"], proposal["arguments"]), call)
        if shown:
            st.caption(f"This {escape_markdown(shown)}.")
        for reason in refused:
            st.warning(f"Cannot be confirmed: {escape_markdown(reason)}")
        yes, no = st.columns(2)
        # A viewer gets no Confirm at all (review says why); the service refuses a forged one anyway.
        if call.runtime.actor.may(Permission.CONFIRM_ACTION) and yes.button(
            "Confirm", key=f"confirm_{index}_{j}", disabled=bool(refused)
        ):
            try:
                proposal["done"] = execute(Proposal(proposal["tool"], proposal["arguments"]), call)
            except (SourceError, SlackError, PermissionDenied) as exc:
                st.error(escape_markdown(str(exc)))
            else:
                st.rerun()
        if no.button("Dismiss", key=f"dismiss_{index}_{j}"):
            proposal["done"] = "dismissed"
            st.rerun()
    _feedback(message, index, question, view)


def _ask(question: str, view: View, page: str) -> None:
    runtime = data.runtime(view.settings)
    now = runtime.now()
    explicit = mentions_time(question, now)  # else the question is about the window on screen
    q = prepare(
        question,
        now,
        runtime,
        page=page,
        filters=view.filters,
        tz=view.tz,
        window=None if explicit else view.window,
        session=session_id(),
    )
    routed = Window(q.route.start, q.route.end)
    _history().append({"role": "user", "content": question})
    with st.chat_message("assistant"):
        if runtime.model is None:
            answer = answer_offline(q)
            st.markdown(without_images(answer.text))
        else:
            running = ModelAnswer(q, runtime, _model_history()[:-1], session_id())
            st.write_stream(without_images_streamed(running.stream()))
            assert running.result is not None
            answer = running.result
    problem = record(answer, question, session_id(), runtime)
    if problem:
        st.session_state["chat_storage_problem"] = problem
    meta = answer.to_dict()
    _history().append({"role": "assistant", "content": answer.text, "meta": meta})
    if explicit and q.route.action_type != Action.UNKNOWN and routed != view.window:
        st.session_state[PENDING_VIEW] = {
            "start": routed.start,
            "end": routed.end,
            "page": PAGE_FOR_ACTION[Action(q.route.action_type)],
        }
    st.rerun()


def render_chat(view: View, page: str) -> None:
    st.subheader("Assistant")
    model = view.settings.model
    if st.session_state.get("chat_storage_problem"):
        st.warning(st.session_state.pop("chat_storage_problem"))
    st.caption(
        f"{'model ' + model.model if model else 'offline mode'} · window {local_time(view.window.start, view.tz)} → "
        f"{local_time(view.window.end, view.tz)} · answers cite [n] sources"
    )
    lang = st.radio(
        "Checkpoints",
        ["en", "ko"],
        horizontal=True,
        key="checkpoint_lang",
        label_visibility="collapsed",
        format_func=lambda code: {"en": "English", "ko": "한국어"}[code],
    )
    clicked: str | None = None
    for i, (label, question) in enumerate(CHECKPOINTS[lang]):
        if st.button(label, key=f"checkpoint_{i}", width="stretch"):
            clicked = question
    previous: str = ""
    for i, message in enumerate(_history()):
        with st.chat_message(message["role"]):
            st.markdown(without_images(message["content"]))
            _show_meta(message, i, view, previous)
        previous = message["content"] if message["role"] == "user" else previous
    typed = st.chat_input("Ask about this window (English or 한국어)", key="chat_input")
    if _history() and st.button("Clear conversation", key="chat_clear"):
        st.session_state[CHAT_KEY] = []
        st.rerun()
    asked = typed or clicked
    if asked:
        with st.chat_message("user"):
            st.markdown(without_images(asked))
        _ask(asked, view, page)
