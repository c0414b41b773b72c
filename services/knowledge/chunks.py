"""Splitting runbooks into chunks along their headings, and finding the alerts they name."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

from services.knowledge.documents import Document

MAX_CHARS = 1600  # of a chunk's body; longer sections are split at paragraph breaks
MIN_BODY_CHARS = 12  # a section with less than this is a heading only

# CamelCase words of three or more parts (KubePodCrashLooping, etcdNoLeader, CPUThrottlingHigh).
ALERT_NAME = re.compile(r"\b(?:[A-Z]{2,}|[A-Za-z][a-z0-9]+)(?:[A-Z][a-z0-9]+){2,}\b")


def alert_names(text: str) -> list[str]:
    """Alert-like names in `text`, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in ALERT_NAME.finditer(text):
        seen.setdefault(match.group(0), None)
    return list(seen)


@dataclass
class Chunk:
    id: int
    root: str
    source: str
    path: str
    title: str
    section: str  # heading path below the title, "A > B"; "" for the text before any heading
    text: str  # title and section path, then the body: what is embedded and searched
    body: str
    alerts: list[str]  # alert names the chunk mentions
    primary_alerts: list[str]  # the alert(s) the whole runbook is about
    visibility: str
    hash: str = field(default="")

    def to_dict(self) -> dict:
        return asdict(self)


def sections(body: str) -> list[tuple[list[str], str]]:
    """(heading path, text) per heading; headings inside code fences are text."""
    parts: list[tuple[list[str], list[str]]] = [([], [])]
    stack: list[tuple[int, str]] = []
    in_code = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match:
            level = len(match.group(1))
            stack = [(lv, name) for lv, name in stack if lv < level] + [(level, match.group(2))]
            parts.append(([name for _, name in stack], []))
        else:
            parts[-1][1].append(line)
    return [(path, "\n".join(lines).strip()) for path, lines in parts]


def _split(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Paragraph-aligned pieces of at most `limit` characters (a longer paragraph is cut)."""
    pieces, current = [], ""
    for para in re.split(r"\n\s*\n", text):
        while len(para) > limit:
            pieces.append(para[:limit])
            para = para[limit:]
        if current and len(current) + len(para) + 2 > limit:
            pieces.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current:
        pieces.append(current)
    return pieces


_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*[a-z][A-Za-z0-9]*")


def primary_alerts(doc: Document) -> list[str]:
    """The alerts a runbook is about: named by its file, its title or its front matter.

    A file or title that is one identifier (TargetDown, Watchdog) is taken as the alert's name.
    """
    stem = doc.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    names = [n for n in (stem, doc.title) if _IDENTIFIER.fullmatch(n) and any(ch.isupper() for ch in n)]
    names += alert_names(doc.title)
    declared = doc.front_matter.get("alerts") or []
    if isinstance(declared, str):
        declared = [declared]
    return list(dict.fromkeys(names + [str(a) for a in declared]))


def chunk_document(doc: Document, first_id: int = 0) -> list[Chunk]:
    primary = primary_alerts(doc)
    chunks: list[Chunk] = []
    for path, text in sections(doc.body):
        if path and path[0] == doc.title:
            path = path[1:]  # the H1 is the title, already on every chunk
        if len(text) < MIN_BODY_CHARS:
            continue
        section = " > ".join(path)
        for piece in _split(text):
            header = doc.title + (f"\n{section}" if section else "")
            full = f"{header}\n\n{piece}"
            chunks.append(
                Chunk(
                    id=first_id + len(chunks),
                    root=doc.root,
                    source=doc.source,
                    path=doc.path,
                    title=doc.title,
                    section=section,
                    text=full,
                    body=piece,
                    alerts=list(dict.fromkeys(primary + alert_names(piece))),
                    primary_alerts=primary,
                    visibility=doc.visibility,
                    hash=hashlib.sha256(full.encode()).hexdigest()[:16],
                )
            )
    return chunks
