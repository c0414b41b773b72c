"""Knowledge index operations shared by the CLI and the Runbooks page."""

from __future__ import annotations

from pathlib import Path

from services.auth import Actor, Permission, require
from services.config import KnowledgeSettings
from services.knowledge.documents import Document, Root, Skipped, scan_all
from services.knowledge.embedders import Embedder, make_embedder
from services.knowledge.index import BuildReport, KnowledgeIndex, Progress, configured_roots
from services.knowledge.quality import Finding, check_document
from services.llm.client import ChatModel, complete
from services.llm.prompts import render


def roots_from(settings: KnowledgeSettings, paths: list[str] | None = None, internal: list[str] | None = None) -> list[Root]:
    """The given folders, or the configured ones (bundled + ONCALL_*RUNBOOK_DIRS) when none are."""
    if not paths and not internal:
        return configured_roots(settings)
    return [Root(Path(p).expanduser().resolve()) for p in paths or []] + [
        Root(Path(p).expanduser().resolve(), internal=True) for p in internal or []
    ]


def build_index(
    settings: KnowledgeSettings,
    roots: list[Root] | None = None,
    index_dir: Path | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> tuple[KnowledgeIndex, BuildReport]:
    """Build or update the index (only changed documents are re-embedded)."""
    return KnowledgeIndex.build(
        roots if roots is not None else configured_roots(settings),
        index_dir or settings.index_dir,
        embedder or make_embedder(settings),
        progress,
        settings.send_internal,
    )


def rebuild_index(
    actor: Actor, settings: KnowledgeSettings, progress: Progress | None = None
) -> tuple[KnowledgeIndex, BuildReport]:
    """The dashboard's rebuild of the configured index: an admin's action (services/auth)."""
    require(actor, Permission.REBUILD_INDEX)
    return build_index(settings, progress=progress)


def load_index(settings: KnowledgeSettings, index_dir: Path | None = None, embedder: Embedder | None = None) -> KnowledgeIndex:
    return KnowledgeIndex.load(index_dir or settings.index_dir, embedder or make_embedder(settings))


def load_or_build_index(settings: KnowledgeSettings, index_dir: Path | None = None) -> KnowledgeIndex:
    """The index, built from the configured folders first if there is none yet."""
    directory = index_dir or settings.index_dir
    if not KnowledgeIndex.exists(directory):
        return build_index(settings, index_dir=directory)[0]
    return load_index(settings, directory)


def check_runbooks(roots: list[Root]) -> tuple[list[Document], list[Finding], list[Skipped]]:
    """Every runbook under `roots` with its quality findings, and the files that could not be read."""
    documents, skipped = scan_all(roots)
    findings = [f for doc in documents for f in check_document(doc)]
    return documents, findings, skipped


def review_runbook(model: ChatModel, doc: Document) -> str:
    """An LLM review of one runbook (its text redacted before it is sent)."""
    return complete(model, "runbook_review", render("runbook_review", title=doc.title, body=doc.body))
