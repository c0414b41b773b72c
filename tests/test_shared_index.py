"""The runbook index shared by replicas through the database: a rebuild on one reaches the other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.auth import Actor, Kind, PermissionDenied, Role
from services.knowledge import indexing, shared
from services.knowledge.documents import Root
from services.knowledge.embedders import LocalEmbedder
from services.knowledge.index import KnowledgeIndex, current_generation
from services.storage import Store

EMBEDDER = LocalEmbedder()
ADMIN = Actor("ana@example.com", Role.ADMIN, Kind.SIGNED_IN)
TOKEN = "xoxb-1234567890-abcdefghijklmnop"


def runbook(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(f"# {name}\n\n## Meaning\n\n{body}\n\n## Mitigation\n\nRestart it.\n", encoding="utf-8")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def store(request, tmp_path) -> Store:
    if request.param == "sqlite":
        return Store.open(f"sqlite:///{tmp_path / 'oncall.db'}")
    return Store.open(request.getfixturevalue("postgres_url"))


def test_a_rebuild_on_one_replica_is_loaded_by_the_other(store, tmp_path):
    runbooks, replica_a, replica_b = tmp_path / "runbooks", tmp_path / "a" / "kb", tmp_path / "b" / "kb"
    runbook(runbooks, "LedgerPoolSaturated", f"The ledger connection pool is full. Slack bot token {TOKEN}.")
    first, _ = KnowledgeIndex.build([Root(runbooks)], replica_a, EMBEDDER)
    assert shared.sync(store, replica_b, EMBEDDER.name) is None  # nothing published yet
    shared.publish(store, first, ADMIN.name)

    assert shared.sync(store, replica_b, EMBEDDER.name) == current_generation(replica_a)
    on_b = KnowledgeIndex.load(replica_b, EMBEDDER)
    assert on_b.search("ledger connection pool full")[0].title == "LedgerPoolSaturated"
    assert TOKEN not in (replica_b / current_generation(replica_b) / "chunks.jsonl").read_text()  # redacted on publish
    assert TOKEN in (replica_a / current_generation(replica_a) / "chunks.jsonl").read_text()  # the local copy is the file

    runbook(runbooks, "MeshCertExpiring", "Istio workload certificates are about to expire; istiod cannot sign.")
    second, _ = KnowledgeIndex.build([Root(runbooks)], replica_a, EMBEDDER)
    shared.publish(store, second, ADMIN.name)
    before = current_generation(replica_b)
    assert shared.sync(store, replica_b, EMBEDDER.name) == current_generation(replica_a) != before
    reloaded = KnowledgeIndex.load(replica_b, EMBEDDER)
    assert reloaded.search("istio certificate expiry istiod")[0].title == "MeshCertExpiring"
    assert store.count("index_generations") == 2  # older generations are dropped


def test_another_embedders_index_is_not_taken(store, tmp_path):
    runbooks = tmp_path / "runbooks"
    runbook(runbooks, "DiskFull", "The node's disk is full.")
    built, _ = KnowledgeIndex.build([Root(runbooks)], tmp_path / "a", EMBEDDER)
    shared.publish(store, built, ADMIN.name)
    assert shared.sync(store, tmp_path / "b", "openai:text-embedding-3-small") is None
    assert not KnowledgeIndex.exists(tmp_path / "b")


def test_the_dashboards_rebuild_publishes_and_needs_an_admin(store, tmp_path):
    runbooks = tmp_path / "runbooks"
    runbook(runbooks, "QueueBacklog", "Consumers fall behind the payments queue.")
    from services.config import KnowledgeSettings

    settings = KnowledgeSettings(index_dir=tmp_path / "a", runbook_dirs=(runbooks,))
    viewer = Actor("vic@example.com", Role.VIEWER, Kind.SIGNED_IN)
    with pytest.raises(PermissionDenied):
        indexing.rebuild_index(viewer, settings, store)
    assert store.latest_index(EMBEDDER.name) is None
    index, _ = indexing.rebuild_index(ADMIN, settings, store)
    latest = store.latest_index(EMBEDDER.name)
    assert latest["name"] == current_generation(index.directory) and latest["author"] == ADMIN.name
    # A fresh replica with no index of its own takes the published one instead of building.
    other = indexing.load_or_build_index(KnowledgeSettings(index_dir=tmp_path / "b"), store=store)
    assert json.loads((other.directory / latest["name"] / "manifest.json").read_text())["chunk_count"] == len(index.chunks)
