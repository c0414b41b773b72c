"""Reading runbook folders: Markdown (YAML or TOML front matter), plain text and HTML exports.

Nothing here raises for a bad file: it is skipped with the reason, so one broken runbook never
stops a build. A folder that is missing or holds nothing readable is an error, since an index
without it would silently answer from less than the team expects.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup

MARKDOWN = {".md", ".markdown"}
TEXT = {".txt", ".text"}
HTML = {".html", ".htm"}
SUPPORTED = MARKDOWN | TEXT | HTML
MAX_BYTES = 2_000_000


class KnowledgeError(RuntimeError):
    """The knowledge index cannot do what was asked; the message says why and what to run."""


@dataclass(frozen=True)
class Root:
    path: Path
    internal: bool = False  # chunks from an internal root are never quoted by the chat


@dataclass
class Document:
    root: str
    source: str  # path relative to its root, or the URL the front matter gives
    path: str  # path relative to its root, always
    title: str
    body: str  # Markdown (HTML is converted, text kept as paragraphs)
    visibility: str
    sha: str
    front_matter: dict

    @property
    def key(self) -> str:
        return f"{self.root}::{self.path}"


@dataclass(frozen=True)
class Skipped:
    root: str
    path: str
    reason: str


class _FrontMatterLoader(yaml.SafeLoader):
    """safe_load without aliases: front matter never needs them, and a "billion laughs" alias
    bomb expands to gigabytes the moment anything walks it."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases (*name) are not allowed in front matter")
        return super().compose_node(parent, index)


MAX_FRONT_MATTER = 64_000


def _yaml(raw: str) -> Any:
    return yaml.load(raw, Loader=_FrontMatterLoader)  # noqa: S506 (a SafeLoader subclass)


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML (---) or TOML (+++) front matter and the rest; ValueError if it does not parse."""
    for fence, parse in (("---", _yaml), ("+++", tomllib.loads)):
        if text.startswith(fence + "\n") or text.startswith(fence + "\r\n"):
            end = text.find("\n" + fence, len(fence))
            if end == -1:
                raise ValueError(f"front matter opened with {fence} is never closed")
            raw = text[len(fence) + 1 : end]
            if len(raw) > MAX_FRONT_MATTER:
                raise ValueError(f"front matter is larger than {MAX_FRONT_MATTER // 1000} KB")
            try:
                meta = parse(raw) or {}
            except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
                raise ValueError(f"front matter does not parse: {str(exc).splitlines()[0]}") from None
            if not isinstance(meta, dict):
                raise ValueError("front matter is not a mapping of keys to values")
            rest = text[end + len(fence) + 1 :]
            return meta, rest.lstrip("\r\n")
    return {}, text


def html_to_markdown(html: str) -> tuple[str, str]:
    """The page's title and its headings and text as Markdown (Confluence exports and the like)."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    lines = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "td"]):
        if el.find_parent(["pre", "li", "td"]) is not None and el.name != "pre":
            continue
        text = el.get_text("\n" if el.name == "pre" else " ", strip=True)
        if not text:
            continue
        if el.name.startswith("h"):
            lines.append(f"\n{'#' * int(el.name[1])} {text}\n")
        elif el.name == "pre":
            lines.append(f"\n```\n{text}\n```\n")
        elif el.name == "li":
            lines.append(f"- {text}")
        else:
            lines.append(f"\n{text}\n")
    return title, "\n".join(lines).strip()


def _first_heading(body: str) -> str:
    in_code = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("# "):
            return line[2:].strip()
    return ""


def read_document(root: Root, path: Path) -> Document | Skipped:
    rel = path.relative_to(root.path).as_posix()
    root_name = str(root.path)
    try:
        if not path.resolve().is_relative_to(root.path.resolve()):
            return Skipped(root_name, rel, "a link to a file outside the runbook folder")
    except (OSError, RuntimeError) as exc:
        return Skipped(root_name, rel, f"unreadable: {exc}")
    try:
        if path.stat().st_size > MAX_BYTES:
            return Skipped(root_name, rel, f"larger than {MAX_BYTES // 1_000_000} MB")
        raw = path.read_bytes()
    except OSError as exc:
        return Skipped(root_name, rel, f"unreadable: {exc.strerror or exc}")
    if b"\x00" in raw[:8192]:
        return Skipped(root_name, rel, "binary file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(root_name, rel, f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})")
    suffix = path.suffix.lower()
    meta: dict = {}
    if suffix in MARKDOWN:
        try:
            meta, body = split_front_matter(text)
        except ValueError as exc:
            return Skipped(root_name, rel, str(exc))
        title = _first_heading(body) or str(meta.get("title") or "") or path.stem
    elif suffix in HTML:
        title, body = html_to_markdown(text)
        title = title or _first_heading(body) or path.stem
    else:
        body = text
        title = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
    content = re.sub(r"\{\{[<%].*?[%>]\}\}", "", body, flags=re.DOTALL).strip()  # Hugo shortcodes
    if not content or content == f"# {title}":
        return Skipped(root_name, rel, "no content (an index page or an empty file)")
    source = str(meta.get("url") or meta.get("source") or rel)
    visibility = "internal" if root.internal else str(meta.get("visibility") or "public")
    return Document(root_name, source, rel, title, body, visibility, hashlib.sha256(raw).hexdigest(), meta)


def scan(root: Root) -> tuple[list[Document], list[Skipped]]:
    """Every runbook under `root`; KnowledgeError if the folder is missing or has none."""
    if not root.path.is_dir():
        raise KnowledgeError(f"runbook folder {root.path} does not exist or is not a folder")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for path in sorted(root.path.rglob("*")):
        rel_parts = path.relative_to(root.path).parts
        if any(part.startswith(".") for part in rel_parts) or not path.is_file():
            continue
        if path.suffix.lower() not in SUPPORTED:
            skipped.append(Skipped(str(root.path), "/".join(rel_parts), f"unsupported file type {path.suffix or '(none)'}"))
            continue
        try:
            result = read_document(root, path)
        except Exception as exc:  # one hostile or broken file must not stop the others: skipped with the reason
            result = Skipped(str(root.path), "/".join(rel_parts), f"could not be read: {exc.__class__.__name__}")
        if isinstance(result, Document):
            documents.append(result)
        else:
            skipped.append(result)
    if not documents:
        found = f" ({len(skipped)} files skipped)" if skipped else ""
        raise KnowledgeError(f"runbook folder {root.path} has no readable Markdown, text or HTML runbook{found}")
    return documents, skipped


def scan_all(roots: list[Root]) -> tuple[list[Document], list[Skipped]]:
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for root in roots:
        found, passed = scan(root)
        documents.extend(found)
        skipped.extend(passed)
    return documents, skipped
