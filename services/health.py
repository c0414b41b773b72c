"""Readiness of one replica: can it reach what it serves from? (`oncall health`, for probes.)

Streamlit's own `/_stcore/health` says only that the server process answers (liveness). This
says whether the replica can do its work: the database opens at the newest schema, the metric
source and Alertmanager answer, the runbook index is there (locally or published by another
replica). Every check is bounded by the sources' own deadlines.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from services.config import Settings
from services.integrations.alertmanager import AlertmanagerClient
from services.sources.factory import make_source
from services.storage import StorageError, Store


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


def _database(settings: Settings) -> tuple[Check, Store | None]:
    try:
        store = Store.open(settings.storage.db_url)
        prompts = store.count("prompts")
    except (StorageError, OSError) as exc:
        return Check("database", False, str(exc)), None
    return Check("database", True, f"{store.shown_url}: schema current, {prompts} prompt versions"), store


def _index(settings: Settings, store: Store | None) -> Check:
    from services.knowledge.embedders import make_embedder
    from services.knowledge.index import KnowledgeIndex, current_generation

    directory = settings.knowledge.index_dir
    embedder = make_embedder(settings.knowledge).name
    published = None
    if store is not None:
        try:
            published = store.latest_index(embedder)
        except StorageError as exc:
            return Check("runbook index", False, f"published index unknown: {exc}")
    if published is not None:
        stale = "" if current_generation(directory) == published["name"] else " (this replica loads it on the next question)"
        return Check("runbook index", True, f"{published['name']} by {published['author']}{stale}")
    if KnowledgeIndex.exists(directory):
        return Check("runbook index", True, f"local {current_generation(directory) or directory}")
    return Check("runbook index", True, "none yet: built on first use from the configured folders")


def checks(settings: Settings) -> list[Check]:
    database, store = _database(settings)
    source = make_source(settings.sources).status()
    found = [database, Check("metrics", source.ok, f"{source.name}: {source.detail}")]
    if settings.sources.alertmanager_url:
        am = AlertmanagerClient(settings.sources).status()
        found.append(Check("alertmanager", am.ok, f"{am.name}: {am.detail}"))
    found.append(_index(settings, store))
    return found
