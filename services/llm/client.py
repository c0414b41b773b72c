"""The model endpoint: OpenAI or any OpenAI-compatible server, configured by environment."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from services.config import DATA_DIR
from services.llm.redact import redact

PROMPTS = DATA_DIR / "prompts"


class ModelError(RuntimeError):
    """The model could not answer; the message says why."""


# USD per million tokens (input, output); ONCALL_PRICE_TABLE='{"model": [in, out]}' adds or overrides.
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1-mini": (0.40, 1.60), "gpt-4.1": (2.00, 8.00)}


@dataclass(frozen=True)
class ModelSettings:
    api_key: str = field(repr=False)
    base_url: str | None
    model: str
    timeout: float
    temperature: float = 0.0
    seed: int | None = 7
    context_tokens: int = 16000
    prices: tuple[tuple[str, float, float], ...] = ()

    def cost(self, tokens_in: int, tokens_out: int) -> float | None:
        """Estimated USD, or None for a model with no known price."""
        table = {**{m: p for m, p in PRICES.items()}, **{m: (i, o) for m, i, o in self.prices}}
        price = table.get(self.model)
        return None if price is None else (tokens_in * price[0] + tokens_out * price[1]) / 1e6


def model_settings(env: dict[str, str] | None = None) -> ModelSettings | None:
    """OPENAI_API_KEY (required), OPENAI_BASE_URL, ONCALL_CHAT_MODEL, ONCALL_MODEL_TIMEOUT; None if no key."""
    env = dict(os.environ) if env is None else env
    key = env.get("OPENAI_API_KEY")
    if not key:
        return None
    try:
        prices = tuple((m, float(p[0]), float(p[1])) for m, p in json.loads(env.get("ONCALL_PRICE_TABLE") or "{}").items())
        return ModelSettings(
            api_key=key,
            base_url=env.get("OPENAI_BASE_URL") or None,
            model=env.get("ONCALL_CHAT_MODEL") or "gpt-4o-mini",
            timeout=float(env.get("ONCALL_MODEL_TIMEOUT") or 60),
            temperature=float(env.get("ONCALL_TEMPERATURE") or 0.0),
            seed=int(env["ONCALL_SEED"]) if env.get("ONCALL_SEED") else 7,
            context_tokens=int(env.get("ONCALL_MODEL_CONTEXT_TOKENS") or 16000),
            prices=prices,
        )
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ModelError(f"model configuration is invalid: {exc}") from None


_seeded: set[Path] = set()


def _stored(name: str) -> dict | None:
    """The prompt's current version in the database (seeded from data/prompts/), if it can be read."""
    from services.storage import Store, StorageError

    try:
        store = Store.open()
        if store.path not in _seeded or not store.path.exists():
            store.seed_prompts(PROMPTS)
            _seeded.add(store.path)
        return store.prompt(name)
    except (StorageError, OSError, sqlite3.Error):
        return None


def prompt(name: str) -> str:
    """The current text of a prompt: edited versions live in the database, the files seed it."""
    stored = _stored(name)
    return stored["text"] if stored else (PROMPTS / f"{name}.md").read_text(encoding="utf-8")


def prompt_version(name: str) -> str:
    """name@vN, or name@file when the database is unavailable: which wording produced an answer."""
    stored = _stored(name)
    return f"{name}@v{stored['version']}" if stored else f"{name}@file"


def client(settings: ModelSettings, max_retries: int = 2):
    """An OpenAI client; its own retries back off exponentially on 429, 5xx and timeouts."""
    import openai

    return openai.OpenAI(api_key=settings.api_key, base_url=settings.base_url, timeout=settings.timeout, max_retries=max_retries)


def audit(prompt_name: str, settings: ModelSettings, tokens_in: int, tokens_out: int, latency_ms: float, outcome: str,
          request_id: str = "", session: str = "", action: str = "") -> None:
    """One row in the audit log for a model call; a database problem never breaks the call."""
    from services.storage import Store, StorageError

    try:
        Store.open().audit(request_id, session, action or prompt_name, prompt_name, prompt_version(prompt_name), settings.model,
                           tokens_in, tokens_out, settings.cost(tokens_in, tokens_out), latency_ms, outcome)
    except (StorageError, OSError, sqlite3.Error):
        pass


def complete(settings: ModelSettings, prompt_name: str, user: str, request_id: str = "", session: str = "", **options) -> str:
    """One chat completion at temperature 0 with a stored prompt; messages redacted, the call audited."""
    import openai

    started = time.perf_counter()
    try:
        response = client(settings).chat.completions.create(
            model=settings.model,
            temperature=0,
            messages=[{"role": "system", "content": redact(prompt(prompt_name))}, {"role": "user", "content": redact(user)}],
            **options,
        )
    except openai.APIError as exc:
        audit(prompt_name, settings, 0, 0, (time.perf_counter() - started) * 1000, f"error: {exc.__class__.__name__}", request_id, session)
        raise ModelError(f"{settings.model} did not answer: {exc.__class__.__name__}: {exc}") from None
    usage = response.usage
    audit(prompt_name, settings, usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0,
          (time.perf_counter() - started) * 1000, "ok", request_id, session)
    return response.choices[0].message.content or ""
