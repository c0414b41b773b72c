"""Answers from a model: streamed, with read-only tools, and side effects only proposed.

Everything sent is redacted first. The OpenAI client retries 429, 5xx and timeouts with
exponential backoff; when it gives up, the caller falls back to the offline answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Iterator

from services.assistant.context import estimate_tokens
from services.llm.client import ModelSettings, client
from services.llm.redact import redact

MAX_TOOL_ROUNDS = 4
ANSWER_RESERVE_TOKENS = 1500

_WINDOW_PARAMS = {
    "from": {"type": "string", "description": "window start, ISO 8601 (default: the window on screen)"},
    "to": {"type": "string", "description": "window end, ISO 8601 (default: the window on screen)"},
    "cluster": {"type": "string", "description": "only this cluster"},
    "namespace": {"type": "string", "description": "only this namespace"},
}


def _tool(name: str, description: str, properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": required or []}}}


READ_ONLY_TOOLS = [
    _tool("get_alerts", "Alerts firing, flapping and likely false in a window.", _WINDOW_PARAMS),
    _tool("get_latency", "Worst p99 latency services and latency incidents in a window.", _WINDOW_PARAMS),
    _tool("get_errors", "Worst 5xx ratio services and 5xx incidents in a window.", _WINDOW_PARAMS),
    _tool("search_runbooks", "Search the team's runbooks.", {"query": {"type": "string"}}, ["query"]),
]
SIDE_EFFECT_TOOLS = [
    _tool("create_silence", "Propose an Alertmanager silence; the engineer must confirm it.", {
        "matchers": {"type": "object", "description": "label name -> exact value, e.g. {\"alertname\": \"X\"}"},
        "duration_minutes": {"type": "integer"}, "comment": {"type": "string"}}, ["matchers", "duration_minutes", "comment"]),
    _tool("post_to_slack", "Propose posting a message to the team's Slack channel; the engineer must confirm it.", {
        "title": {"type": "string"}, "text": {"type": "string"}}, ["title", "text"]),
]
SIDE_EFFECTS = {t["function"]["name"] for t in SIDE_EFFECT_TOOLS}


@dataclass
class Proposal:
    """A side effect the model asked for; nothing happens until the engineer confirms it."""

    tool: str
    arguments: dict


@dataclass
class ModelRun:
    text: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    proposals: list[Proposal] = field(default_factory=list)
    tool_calls: list[str] = field(default_factory=list)
    error: str | None = None


def trim_history(history: list[dict], budget_tokens: int) -> list[dict]:
    """The most recent turns that fit the budget; a note stands for the dropped ones."""
    kept, used = [], 0
    for message in reversed(history):
        cost = estimate_tokens(message["content"] or "") + 4
        if used + cost > budget_tokens:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    dropped = len(history) - len(kept)
    if dropped:
        kept.insert(0, {"role": "user", "content": f"({dropped} earlier messages of this conversation were dropped to fit the model's context.)"})
    return kept


def messages_for(settings: ModelSettings, system: str, context: str, history: list[dict], question: str) -> list[dict]:
    fixed = estimate_tokens(system) + estimate_tokens(context) + estimate_tokens(question) + ANSWER_RESERVE_TOKENS
    past = trim_history(history, max(0, settings.context_tokens - fixed))
    messages = [{"role": "system", "content": system}, {"role": "system", "content": f"CONTEXT\n\n{context}"}]
    messages += past + [{"role": "user", "content": question}]
    return [{**m, "content": redact(m["content"])} for m in messages]


def stream_answer(
    settings: ModelSettings, messages: list[dict], tools: dict[str, Callable[[dict], str]], run: ModelRun
) -> Iterator[str]:
    """Yield the answer's text as it streams; `run` collects usage, tool calls and proposals.

    Raises openai.APIError when the model cannot be reached after the client's retries.
    """
    api = client(settings)
    options = {"seed": settings.seed} if settings.seed is not None else {}
    for _ in range(MAX_TOOL_ROUNDS):
        stream = api.chat.completions.create(
            model=settings.model, messages=messages, temperature=settings.temperature, stream=True,
            stream_options={"include_usage": True}, tools=READ_ONLY_TOOLS + SIDE_EFFECT_TOOLS, **options,
        )
        content, calls = "", {}
        for chunk in stream:
            if chunk.usage:
                run.tokens_in += chunk.usage.prompt_tokens or 0
                run.tokens_out += chunk.usage.completion_tokens or 0
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    content += delta.content
                    run.text += delta.content
                    yield delta.content
                for call in delta.tool_calls or []:
                    slot = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                    slot["id"] = call.id or slot["id"]
                    if call.function:
                        slot["name"] += call.function.name or ""
                        slot["arguments"] += call.function.arguments or ""
        if not calls:
            return
        messages.append({"role": "assistant", "content": content or None, "tool_calls": [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls.values()]})
        for call in calls.values():
            run.tool_calls.append(call["name"])
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": redact(_call_tool(call, tools, run))})
    run.error = "the model kept calling tools; stopped after 4 rounds"


def _call_tool(call: dict, tools: dict[str, Callable[[dict], str]], run: ModelRun) -> str:
    try:
        arguments = json.loads(call["arguments"] or "{}")
    except json.JSONDecodeError:
        return "error: arguments are not valid JSON"
    if call["name"] in SIDE_EFFECTS:
        run.proposals.append(Proposal(call["name"], arguments))
        return "Proposed to the engineer. It runs only if they confirm it in the dashboard; tell them what you proposed."
    if call["name"] not in tools:
        return f"error: no tool named {call['name']}"
    return tools[call["name"]](arguments)
