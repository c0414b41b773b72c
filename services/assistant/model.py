"""Answers from a model: streamed, with read-only tools, and side effects only proposed.

Everything sent is redacted first. The OpenAI client retries 429, 5xx and timeouts with
exponential backoff; when it gives up, the caller falls back to the offline answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from services.assistant.context import estimate_tokens
from services.assistant.tools import TOOLS, Proposal, ToolCall, schemas
from services.llm.client import ChatModel, client
from services.llm.prompts import render
from services.safety.redact import redact

MAX_TOOL_ROUNDS = 4
ANSWER_RESERVE_TOKENS = 1500


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
        kept.insert(
            0,
            {
                "role": "user",
                "content": f"({dropped} earlier messages of this conversation were dropped to fit the model's context.)",
            },
        )
    return kept


def messages_for(model: ChatModel, system: str, context: str, history: list[dict], question: str) -> list[dict]:
    fixed = estimate_tokens(system) + estimate_tokens(context) + estimate_tokens(question) + ANSWER_RESERVE_TOKENS
    past = trim_history(history, max(0, model.settings.context_tokens - fixed))
    # Only the operator's prompt is a system message; the context (labels, runbook text, error
    # bodies: untrusted) comes as delimited data in a user message.
    messages = [{"role": "system", "content": system}, {"role": "user", "content": render("context", context=context)}]
    messages += past + [{"role": "user", "content": question}]
    return [{**m, "content": redact(m["content"])} for m in messages]


def stream_answer(model: ChatModel, messages: list[dict], tool_call: ToolCall, run: ModelRun) -> Iterator[str]:
    """Yield the answer's text as it streams; `run` collects usage, tool calls and proposals.

    Raises openai.APIError when the model cannot be reached after the client's retries.
    """
    api = client(model)
    settings = model.settings
    options: dict[str, Any] = {"seed": settings.seed} if settings.seed is not None else {}
    for _ in range(MAX_TOOL_ROUNDS):
        stream = api.chat.completions.create(
            model=settings.model,
            messages=messages,
            temperature=settings.temperature,
            stream=True,
            stream_options={"include_usage": True},
            tools=schemas(),
            **options,
        )
        content = ""
        calls: dict[int, dict[str, str]] = {}
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
        messages.append(
            {
                "role": "assistant",
                "content": content or None,
                "tool_calls": [
                    {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                    for c in calls.values()
                ],
            }
        )
        for requested in calls.values():
            run.tool_calls.append(requested["name"])
            messages.append(
                {"role": "tool", "tool_call_id": requested["id"], "content": redact(_call_tool(requested, tool_call, run))}
            )
    run.error = "the model kept calling tools; stopped after 4 rounds"


def _call_tool(requested: dict[str, str], tool_call: ToolCall, run: ModelRun) -> str:
    tool = TOOLS.get(requested["name"])
    if tool is None:
        return f"error: no tool named {requested['name']}"
    try:
        arguments = json.loads(requested["arguments"] or "{}")
    except json.JSONDecodeError:
        return "error: arguments are not valid JSON"
    if tool.side_effect:
        run.proposals.append(Proposal(tool.name, arguments))
        return "Proposed to the engineer. It runs only if they confirm it in the dashboard; tell them what you proposed."
    return str(tool.run(tool_call, arguments))
