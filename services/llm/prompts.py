"""Prompts: system prompts and user-message templates live as files in data/prompts/.

The files seed the database; edited versions (the Prompts page, `oncall prompts set`) live there
and win. A prompt's version names the wording that produced an answer.
"""

from __future__ import annotations

import logging
import string
import threading

from services.auth import Actor, Permission, require
from services.config import DATA_DIR
from services.storage import StorageError, Store

PROMPTS = DATA_DIR / "prompts"
TEMPLATES = PROMPTS / "templates"

log = logging.getLogger(__name__)
_seeded: set[str] = set()
_seed_lock = threading.Lock()


def _stored(store: Store | None, name: str) -> dict | None:
    """The prompt's current version in the database (seeded from the files once per database)."""
    if store is None:
        return None
    try:
        with _seed_lock:
            if store.url not in _seeded or not store.exists():
                store.seed_prompts(PROMPTS)
                _seeded.add(store.url)
        return store.prompt(name)
    except (StorageError, OSError) as exc:
        log.warning("prompt %s read from its file: the database is unavailable (%s)", name, exc)
        return None


def prompt(store: Store | None, name: str) -> str:
    """The current text of a system prompt."""
    stored = _stored(store, name)
    return stored["text"] if stored else (PROMPTS / f"{name}.md").read_text(encoding="utf-8")


def prompt_version(store: Store | None, name: str) -> str:
    """name@vN, or name@file when the database is unavailable."""
    stored = _stored(store, name)
    return f"{name}@v{stored['version']}" if stored else f"{name}@file"


def save(store: Store, actor: Actor, name: str, text: str, note: str = "") -> int:
    """A new version of a prompt, authored by `actor` (an admin); returns its version."""
    require(actor, Permission.EDIT_PROMPTS)
    return store.set_prompt(name, text, actor.name, note)


def roll_back(store: Store, actor: Actor, name: str, version: int) -> int:
    """Make `version` current again (as a new version authored by `actor`, an admin)."""
    require(actor, Permission.EDIT_PROMPTS)
    return store.rollback_prompt(name, version, actor.name)


def render(template: str, /, **values: object) -> str:
    """A user-message template from data/prompts/templates/ filled with `values` ($name fields).

    `string.Template` substitutes once and never evaluates what it inserts, so untrusted values
    (questions, log lines, runbook text) cannot reach into the template's other fields.
    """
    text = (TEMPLATES / f"{template}.txt").read_text(encoding="utf-8")
    return string.Template(text).substitute({k: str(v) for k, v in values.items()})
