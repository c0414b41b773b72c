"""Which services, namespaces or edge a question is about, from the names the source knows.

Names are matched tolerantly: in any case, with '-', '_' or a space between their words, with
Korean particles glued on ("ledger가", "checkout 서비스", "cart에서 inventory로"), and with one
typo in names of six letters or more. Two services joined by a direction ("cart -> inventory",
"from cart to inventory", "cart에서 inventory로") name an edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.assistant.topics import edit_distance

_WORD = re.compile(r"[a-z0-9][a-z0-9_-]*", re.ASCII)
_DIRECTION = re.compile(r"->|→|=>|에서|\bto\b|\bcalling\b|\bcalls?\b", re.ASCII)


@dataclass
class Entities:
    services: list[str] = field(default_factory=list)  # in the order the question names them
    namespaces: list[str] = field(default_factory=list)
    edge: tuple[str, str] | None = None  # (caller, destination)

    @property
    def subject(self) -> str | None:
        """The service to investigate: an edge's destination, else the first service named."""
        if self.edge:
            return self.edge[1]
        return self.services[0] if self.services else None


def _pattern(name: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[-_ ]+", name.lower()) if w]
    return re.compile(r"(?<![a-z0-9])" + r"[-_ ]?".join(words) + r"(?![a-z0-9])", re.ASCII)


def _positions(text: str, names: list[str]) -> dict[str, int]:
    """Where each known name first appears in `text` (exactly, or one typo away)."""
    lower = text.lower()
    found: dict[str, int] = {}
    for name in names:
        m = _pattern(name).search(lower)
        if m:
            found[name] = m.start()
    words = [(m.group(), m.start()) for m in _WORD.finditer(lower)]
    for name in names:
        if name in found or len(name) < 6:
            continue
        for word, at in words:
            if word[0] == name[0] and abs(len(word) - len(name)) <= 1 and edit_distance(word, name.lower(), 1) <= 1:
                found[name] = at
                break
    # A name inside a longer matched name ("cart" in "cart-api") is not named on its own.
    return {n: p for n, p in found.items() if not any(o != n and n in o and found[o] <= p < found[o] + len(o) for o in found)}


def find(text: str, services: list[str], namespaces: list[str] | None = None) -> Entities:
    """The entities `text` names, among the source's `services` and `namespaces`."""
    at = _positions(text, list(services))
    ordered = sorted(at, key=lambda n: at[n])
    ns = _positions(text, [n for n in namespaces or [] if n not in at])
    result = Entities(ordered, sorted(ns, key=lambda n: ns[n]))
    if len(ordered) >= 2:
        first, second = ordered[0], ordered[1]
        between = text.lower()[at[first] + len(first) : at[second]]
        if _DIRECTION.search(between) and len(between) <= 24:
            result.edge = (first, second)
    return result
