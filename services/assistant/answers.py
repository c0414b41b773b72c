"""Asking the assistant: route the question, gather the context, answer with a model or offline."""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.assistant import offline
from services.assistant.context import Context, Source, build_context
from services.assistant.model import ModelRun, messages_for, stream_answer
from services.assistant.router import Route, route
from services.assistant.tools import Proposal, ToolCall
from services.log import request_context
from services.runtime import Runtime
from services.sources.base import Filters, SourceError
from services.storage import StorageError
from services.timewindow import Window

CONTEXT_BUDGET_TOKENS = 3000
log = logging.getLogger(__name__)


@dataclass
class Answer:
    text: str
    action_type: str
    window: Window
    citations: list[Source]
    mode: str  # "offline" or the model's name
    prompt_version: str
    request_id: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None
    notice: str | None = None  # e.g. why the model's answer was replaced by the offline one
    proposals: list[Proposal] = field(default_factory=list)
    route_mode: str = "offline"
    unavailable: list[str] = field(default_factory=list)  # data that could not be read: the answer is partial
    storage_problem: str | None = None  # set when the answer could not be stored

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "action_type": self.action_type,
            "window": self.window.to_dict(),
            "citations": [{"n": s.n, "source": s.source, "section": s.section} for s in self.citations],
            "mode": self.mode,
            "request_id": self.request_id,
            "prompt_version": self.prompt_version,
            "tokens": {"in": self.tokens_in, "out": self.tokens_out},
            "cost_usd": self.cost_usd,
            "notice": self.notice,
            "proposals": [{"tool": p.tool, "arguments": p.arguments} for p in self.proposals],
            "unavailable": self.unavailable,
        }


@dataclass
class Question:
    """A routed question with its context, ready to be answered."""

    text: str
    route: Route
    route_mode: str
    context: Context
    request_id: str


def prepare(
    text: str,
    now: datetime,
    runtime: Runtime,
    page: str = "Overview",
    filters: Filters = Filters(),
    tz: ZoneInfo = ZoneInfo("UTC"),
    window: Window | None = None,
    session: str = "",
) -> Question:
    """Route `text` (an explicit `window` wins over the routed one) and gather its context."""
    request_id = uuid.uuid4().hex[:12]
    with request_context(request_id):
        routed, mode = route(text, now, runtime.model, request_id, session, known_names(runtime))
        chosen = window or Window(routed.start, routed.end)
        log.info(
            "request %s: session %s routed to %s (%s) for %s",
            request_id,
            session or "-",
            routed.action_type,
            mode,
            chosen.to_dict(),
        )
        context = build_context(text, routed.action_type, page, runtime, chosen, filters, tz)
    return Question(text, routed, mode, context, request_id)


def known_names(runtime: Runtime) -> list[str]:
    """The mesh's service and namespace names: a question naming one is an on-call question."""
    try:
        return runtime.source.label_values("service") + runtime.source.label_values("namespace")
    except SourceError as exc:
        log.warning("service names unavailable for routing: %s", exc)
        return []


def answer_offline(q: Question, notice: str | None = None) -> Answer:
    text = offline.answer(q.context)
    return Answer(
        text,
        q.route.action_type,
        q.context.window,
        offline.cited(text, q.context.sources),
        "offline",
        "offline@1",
        q.request_id,
        notice=notice,
        route_mode=q.route_mode,
        unavailable=list(q.context.facts.errors),
    )


class ModelAnswer:
    """Streams a model's answer; `result` holds the Answer once the stream is consumed.

    If the model fails (after the client's retries), the stream ends with the offline answer and
    a notice saying why.
    """

    def __init__(self, q: Question, runtime: Runtime, history: list[dict], session: str = "", system_prompt: str | None = None):
        """`system_prompt` replaces the stored one (the Prompts page's "try it")."""
        if runtime.model is None:
            raise ValueError("no model configured")
        self.q, self.model, self.session = q, runtime.model, session
        system = system_prompt if system_prompt is not None else self.model.prompt("assistant_system")
        self.messages = messages_for(self.model, system, q.context.render(CONTEXT_BUDGET_TOKENS), history, q.text)
        self.tool_call = ToolCall(runtime, q.context, request_id=q.request_id)
        self.run = ModelRun()
        self.result: Answer | None = None

    def _audit(self, started: float, outcome: str) -> None:
        self.model.audit(
            "assistant_system",
            self.run.tokens_in,
            self.run.tokens_out,
            (time.perf_counter() - started) * 1000,
            outcome,
            self.q.request_id,
            self.session,
            self.q.route.action_type,
        )

    def stream(self) -> Iterator[str]:
        with request_context(self.q.request_id):
            yield from self._stream()

    def _stream(self) -> Iterator[str]:
        import openai

        started = time.perf_counter()
        try:
            yield from stream_answer(self.model, self.messages, self.tool_call, self.run)
        except openai.APIError as exc:
            log.warning(
                "request %s: %s failed (%s); answering offline", self.q.request_id, self.model.name, exc.__class__.__name__
            )
            fallback = answer_offline(
                self.q, notice=f"{self.model.name} did not answer ({exc.__class__.__name__}); this is the offline answer."
            )
            self.result = fallback
            self._audit(started, f"fallback: {exc.__class__.__name__}")
            yield f"\n\n> {fallback.notice}\n\n{fallback.text}" if self.run.text else f"> {fallback.notice}\n\n{fallback.text}"
            return
        text = self.run.text.strip() or ("I don't know." if offline.language(self.q.text) == "en" else "모르겠습니다.")
        self.result = Answer(
            text,
            self.q.route.action_type,
            self.q.context.window,
            offline.cited(text, self.q.context.sources),
            self.model.name,
            self.model.prompt_version("assistant_system"),
            self.q.request_id,
            self.run.tokens_in,
            self.run.tokens_out,
            self.model.cost(self.run.tokens_in, self.run.tokens_out),
            notice=self.run.error,
            proposals=self.run.proposals,
            route_mode=self.q.route_mode,
            unavailable=list(self.q.context.facts.errors),
        )
        self._audit(started, self.run.error or "ok")

    def answer(self) -> Answer:
        """The whole answer, without streaming it anywhere."""
        deque(self.stream(), maxlen=0)  # consume the stream; it fills self.result
        assert self.result is not None
        return self.result


def ask(
    text: str, now: datetime, runtime: Runtime, history: list[dict] | None = None, session: str = "cli", **where: Any
) -> Answer:
    """The whole flow without streaming (the CLI): model answer when configured, else offline."""
    q = prepare(text, now, runtime, session=session, **where)
    answer = answer_offline(q) if runtime.model is None else ModelAnswer(q, runtime, history or [], session).answer()
    answer.storage_problem = record(answer, text, session, runtime)
    return answer


def record(answer: Answer, question: str, session: str, runtime: Runtime) -> str | None:
    """Keep the question and answer (for feedback and shift summaries).

    The answer has already reached the user; a storage problem is logged and returned, for the
    caller to show, never raised.
    """
    if runtime.store is None:
        problem = f"the answer was not stored: {runtime.store_problem or 'no database'}"
        log.error("request %s: %s", answer.request_id, problem)
        return problem
    window = answer.window.to_dict()
    try:
        runtime.store.save_answer(
            answer.request_id,
            session,
            question,
            answer.text,
            answer.action_type,
            answer.mode,
            window["from"],
            window["to"],
            answer.to_dict()["citations"],
        )
    except (StorageError, OSError) as exc:
        log.error("request %s: answer not stored: %s", answer.request_id, exc)
        return f"the answer was not stored: {exc}"
    return None
