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
from services.auth import PermissionDenied, require_real_systems
from services.i18n import Language, Message
from services.integrations.slack import post
from services.llm.audit import record_call
from services.sources.base import Filters, SourceError
from services.storage import AuditRecord
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
    request_id: str = ""

    @property
    def user(self) -> str:
        """Who confirms: the signed-in user, the anonymous local user, or the CLI's operator."""
        return self.runtime.actor.name


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema properties
    required: tuple[str, ...]
    run: Callable[[ToolCall, dict[str, Any]], str | Message]  # readers: JSON for the model; side effects: what was done
    side_effect: bool = False
    # For side effects: what it would do (shown before Confirm) and why it may not be done (enforced).
    preview: Callable[[ToolCall, dict[str, Any]], Message] | None = None  # what it would do, for the reader
    refusals: Callable[[ToolCall, dict[str, Any]], list[Message]] | None = None

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-tool declaration."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {"type": "object", "properties": self.parameters, "required": list(self.required)},
            },
        }


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
            ctx = build_context(
                call.context.question,
                action,
                call.context.page,
                call.runtime,
                window,
                filters,
                call.context.tz,
                with_runbooks=False,
            )
        except SourceError as exc:
            return json.dumps({"error": str(exc)})
        data = {k: getattr(ctx.facts, k) for k in keys}
        return json.dumps({"window": window.to_dict(), **data}, default=str, ensure_ascii=False)

    return run


def _investigate_service(call: ToolCall, args: dict[str, Any]) -> str:
    from services.mesh.investigate import investigate
    from services.timewindow import auto_step

    window, filters = _window_of(call, args)
    cluster = args.get("cluster") or (filters.clusters[0] if len(filters.clusters) == 1 else None)
    try:
        found = investigate(
            call.runtime.source,
            window,
            str(args.get("service", "")),
            args.get("namespace") or None,
            cluster,
            auto_step(window, call.runtime.settings.sources.step_seconds),
        )
    except SourceError as exc:
        return json.dumps({"error": str(exc)})
    return json.dumps(found.to_dict(), ensure_ascii=False, default=str)


def _search_runbooks(call: ToolCall, args: dict[str, Any]) -> str:
    index = call.runtime.index
    hits = index.search(str(args.get("query", "")), 4, include_internal=False) if index else []
    return json.dumps([{"source": h.source, "section": h.section, "text": h.text} for h in hits], ensure_ascii=False)


def _silence_matchers(args: dict[str, Any]) -> dict[str, str]:
    matchers = args.get("matchers")
    return {str(k): str(v) for k, v in matchers.items()} if isinstance(matchers, dict) else {}


def _silence_matches(call: ToolCall, args: dict[str, Any]) -> list[dict]:
    client = call.runtime.alertmanager
    if client is None:
        raise SourceError("ALERTMANAGER_URL is not set: silences cannot be created")
    return client.matching(_silence_matchers(args))


def _silence_refusals(call: ToolCall, args: dict[str, Any]) -> list[Message]:
    """Why this silence may not be created from the dashboard (empty: it may)."""
    limits = call.runtime.settings.integrations
    problems = []
    matchers = _silence_matchers(args)
    if not matchers.get("alertname"):
        problems.append(Message.of("tool_refusal.alertname"))
    if any(not value.strip() for value in matchers.values()):
        problems.append(Message.of("tool_refusal.matcher_value"))
    try:
        minutes = int(args.get("duration_minutes", 0))
    except (TypeError, ValueError):
        minutes = 0
    if not 1 <= minutes <= limits.silence_max_minutes:
        problems.append(Message.of("tool_refusal.duration", most=limits.silence_max_minutes, given=args.get("duration_minutes")))
    if not str(args.get("comment", "")).strip():
        problems.append(Message.of("tool_refusal.comment"))
    if not problems:
        matched = len(_silence_matches(call, args))
        if matched > limits.silence_max_alerts:
            problems.append(Message.of("tool_refusal.too_many", matched=matched, most=limits.silence_max_alerts))
    return problems


def _silence_preview(call: ToolCall, args: dict[str, Any]) -> Message:
    alerts = _silence_matches(call, args)
    shown = [
        f"{a.get('labels', {}).get('alertname', '?')} "
        f"({', '.join(f'{k}={v}' for k, v in sorted(a.get('labels', {}).items()) if k != 'alertname')})"
        for a in alerts[:10]
    ]
    if not shown:
        return Message.of("tool_preview.silence", count=len(alerts))
    if len(alerts) > 10:
        return Message.of("tool_preview.silence_more", count=len(alerts), alerts="; ".join(shown), more=len(alerts) - 10)
    return Message.of("tool_preview.silence_listed", count=len(alerts), alerts="; ".join(shown))


def _create_silence(call: ToolCall, args: dict[str, Any]) -> Message:
    client = call.runtime.alertmanager
    if client is None:
        raise SourceError("ALERTMANAGER_URL is not set: silences cannot be created")
    minutes = int(args["duration_minutes"])
    silence = client.create_silence(_silence_matchers(args), minutes, str(args["comment"]), call.user)
    return Message.of("tool_done.silence", silence=silence, minutes=minutes)


