"""The assistant panel beside every page: conversation, checkpoint questions, confirmations."""

from __future__ import annotations

import json
import uuid

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from components import data
from components.format import local_time
from components.identity import current_actor
from components.state import View
from services.assistant.actions import PAGE_FOR_ACTION, Action
from services.assistant.answers import ModelAnswer, answer_offline, prepare, record
from services.assistant.context import prefetch_incidents, source_label
from services.assistant.router import mentions_time
from services.assistant.tools import Proposal, ToolCall, execute, review
from services.auth import Permission, PermissionDenied
from services.i18n import Language, Message, text
from services.integrations.slack import SlackError
from services.safety.markup import escape_markdown, without_images, without_images_streamed
from services.sources.base import SourceError
from services.storage import StorageError, Store
from services.timewindow import Window

CHAT_KEY = "chat"
PENDING_VIEW = "pending_view"
# Checkpoint questions, asked in the UI's language: `chat.checkpoint.<name>.label` and `.question`.
CHECKPOINTS = ("summary", "firing", "noisy")


def _rerun_panel() -> None:
    """Rerun the panel alone when it is running on its own (a click in it); during a run of the
    whole page (say a test driving it, or a widget outside it) Streamlit allows only a page rerun."""
    ctx = get_script_run_ctx()
    st.rerun(scope="fragment" if ctx is not None and ctx.fragment_ids_this_run else "app")


def _history() -> list[dict]:
    return st.session_state.setdefault(CHAT_KEY, [])


def _model_history() -> list[dict]:
    return [{"role": m["role"], "content": m["content"]} for m in _history()]


def session_id() -> str:
    return st.session_state.setdefault("session_id", uuid.uuid4().hex[:12])


# Ratings and their icons; the labels are `chat.feedback.<rating>`.
FEEDBACK = {
    "resolved": ":material/task_alt:",
    "helpful": ":material/thumb_up:",
    "not_helpful": ":material/thumb_down:",
    "not_relevant": ":material/block:",
}


def _feedback(message: dict, index: int, question: str, view: View) -> None:
    """Rating buttons, a comment, and a ready-to-post escalation, stored with the request id."""
    meta = message["meta"]
    if message.get("rated"):
        st.caption(view.t("chat.feedback.given", rating=view.t(f"chat.feedback.{message['rated']}")))
    else:
        comment = st.text_input(
            view.t("chat.feedback.comment"),
            key=f"fb_comment_{index}",
            label_visibility="collapsed",
            placeholder=view.t("chat.feedback.comment_placeholder"),
        )
        # Two rows of two: four in a row of the narrow panel shrink to a letter each. Labels wrap, never cut.
        cells = [*st.columns(2, gap="small"), *st.columns(2, gap="small")]
        for col, (rating, icon) in zip(cells, FEEDBACK.items(), strict=True):
            if col.button(view.t(f"chat.feedback.{rating}"), key=f"fb_{rating}_{index}", icon=icon, width="stretch", wrap=True):
                try:
                    Store.open(view.settings.storage.db_url).add_feedback(
                        meta["request_id"], session_id(), rating, comment, user=current_actor(view.settings.access).name
                    )
                    message["rated"] = rating
                except (StorageError, OSError) as exc:
                    st.error(view.t("chat.feedback.not_saved", error=escape_markdown(str(exc))))
                _rerun_panel()
    if st.button(view.t("chat.escalate"), key=f"escalate_{index}", icon=":material/campaign:"):
        message["escalation"] = escalation_text(question, meta, view.lang)
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
            st.warning(view.t("chat.escalation_not_recorded", error=exc))
    if message.get("escalation"):
        st.code(message["escalation"], language=None)


def escalation_text(question: str, meta: dict, lang: Language) -> str:
    """The message to post to the on-call channel, in `lang`."""
    sources = ", ".join(f"[{c['n']}] {source_label(c['source'], lang)}" for c in meta["citations"])
    sources = sources or text("chat.escalation.no_sources", lang)
    return text(
        "chat.escalation.message",
        lang,
        request=meta["request_id"],
        start=meta["window"]["from"],
        end=meta["window"]["to"],
        question=question,
        mode=meta["mode"],
        answer=meta["answer"][:1500],
        sources=sources,
    )


