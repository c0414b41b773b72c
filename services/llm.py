"""The model endpoint: OpenAI or any OpenAI-compatible server, configured by environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from services.config import DATA_DIR
from services.redact import redact

PROMPTS = DATA_DIR / "prompts"


class ModelError(RuntimeError):
    """The model could not answer; the message says why."""


@dataclass(frozen=True)
class ModelSettings:
    api_key: str = field(repr=False)
    base_url: str | None
    model: str
    timeout: float


def model_settings(env: dict[str, str] | None = None) -> ModelSettings | None:
    """OPENAI_API_KEY (required), OPENAI_BASE_URL, ONCALL_CHAT_MODEL, ONCALL_MODEL_TIMEOUT; None if no key."""
    env = dict(os.environ) if env is None else env
    key = env.get("OPENAI_API_KEY")
    if not key:
        return None
    return ModelSettings(
        api_key=key,
        base_url=env.get("OPENAI_BASE_URL") or None,
        model=env.get("ONCALL_CHAT_MODEL") or "gpt-4o-mini",
        timeout=float(env.get("ONCALL_MODEL_TIMEOUT") or 60),
    )


def prompt(name: str) -> str:
    return (PROMPTS / f"{name}.md").read_text(encoding="utf-8")


def client(settings: ModelSettings, max_retries: int = 2):
    """An OpenAI client; its own retries back off exponentially on 429, 5xx and timeouts."""
    import openai

    return openai.OpenAI(api_key=settings.api_key, base_url=settings.base_url, timeout=settings.timeout, max_retries=max_retries)


def complete(settings: ModelSettings, system: str, user: str, **options) -> str:
    """One chat completion at temperature 0, both messages redacted first."""
    import openai

    try:
        response = client(settings).chat.completions.create(
            model=settings.model,
            temperature=0,
            messages=[{"role": "system", "content": redact(system)}, {"role": "user", "content": redact(user)}],
            **options,
        )
    except openai.APIError as exc:
        raise ModelError(f"{settings.model} did not answer: {exc.__class__.__name__}: {exc}") from None
    return response.choices[0].message.content or ""


def review_runbook(settings: ModelSettings, title: str, body: str) -> str:
    return complete(settings, prompt("runbook_review"), f"# {title}\n\n{body}")
