"""The dependencies every action needs, built in one place from the settings.

The pages build one per run (components/data.runtime) and the CLI one per command
(services/cli); services receive it as one value instead of five parameters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.auth import ANONYMOUS, Actor
from services.config import Settings
from services.integrations.alertmanager import AlertmanagerClient
from services.knowledge.index import KnowledgeIndex
from services.knowledge.warmup import LiveIndex
from services.llm.client import ChatModel
from services.sources.base import MetricSource
from services.sources.factory import make_source, now_for
from services.storage import StorageError, Store
from services.timewindow import iso, utcnow

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    source: MetricSource
    store: Store | None  # None: the database cannot be opened (store_problem says why)
    model: ChatModel | None  # None: offline answers
    alertmanager: AlertmanagerClient | None
    index_loader: Callable[[], KnowledgeIndex | None] = field(default=lambda: None, repr=False)
    store_problem: str | None = None
    actor: Actor = ANONYMOUS  # who is acting: checked by services/auth where side effects run
    _index: KnowledgeIndex | None = field(default=None, init=False, repr=False)
    _index_loaded: bool = field(default=False, init=False, repr=False)

    @property
    def index(self) -> KnowledgeIndex | None:
        """The runbook index, loaded on first use (None when there is none)."""
        if not self._index_loaded:
            self._index, self._index_loaded = self.index_loader(), True
        return self._index

    def now(self) -> datetime:
        return now_for(self.settings.sources)


_retained: set[str] = set()
_served: dict[Settings, LiveIndex] = {}
_served_lock = threading.Lock()


def served_index(settings: Settings) -> LiveIndex:
    """The runbook index this process serves for `settings`: one per process, started by the
    server before it answers (components.server) and used by every page and question after."""
    with _served_lock:
        live = _served.get(settings)
        if live is None:
            from services.knowledge import indexing  # FAISS and the encoder: on the loading thread's first use

            live = _served[settings] = LiveIndex(
                lambda: indexing.load_or_build_index(settings.knowledge, settings.knowledge.index_dir, open_store(settings)[0])
            )
        return live


def open_store(settings: Settings) -> tuple[Store | None, str | None]:
    """The database, with the retention period applied once per process; or why it cannot be opened."""
    try:
        store = Store.open(settings.storage.db_url)
    except (StorageError, OSError) as exc:
        log.error("database unavailable: %s", exc)
        return None, str(exc)
    if store.url not in _retained:
        _retained.add(store.url)
        apply_retention(store, settings.storage.retention_days)
    return store, None


def apply_retention(store: Store, days: int) -> dict[str, int]:
    """Delete what is older than `days`; a failure is logged (the data stays until next time)."""
    try:
        deleted = store.purge(iso(utcnow() - timedelta(days=days)))
    except StorageError as exc:
        log.error("retention of %d days not applied: %s", days, exc)
        return {}
    if any(deleted.values()):
        log.info("retention: deleted %s older than %d days", deleted, days)
    return deleted


def build_runtime(
    settings: Settings,
    source: MetricSource | None = None,
    index_loader: Callable[[], KnowledgeIndex | None] | None = None,
    *,
    actor: Actor,
) -> Runtime:
    """Everything from `settings`; the UI passes its cached source and index."""
    store, problem = open_store(settings)
    model = ChatModel(settings.model, store) if settings.model else None
    alertmanager = AlertmanagerClient(settings.sources) if settings.sources.alertmanager_url else None
    return Runtime(
        settings,
        source or make_source(settings.sources),
        store,
        model,
        alertmanager,
        index_loader or (lambda: None),
        problem,
        actor,
    )