def _show_meta(message: dict, index: int, view: View, question: str) -> None:
    meta = message.get("meta")
    if not meta:
        return
    if meta["notice"]:
        st.warning(meta["notice"], icon=":material/cloud_off:")
    if meta["citations"]:
        with st.expander(view.t("chat.sources", count=len(meta["citations"]))):
            for c in meta["citations"]:
                st.markdown(
                    f"**[{c['n']}]** {escape_markdown(source_label(c['source'], view.lang))}"
                    + (f" — {escape_markdown(c['section'])}" if c["section"] else "")
                )
    cost = f" · ~${meta['cost_usd']:.4f}" if meta["cost_usd"] is not None else ""
    st.caption(
        view.t(
            "chat.meta",
            mode=view.t("chat.offline") if meta["mode"] == "offline" else meta["mode"],
            prompt=meta["prompt_version"],
            tokens=f"{meta['tokens']['in']}+{meta['tokens']['out']}",
            cost=cost,
            request=meta["request_id"],
        )
    )
    for j, proposal in enumerate(meta["proposals"]):
        if proposal.get("done"):
            st.success(proposal["done"].text(view.lang))
            continue
        st.info(view.t("chat.proposed", tool=proposal["tool"]), icon=":material/pending_actions:")
        st.code(json.dumps(proposal["arguments"], ensure_ascii=False, indent=1), language="json")
        call = ToolCall(data.runtime(view), request_id=meta["request_id"])
        shown, refused = review(Proposal(proposal["tool"], proposal["arguments"]), call, view.lang)
        if shown:
            st.caption(view.t("chat.preview", action=escape_markdown(shown)))
        for reason in refused:
            st.warning(view.t("chat.refused", reason=escape_markdown(reason)))
        yes, no = st.columns(2)
        # A viewer gets no Confirm at all (review says why); the service refuses a forged one anyway.
        if call.runtime.actor.may(Permission.CONFIRM_ACTION) and yes.button(
            view.t("chat.confirm"), key=f"confirm_{index}_{j}", disabled=bool(refused)
        ):
            try:
                proposal["done"] = execute(Proposal(proposal["tool"], proposal["arguments"]), call)
            except (SourceError, SlackError, PermissionDenied) as exc:
                st.error(escape_markdown(str(exc)))
            else:
                _rerun_panel()
        if no.button(view.t("chat.dismiss"), key=f"dismiss_{index}_{j}"):
            proposal["done"] = Message.of("tool_done.dismissed")
            _rerun_panel()
    _feedback(message, index, question, view)


def _ask(question: str, view: View, page: str) -> None:
    runtime = data.runtime(view)
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
            st.warning(view.t("chat.storage_problem", problem=problem))
        message = {"role": "assistant", "content": answer.text, "meta": answer.to_dict()}
        _history().append(message)
        # Drawn in place, as the next run would draw it: no second run of the panel per question.
        _show_meta(message, len(_history()) - 1, view, question)
    if explicit and q.route.action_type != Action.UNKNOWN and routed != view.window:
        st.session_state[PENDING_VIEW] = {
            "start": routed.start,
            "end": routed.end,
            "page": PAGE_FOR_ACTION[Action(q.route.action_type)],
        }
        st.rerun(scope="app")  # the question moved the view: the page and the sidebar follow


def _index_state(view: View) -> None:
    """Where the runbook index stands: loading in the background, ready, or why not."""
    from services.knowledge.warmup import State

    warm = data.warm_index(view.settings)
    if warm.state is State.LOADING:
        st.caption(view.t("chat.index_loading"))
    elif warm.state is State.FAILED:
        st.warning(view.t("chat.index_failed", error=warm.error))
    else:
        st.caption(view.t("chat.index_ready", documents=warm.documents))


@st.fragment
def render_chat(view: View, page: str) -> None:
    """The panel; `page` names the page for the assistant's context.

    A fragment: a question, a rating or a confirmation reruns the panel only, never the page, and
    the answer reads the page's facts from the shared read cache (services.sources.cache)."""
    st.subheader(view.t("chat.title"))
    prefetch_incidents(data.source_for(view.settings.sources), view.window, view.filters, view.settings)
    model = view.settings.model
    st.caption(
        view.t(
            "chat.caption",
            mode=view.t("chat.model", model=model.model) if model else view.t("chat.offline_mode"),
            start=local_time(view.window.start, view.tz),
            end=local_time(view.window.end, view.tz),
        )
    )
    _index_state(view)
    clicked: str | None = None
    for i, name in enumerate(CHECKPOINTS):
        if st.button(view.t(f"chat.checkpoint.{name}.label"), key=f"checkpoint_{i}", width="stretch"):
            clicked = view.t(f"chat.checkpoint.{name}.question")
    previous: str = ""
    conversation = st.container()  # above the input: a new question and its answer are added here
    with conversation:
        for i, message in enumerate(_history()):
            with st.chat_message(message["role"]):
                st.markdown(without_images(message["content"]))
                _show_meta(message, i, view, previous)
            previous = message["content"] if message["role"] == "user" else previous
    typed = st.chat_input(view.t("chat.input"), key="chat_input")
    asked = typed or clicked
    if asked:
        with conversation:
            with st.chat_message("user"):
                st.markdown(without_images(asked))
            _ask(asked, view, page)
    if _history() and st.button(view.t("chat.clear"), key="chat_clear"):
        st.session_state[CHAT_KEY] = []
        _rerun_panel()
