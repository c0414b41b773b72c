"""Knowledge index operations shared by the CLI and the Runbooks page."""

from __future__ import annotations

from pathlib import Path

from services.knowledge.documents import Document, Root, Skipped, scan_all
from services.knowledge.embedders import Embedder, make_embedder
from services.knowledge.index import BuildReport, KnowledgeIndex, Progress, configured_roots, default_index_dir
from services.knowledge.quality import Finding, check_document
from services.llm.client import ModelSettings, complete


def roots_from(paths: list[str] | None, internal: list[str] | None = None) -> list[Root]:
    """The given folders, or the configured ones (bundled + ONCALL_*RUNBOOK_DIRS) when none are."""
    if not paths and not internal:
        return configured_roots()
    return [Root(Path(p).expanduser().resolve()) for p in paths or []] + [
        Root(Path(p).expanduser().resolve(), internal=True) for p in internal or []
    ]


def build_index(roots: list[Root], index_dir: Path | None = None, embedder: Embedder | None = None,
          progress: Progress | None = None) -> tuple[KnowledgeIndex, BuildReport]:
    return KnowledgeIndex.build(roots, index_dir or default_index_dir(), embedder or make_embedder(), progress)


def load_index(index_dir: Path | None = None, embedder: Embedder | None = None) -> KnowledgeIndex:
    return KnowledgeIndex.load(index_dir or default_index_dir(), embedder or make_embedder())


def check_runbooks(roots: list[Root]) -> tuple[list[Document], list[Finding], list[Skipped]]:
    """Every runbook under `roots` with its quality findings, and the files that could not be read."""
    documents, skipped = scan_all(roots)
    findings = [f for doc in documents for f in check_document(doc)]
    return documents, findings, skipped


def review_runbook(settings: ModelSettings, doc: Document) -> str:
    """An LLM review of one runbook (its text redacted before it is sent)."""
    return complete(settings, "runbook_review", f"# {doc.title}\n\n{doc.body}")


def load_or_build_index(index_dir: Path | None = None, embedder: Embedder | None = None) -> KnowledgeIndex:
    """The index, built from the configured folders first if there is none yet."""
    directory = index_dir or default_index_dir()
    embedder = embedder or make_embedder()
    if not (directory / "manifest.json").is_file():
        return build_index(configured_roots(), directory, embedder)[0]
    return load_index(directory, embedder)
