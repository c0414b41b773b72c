"""Splitting runbooks into chunks along their headings, and finding the alerts they name."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

from services.knowledge.documents import Document

MAX_CHARS = 1600  # of a chunk's body; longer sections are split at paragraph breaks
MIN_BODY_CHARS = 12  # a section with less than this is a heading only

# The words of a CamelCase name; capital runs are words too (TCP, TSDB, WAL, API, KV).
CAMEL_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_IDENTIFIER_WORD = re.compile(r"(?<![\w.-])[A-Za-z][A-Za-z0-9]*(?![\w-])")


def camel_parts(word: str) -> list[str]:
    return CAMEL_PARTS.findall(word)


def _alert_like(word: str, min_parts: int) -> bool:
    """A CamelCase identifier of `min_parts` or more words with at least one capital inside."""
    parts = camel_parts(word)
    return len(parts) >= min_parts and "".join(parts) == word and any(ch.isupper() for ch in word[1:])


def alert_names(text: str) -> list[str]:
    """Alert-like names in running text (three or more CamelCase words: KubePodCrashLooping,
    etcdNoLeader, PostgresWALArchivingFailing), in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _IDENTIFIER_WORD.finditer(text):
        if _alert_like(match.group(0), 3):
            seen.setdefault(match.group(0), None)
    return list(seen)


def heading_alert(heading: str) -> str | None:
    """The alert a heading names: the heading is one identifier of two or more CamelCase words
    (TargetDown, KafkaBrokerDiskFull), optionally in backticks."""
    name = heading.strip().strip("`").strip()
    return name if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name) and _alert_like(name, 2) else None


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
    primary_alerts: list[str]  # the alert(s) the chunk's section is about: its runbook's, or a heading's
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


def _rows(para: str, limit: int) -> list[str]:
    """A paragraph too long for one chunk, cut at line ends; a table repeats its header rows."""
    lines = para.splitlines()
    header: list[str] = []
    if len(lines) > 2 and lines[0].lstrip().startswith("|") and re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", lines[1]):
        header = lines[:2]
        lines = lines[2:]
    pieces, current = [], list(header)
    for line in lines:
        while len(line) > limit:  # one line longer than a chunk: cut it
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) > len(header) and sum(len(x) + 1 for x in current) + len(line) > limit:
            pieces.append("\n".join(current))
            current = list(header)
        current.append(line)
    if len(current) > len(header):
        pieces.append("\n".join(current))
    return pieces


def _split(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Paragraph-aligned pieces of at most about `limit` characters; a longer paragraph is cut at
    line ends (table rows stay whole, under their header)."""
    pieces, current = [], ""
    for para in re.split(r"\n\s*\n", text):
        for part in _rows(para, limit) if len(para) > limit else [para]:
            if current and len(current) + len(part) + 2 > limit:
                pieces.append(current)
                current = part
            else:
                current = f"{current}\n\n{part}" if current else part
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


SMALL_PARENT_CHARS = 240  # an intro this short above subsections is read with its first child
SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.DOTALL)


def _merged(parts: list[tuple[list[str], str]]) -> list[tuple[list[str], str]]:
    """Sections with a short intro above their subsections folded into the first subsection.

    A parent heading with a one-line intro would otherwise be a chunk of its own that outranks
    the child that answers.
    """
    out: list[tuple[list[str], str]] = []
    carry = ""
    for i, (path, text) in enumerate(parts):
        following = parts[i + 1][0] if i + 1 < len(parts) else []
        has_child = len(following) > len(path) and following[: len(path)] == path
        if has_child and len(text) < SMALL_PARENT_CHARS:
            carry = f"{carry}\n\n{text}".strip() if text else carry
            continue
        out.append((path, f"{carry}\n\n{text}".strip() if carry else text))
        carry = ""
    return out


def chunk_document(doc: Document, first_id: int = 0) -> list[Chunk]:
    page_alerts = primary_alerts(doc)
    chunks: list[Chunk] = []
    for path, text in _merged(sections(SHORTCODE.sub("", doc.body))):
        if path and path[0] == doc.title:
            path = path[1:]  # the H1 is the title, already on every chunk
        if len(text) < MIN_BODY_CHARS:
            continue
        # In a page with a section per alert, a section is about the alert its heading names.
        named = [a for a in (heading_alert(h) for h in path) if a]
        primary = named[-1:] or page_alerts
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
                    alerts=list(dict.fromkeys(primary + named + alert_names(piece))),
                    primary_alerts=primary,
                    visibility=doc.visibility,
                    hash=hashlib.sha256(full.encode()).hexdigest()[:16],
                )
            )
    return chunks
