"""Knowledge index operations shared by the CLI and the Runbooks page."""

from __future__ import annotations

import logging
from pathlib import Path

from services.auth import Actor, Permission, require
from services.config import KnowledgeSettings
from services.knowledge import shared
from services.knowledge.documents import Document, KnowledgeError, Root, Skipped, scan_all
from services.knowledge.embedders import Embedder, make_embedder
from services.knowledge.index import BuildReport, KnowledgeIndex, Progress, configured_roots, current_generation
from services.knowledge.quality import Finding, check_document
from services.llm.client import ChatModel, complete
from services.llm.prompts import render
from services.storage import StorageError, Store

log = logging.getLogger(__name__)


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
    actor: Actor, settings: KnowledgeSettings, store: Store | None, progress: Progress | None = None
) -> tuple[KnowledgeIndex, BuildReport]:
    """The dashboard's rebuild of the configured index, published for the other replicas: an
    admin's action (services/auth)."""
    require(actor, Permission.REBUILD_INDEX)
    index, report = build_index(settings, progress=progress)
    if store is not None:
        shared.publish(store, index, actor.name)
    return index, report


def load_index(settings: KnowledgeSettings, index_dir: Path | None = None, embedder: Embedder | None = None) -> KnowledgeIndex:
    return KnowledgeIndex.load(index_dir or settings.index_dir, embedder or make_embedder(settings))


def load_or_build_index(settings: KnowledgeSettings, index_dir: Path | None = None, store: Store | None = None) -> KnowledgeIndex:
    """The index: the newest one another replica published, or the local one, or (if there is
    none anywhere) built from the configured folders and published."""
    directory = index_dir or settings.index_dir
    embedder = make_embedder(settings)
    if store is not None:
        sync_shared(store, directory, embedder.name)
    if not KnowledgeIndex.exists(directory):
        index = build_index(settings, index_dir=directory, embedder=embedder)[0]
        if store is not None:
            shared.publish(store, index, "first start")
        return index
    return load_index(settings, directory, embedder)


def sync_shared(store: Store, directory: Path, embedder: str) -> str | None:
    """The newest published index into `directory` (see services.knowledge.shared); a database
    that cannot be read leaves the local index in use, and says so in the log."""
    try:
        return shared.sync(store, directory, embedder)
    except (StorageError, KnowledgeError, OSError) as exc:  # the load that follows says what it means
        log.warning("shared runbook index not taken, the local one stays in use: %s", exc)
        return current_generation(directory)


def check_runbooks(roots: list[Root]) -> tuple[list[Document], list[Finding], list[Skipped]]:
    """Every runbook under `roots` with its quality findings, and the files that could not be read."""
    documents, skipped = scan_all(roots)
    findings = [f for doc in documents for f in check_document(doc)]
    return documents, findings, skipped


def review_runbook(model: ChatModel, doc: Document) -> str:
    """An LLM review of one runbook (its text redacted before it is sent)."""
    return complete(model, "runbook_review", render("runbook_review", title=doc.title, body=doc.body))
