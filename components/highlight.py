"""A search passage as HTML with the query's words marked."""

from __future__ import annotations

import html
import re

from services.knowledge.lexical import STOP, expand

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]+|[\uac00-\ud7a3]{2,}")


def marked_passage(text: str, query: str) -> str:
    """`text` escaped, with whole-word matches of the query's words (and their English) in <mark>."""
    words = {w for w in _WORD.findall(expand(query)) if w.lower() not in STOP}
    escaped = html.escape(text)
    if words:
        alternatives = "|".join(re.escape(html.escape(w)) for w in sorted(words, key=len, reverse=True))
        pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE)
        escaped = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)
    return f"<div style='white-space: pre-wrap; font-size: 0.9rem'>{escaped}</div>"
