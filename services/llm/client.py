"""The model endpoint: OpenAI or any OpenAI-compatible server.

Every call goes through `complete` (one answer) or the assistant's stream: messages are
redacted of secrets first and every call leaves an audit row.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from services.config import ModelSettings
from services.llm.audit import record_call
from services.llm.prompts import prompt, prompt_version
from services.safety.redact import redact
from services.storage import AuditRecord, Store

log = logging.getLogger(__name__)


class ModelError(RuntimeError):
    """The model could not answer; the message says why."""


@dataclass(frozen=True)
class ChatModel:
    """A configured chat model and the store its prompts and audit rows live in."""

    settings: ModelSettings
    store: Store | None = None

    @property
    def name(self) -> str:
        return self.settings.model

    def cost(self, tokens_in: int, tokens_out: int) -> float | None:
        return self.settings.cost(tokens_in, tokens_out)

    def prompt(self, name: str) -> str:
        return prompt(self.store, name)

    def prompt_version(self, name: str) -> str:
        return prompt_version(self.store, name)

    def audit(
        self,
        prompt_name: str,
        tokens_in: int,
        tokens_out: int,
        latency_ms: float,
        outcome: str,
        request_id: str = "",
        session: str = "",
        action: str = "",
        user: str = "",
    ) -> None:
        record_call(
            self.store,
            AuditRecord(
                request_id,
                session,
                action or prompt_name,
                prompt_name,
                self.prompt_version(prompt_name),
                self.name,
                tokens_in,
                tokens_out,
                self.cost(tokens_in, tokens_out),
                latency_ms,
                outcome,
                user,
            ),
        )


def client(model: ChatModel, max_retries: int = 2) -> Any:
    """An OpenAI client; its own retries back off exponentially on 429, 5xx and timeouts."""
    import openai

    s = model.settings
    return openai.OpenAI(api_key=s.api_key, base_url=s.base_url, timeout=s.timeout, max_retries=max_retries)


def complete(model: ChatModel, prompt_name: str, user: str, request_id: str = "", session: str = "", **options: Any) -> str:
    """One chat completion at temperature 0 with a stored prompt; messages redacted, the call audited."""
    import openai

    started = time.perf_counter()
    try:
        response = client(model).chat.completions.create(
            model=model.name,
            temperature=0,
            messages=[
                {"role": "system", "content": redact(model.prompt(prompt_name))},
                {"role": "user", "content": redact(user)},
            ],
            **options,
        )
    except openai.APIError as exc:
        log.warning("request %s: %s did not answer (%s): %s", request_id or "-", model.name, prompt_name, exc.__class__.__name__)
        model.audit(
            prompt_name, 0, 0, (time.perf_counter() - started) * 1000, f"error: {exc.__class__.__name__}", request_id, session
        )
        raise ModelError(f"{model.name} did not answer: {exc.__class__.__name__}: {exc}") from None
    usage = response.usage
    model.audit(
        prompt_name,
        usage.prompt_tokens if usage else 0,
        usage.completion_tokens if usage else 0,
        (time.perf_counter() - started) * 1000,
        "ok",
        request_id,
        session,
    )
    return response.choices[0].message.content or ""
