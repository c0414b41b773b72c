"""The question router: what the user asks about (action) and for which time window.

Offline, `topics.classify` picks the action and `timegrammar` composes the window from time
tokens ("지난 2시간 반", "last 48h", "from 21:30 last night until now", "11월 3일 오전 8시"). With
a model configured it is asked first and its answer validated; the rules decide otherwise.
Windows are ISO 8601 with seconds, in the UTC offset of "now".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.assistant.actions import Action
from services.assistant.timegrammar import window_of
from services.assistant.topics import classify
from services.llm.client import ChatModel, ModelError, complete
from services.llm.prompts import render

log = logging.getLogger(__name__)

ACTIONS = tuple(a.value for a in Action)
DEFAULT_SPAN = timedelta(hours=1)


@dataclass(frozen=True)
class Route:
    action_type: str
    start: datetime
    end: datetime

    def to_dict(self) -> dict:
        return {
            "action_type": self.action_type,
            "from_datetime": self.start.isoformat(timespec="seconds"),
            "to_datetime": self.end.isoformat(timespec="seconds"),
        }


def window(text: str, now: datetime) -> tuple[datetime, datetime]:
    """The window a question is about; the last hour when it names no time."""
    now = now.replace(microsecond=0)
    return window_of(text, now) or (now - DEFAULT_SPAN, now)


def mentions_time(text: str, now: datetime) -> bool:
    """Whether the question names a time or period (else it is about the window on screen)."""
    return window_of(text, now.replace(microsecond=0)) is not None


def route_offline(text: str, now: datetime, entities: Iterable[str] = ()) -> Route:
    """Rules only; a question that is not about on-call gets the default last hour."""
    now = now.replace(microsecond=0)
    named = window_of(text, now)
    action = classify(text, says_time=named is not None, entities=entities)
    start, end = named if named and action != Action.UNKNOWN else (now - DEFAULT_SPAN, now)
    return Route(action.value, start, end)


def parse_route(raw: str, now: datetime) -> Route:
    """A model's JSON answer as a Route; ValueError if it breaks any rule."""
    data = json.loads(raw)
    action = data["action_type"]
    if action not in ACTIONS:
        raise ValueError(f"unknown action_type {action!r}")
    start, end = datetime.fromisoformat(data["from_datetime"]), datetime.fromisoformat(data["to_datetime"])
    if start.utcoffset() != now.utcoffset() or end.utcoffset() != now.utcoffset():
        raise ValueError("times are not in the UTC offset of now")
    if not start < end <= now + timedelta(minutes=1):
        raise ValueError("window is empty or ends in the future")
    return Route(action, start.replace(microsecond=0), end.replace(microsecond=0))


def route(
    text: str,
    now: datetime,
    model: ChatModel | None = None,
    request_id: str = "",
    session: str = "",
    entities: Iterable[str] = (),
) -> tuple[Route, str]:
    """(route, "model" or "offline"): the model first when configured, the rules on any bad answer.

    `entities` are the service and namespace names the source knows: a question naming one is
    an on-call question even without a topic word.
    """
    if model is not None:
        user = render("router", now=now.replace(microsecond=0).isoformat(timespec="seconds"), question=text)
        try:
            raw = complete(model, "router", user, request_id, session, seed=0, response_format={"type": "json_object"})
            return parse_route(raw, now), "model"
        except (ModelError, ValueError, KeyError, TypeError) as exc:
            log.warning("request %s: model router answer refused, rules used (%s)", request_id or "-", exc)
    return route_offline(text, now, entities), "offline"
