"""Asking the assistant: route the question, gather the context, answer with a model or offline."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator
from zoneinfo import ZoneInfo

from services.assistant import offline
from services.assistant.context import Context, Source, build_context
from services.assistant.model import ModelRun, Proposal, messages_for, stream_answer
from services.assistant.router import Route, route
from services.config import Settings
from services.overview import make_alertmanager
from services.knowledge.index import KnowledgeIndex
from services.llm.client import ModelSettings, audit, prompt, prompt_version
from services.integrations.slack import post, webhook_url
from services.sources.base import Filters, MetricSource, SourceError
from services.timewindow import Window, parse_time

CONTEXT_BUDGET_TOKENS = 3000


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

    def to_dict(self) -> dict:
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
    text: str, now: datetime, source: MetricSource, settings: Settings, index: KnowledgeIndex | None,
    model: ModelSettings | None, page: str = "Overview", filters: Filters = Filters(), tz: ZoneInfo = ZoneInfo("UTC"),
    window: Window | None = None, session: str = "",
) -> Question:
    """Route `text` (an explicit `window` wins over the routed one) and gather its context."""
    request_id = uuid.uuid4().hex[:12]
    routed, mode = route(text, now, model, request_id, session)
    chosen = window or Window(routed.start, routed.end)
    context = build_context(text, routed.action_type, page, source, chosen, filters, settings, index, tz)
    return Question(text, routed, mode, context, request_id)


def answer_offline(q: Question, notice: str | None = None) -> Answer:
    text = offline.answer(q.context)
    return Answer(text, q.route.action_type, q.context.window, offline.cited(text, q.context.sources), "offline",
                  "offline@1", q.request_id, notice=notice, route_mode=q.route_mode)


class ModelAnswer:
    """Streams a model's answer; `result` holds the Answer once the stream is consumed.

    If the model fails (after the client's retries), the stream ends with the offline answer and
    a notice saying why.
    """

    def __init__(self, q: Question, model: ModelSettings, history: list[dict], source: MetricSource,
                 settings: Settings, index: KnowledgeIndex | None, session: str = "", system_prompt: str | None = None):
        """`system_prompt` replaces the stored one (the Prompts page's "try it")."""
        self.q, self.model, self.session = q, model, session
        system = system_prompt if system_prompt is not None else prompt("assistant_system")
        self.messages = messages_for(model, system, q.context.render(CONTEXT_BUDGET_TOKENS), history, q.text)
        self.tools = read_only_tools(q, source, settings, index)
        self.run = ModelRun()
        self.result: Answer | None = None

    def stream(self) -> Iterator[str]:
        import openai

        started = time.perf_counter()
        try:
            yield from stream_answer(self.model, self.messages, self.tools, self.run)
        except openai.APIError as exc:
            fallback = answer_offline(self.q, notice=f"{self.model.model} did not answer ({exc.__class__.__name__}); this is the offline answer.")
            self.result = fallback
            audit("assistant_system", self.model, self.run.tokens_in, self.run.tokens_out, (time.perf_counter() - started) * 1000,
                  f"fallback: {exc.__class__.__name__}", self.q.request_id, self.session, self.q.route.action_type)
            yield f"\n\n> {fallback.notice}\n\n{fallback.text}" if self.run.text else f"> {fallback.notice}\n\n{fallback.text}"
            return
        text = self.run.text.strip() or ("I don't know." if offline.language(self.q.text) == "en" else "모르겠습니다.")
        self.result = Answer(
            text, self.q.route.action_type, self.q.context.window, offline.cited(text, self.q.context.sources), self.model.model,
            prompt_version("assistant_system"), self.q.request_id, self.run.tokens_in, self.run.tokens_out,
            self.model.cost(self.run.tokens_in, self.run.tokens_out), notice=self.run.error, proposals=self.run.proposals,
            route_mode=self.q.route_mode,
        )
        audit("assistant_system", self.model, self.run.tokens_in, self.run.tokens_out, (time.perf_counter() - started) * 1000,
              self.run.error or "ok", self.q.request_id, self.session, self.q.route.action_type)

    def answer(self) -> Answer:
        for _ in self.stream():
            pass
        assert self.result is not None
        return self.result


def read_only_tools(q: Question, source: MetricSource, settings: Settings, index: KnowledgeIndex | None) -> dict:
    """The functions behind the model's read-only tools; they answer with JSON text."""

    def window_of(args: dict) -> tuple[Window, Filters]:
        w = q.context.window
        try:
            start = parse_time(args["from"]) if args.get("from") else w.start
            end = parse_time(args["to"]) if args.get("to") else w.end
            chosen = Window(start, end)
        except ValueError:
            chosen = w
        filters = Filters(
            (args["cluster"],) if args.get("cluster") else q.context.filters.clusters,
            (args["namespace"],) if args.get("namespace") else q.context.filters.namespaces,
        )
        return chosen, filters

    def facts(action: str, keys: list[str]):
        def run(args: dict) -> str:
            window, filters = window_of(args)
            try:
                ctx = build_context(q.text, action, q.context.page, source, window, filters, settings, None, q.context.tz)
            except SourceError as exc:
                return json.dumps({"error": str(exc)})
            data = {k: getattr(ctx.facts, k) for k in keys}
            return json.dumps({"window": window.to_dict(), **data}, default=str, ensure_ascii=False)
        return run

    def search(args: dict) -> str:
        hits = index.search(str(args.get("query", "")), 4, include_internal=False) if index else []
        return json.dumps([{"source": h.source, "section": h.section, "text": h.text} for h in hits], ensure_ascii=False)

    return {
        "get_alerts": facts("alerts", ["firing", "flapping", "likely_false"]),
        "get_latency": facts("istio_p99_latency", ["worst_p99", "incidents"]),
        "get_errors": facts("istio_http_errors", ["worst_errors", "incidents"]),
        "search_runbooks": search,
    }


def execute(proposal: Proposal, settings: Settings, user: str = "oncall-dashboard") -> str:
    """Run a confirmed side effect; returns what was done. Raises SourceError or SlackError."""
    if proposal.tool == "create_silence":
        client = make_alertmanager(settings)
        if client is None:
            raise SourceError("ALERTMANAGER_URL is not set: silences cannot be created")
        args = proposal.arguments
        silence = client.create_silence(dict(args["matchers"]), int(args["duration_minutes"]), str(args["comment"]), user)
        return f"silence {silence} created for {int(args['duration_minutes'])} min"
    if proposal.tool == "post_to_slack":
        url = webhook_url()
        if not url:
            raise SourceError("SLACK_WEBHOOK_URL is not set: nothing was posted")
        post(url, str(proposal.arguments["title"]), str(proposal.arguments["text"]))
        return "posted to Slack"
    raise SourceError(f"unknown action {proposal.tool}")


def ask(
    text: str, now: datetime, source: MetricSource, settings: Settings, index: KnowledgeIndex | None,
    model: ModelSettings | None, history: list[dict] | None = None, session: str = "cli", **where,
) -> Answer:
    """The whole flow without streaming (the CLI): model answer when configured, else offline."""
    q = prepare(text, now, source, settings, index, model, session=session, **where)
    answer = answer_offline(q) if model is None else ModelAnswer(q, model, history or [], source, settings, index, session).answer()
    record(answer, text, session)
    return answer


def record(answer: Answer, question: str, session: str) -> None:
    """Keep the question and answer (for feedback and shift summaries); storage problems are not fatal."""
    from services.storage import Store, StorageError

    try:
        Store.open().save_answer(answer.request_id, session, question, answer.text, answer.action_type, answer.mode,
                                 answer.window.to_dict()["from"], answer.window.to_dict()["to"], answer.to_dict()["citations"])
    except (StorageError, OSError):
        pass
