"""The assistant's tools: one object per tool, in one registry.

The model loop offers every tool's schema and runs the read-only ones; a tool with side effects
is only proposed, and runs through `execute` after the engineer confirms it, with an audit row
naming who confirmed. Tools answer with JSON text.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.assistant.actions import Action
from services.integrations.slack import post
from services.llm.audit import record_call
from services.storage import AuditRecord
from services.sources.base import Filters, SourceError
from services.timewindow import Window, WindowError, parse_time

if TYPE_CHECKING:
    from services.assistant.context import Context
    from services.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolCall:
    """What a tool runs with: the dependencies, the question's context (if any), who asked."""

    runtime: Runtime
    context: Context | None = None
    user: str = "oncall-dashboard"
    request_id: str = ""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema properties
    required: tuple[str, ...]
    run: Callable[[ToolCall, dict[str, Any]], str]
    side_effect: bool = False

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-tool declaration."""
        return {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": {
            "type": "object", "properties": self.parameters, "required": list(self.required)}}}


@dataclass
class Proposal:
    """A side effect the model asked for; nothing happens until the engineer confirms it."""

    tool: str
    arguments: dict[str, Any]


_WINDOW_PARAMS = {
    "from": {"type": "string", "description": "window start, ISO 8601 (default: the window on screen)"},
    "to": {"type": "string", "description": "window end, ISO 8601 (default: the window on screen)"},
    "cluster": {"type": "string", "description": "only this cluster"},
    "namespace": {"type": "string", "description": "only this namespace"},
}


def _window_of(call: ToolCall, args: dict[str, Any]) -> tuple[Window, Filters]:
    """The window and filters a read asks for, defaulting to the question's."""
    assert call.context is not None
    shown = call.context.window
    try:
        start = parse_time(args["from"]) if args.get("from") else shown.start
        end = parse_time(args["to"]) if args.get("to") else shown.end
        chosen = Window(start, end)
    except WindowError:
        chosen = shown
    filters = Filters(
        (args["cluster"],) if args.get("cluster") else call.context.filters.clusters,
        (args["namespace"],) if args.get("namespace") else call.context.filters.namespaces,
    )
    return chosen, filters


def _facts_reader(action: Action, keys: tuple[str, ...]) -> Callable[[ToolCall, dict[str, Any]], str]:
    def run(call: ToolCall, args: dict[str, Any]) -> str:
        from services.assistant.context import build_context

        assert call.context is not None
        window, filters = _window_of(call, args)
        try:
            ctx = build_context(call.context.question, action, call.context.page, call.runtime, window, filters,
                                call.context.tz, with_runbooks=False)
        except SourceError as exc:
            return json.dumps({"error": str(exc)})
        data = {k: getattr(ctx.facts, k) for k in keys}
        return json.dumps({"window": window.to_dict(), **data}, default=str, ensure_ascii=False)
    return run


def _search_runbooks(call: ToolCall, args: dict[str, Any]) -> str:
    index = call.runtime.index
    hits = index.search(str(args.get("query", "")), 4, include_internal=False) if index else []
    return json.dumps([{"source": h.source, "section": h.section, "text": h.text} for h in hits], ensure_ascii=False)


def _create_silence(call: ToolCall, args: dict[str, Any]) -> str:
    client = call.runtime.alertmanager
    if client is None:
        raise SourceError("ALERTMANAGER_URL is not set: silences cannot be created")
    minutes = int(args["duration_minutes"])
    silence = client.create_silence(dict(args["matchers"]), minutes, str(args["comment"]), call.user)
    return f"silence {silence} created for {minutes} min"


def _post_to_slack(call: ToolCall, args: dict[str, Any]) -> str:
    url = call.runtime.settings.integrations.slack_webhook_url
    if not url:
        raise SourceError("SLACK_WEBHOOK_URL is not set: nothing was posted")
    post(url, str(args["title"]), str(args["text"]))
    return "posted to Slack"


TOOLS: dict[str, Tool] = {tool.name: tool for tool in (
    Tool("get_alerts", "Alerts firing, flapping and likely false in a window.", _WINDOW_PARAMS, (),
         _facts_reader(Action.ALERTS, ("firing", "flapping", "likely_false"))),
    Tool("get_latency", "Worst p99 latency services and latency incidents in a window.", _WINDOW_PARAMS, (),
         _facts_reader(Action.LATENCY, ("worst_p99", "incidents"))),
    Tool("get_errors", "Worst 5xx ratio services and 5xx incidents in a window.", _WINDOW_PARAMS, (),
         _facts_reader(Action.ERRORS, ("worst_errors", "incidents"))),
    Tool("search_runbooks", "Search the team's runbooks.", {"query": {"type": "string"}}, ("query",), _search_runbooks),
    Tool("create_silence", "Propose an Alertmanager silence; the engineer must confirm it.", {
        "matchers": {"type": "object", "description": "label name -> exact value, e.g. {\"alertname\": \"X\"}"},
        "duration_minutes": {"type": "integer"}, "comment": {"type": "string"}},
        ("matchers", "duration_minutes", "comment"), _create_silence, side_effect=True),
    Tool("post_to_slack", "Propose posting a message to the team's Slack channel; the engineer must confirm it.", {
        "title": {"type": "string"}, "text": {"type": "string"}}, ("title", "text"), _post_to_slack, side_effect=True),
)}


def schemas() -> list[dict[str, Any]]:
    return [tool.schema() for tool in TOOLS.values()]


def execute(proposal: Proposal, call: ToolCall) -> str:
    """Run a confirmed side effect and audit it with who confirmed; returns what was done.

    Raises SourceError (or SlackError) when it could not be done; that is audited too.
    """
    tool = TOOLS.get(proposal.tool)
    if tool is None or not tool.side_effect:
        raise SourceError(f"unknown action {proposal.tool}")
    started, outcome = time.perf_counter(), "ok"
    try:
        return tool.run(call, proposal.arguments)
    except Exception as exc:
        outcome = f"error: {exc}"
        raise
    finally:
        log.info("request %s: %s confirmed by %s: %s", call.request_id or "-", tool.name, call.user, outcome)
        record_call(call.runtime.store, AuditRecord(
            call.request_id, "", f"confirmed:{tool.name}", tool.name, "tool", "", 0, 0, None,
            (time.perf_counter() - started) * 1000, outcome, call.user))