def _post_to_slack(call: ToolCall, args: dict[str, Any]) -> Message:
    url = call.runtime.settings.integrations.slack_webhook_url
    if not url:
        raise SourceError("SLACK_WEBHOOK_URL is not set: nothing was posted")
    post(url, str(args["title"]), str(args["text"]), actor=call.runtime.actor, access=call.runtime.settings.access)
    return Message.of("tool_done.slack")


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "get_alerts",
            "Alerts firing, flapping and likely false in a window.",
            _WINDOW_PARAMS,
            (),
            _facts_reader(Action.ALERTS, ("firing", "flapping", "likely_false")),
        ),
        Tool(
            "get_latency",
            "Worst p99 latency services and latency incidents in a window.",
            _WINDOW_PARAMS,
            (),
            _facts_reader(Action.LATENCY, ("worst_p99", "incidents")),
        ),
        Tool(
            "get_errors",
            "Worst 5xx ratio services and 5xx incidents in a window.",
            _WINDOW_PARAMS,
            (),
            _facts_reader(Action.ERRORS, ("worst_errors", "incidents")),
        ),
        Tool(
            "investigate_service",
            "Investigate one service in a window: its latency and error symptoms, its callers and dependencies, "
            "and the likely cause found by walking down its dependencies (Envoy response flags included).",
            {"service": {"type": "string", "description": "the service name"}, **_WINDOW_PARAMS},
            ("service",),
            _investigate_service,
        ),
        Tool("search_runbooks", "Search the team's runbooks.", {"query": {"type": "string"}}, ("query",), _search_runbooks),
        Tool(
            "create_silence",
            "Propose an Alertmanager silence; the engineer must confirm it.",
            {
                "matchers": {"type": "object", "description": 'label name -> exact value, e.g. {"alertname": "X"}'},
                "duration_minutes": {"type": "integer"},
                "comment": {"type": "string"},
            },
            ("matchers", "duration_minutes", "comment"),
            _create_silence,
            side_effect=True,
            preview=_silence_preview,
            refusals=_silence_refusals,
        ),
        Tool(
            "post_to_slack",
            "Propose posting a message to the team's Slack channel; the engineer must confirm it.",
            {"title": {"type": "string"}, "text": {"type": "string"}},
            ("title", "text"),
            _post_to_slack,
            side_effect=True,
        ),
    )
}


class ActionRefused(SourceError):
    """A confirmed side effect is outside the configured limits; nothing was done."""


def review(proposal: Proposal, call: ToolCall, lang: Language = Language.EN) -> tuple[str, list[str]]:
    """What a proposal would do (in `lang`) and why it may not be done, for the engineer to see before Confirm."""
    tool = TOOLS.get(proposal.tool)
    if tool is None or not tool.side_effect:
        return "", [f"unknown action {proposal.tool}"]
    try:
        require_real_systems(call.runtime.actor, call.runtime.settings.access)
    except PermissionDenied as exc:
        return "", [str(exc)]
    try:
        refused = tool.refusals(call, proposal.arguments) if tool.refusals else []
        shown = tool.preview(call, proposal.arguments).text(lang) if tool.preview and not refused else ""
    except SourceError as exc:
        return "", [str(exc)]
    return shown, [reason.text(lang) for reason in refused]


def schemas() -> list[dict[str, Any]]:
    return [tool.schema() for tool in TOOLS.values()]


def execute(proposal: Proposal, call: ToolCall) -> Message:
    """Run a confirmed side effect and audit it with who confirmed; returns what was done (for
    the reader's language; str() gives English).

    Raises PermissionDenied (the actor may not), SourceError or SlackError when it could not be
    done; that is audited too.
    """
    tool = TOOLS.get(proposal.tool)
    if tool is None or not tool.side_effect:
        raise SourceError(f"unknown action {proposal.tool}")
    started, outcome = time.perf_counter(), "ok"
    try:
        require_real_systems(call.runtime.actor, call.runtime.settings.access)
        refused = tool.refusals(call, proposal.arguments) if tool.refusals else []
        if refused:
            raise ActionRefused("; ".join(str(reason) for reason in refused))
        done = tool.run(call, proposal.arguments)
        assert isinstance(done, Message), f"{tool.name} said what it did as a Message"
        return done
    except Exception as exc:
        outcome = f"error: {exc}"
        raise
    finally:
        log.info("request %s: %s confirmed by %s: %s", call.request_id or "-", tool.name, call.user, outcome)
        record_call(
            call.runtime.store,
            AuditRecord(
                call.request_id,
                "",
                f"confirmed:{tool.name}",
                tool.name,
                "tool",
                "",
                0,
                0,
                None,
                (time.perf_counter() - started) * 1000,
                outcome,
                call.user,
            ),
        )
