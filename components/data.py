"""The pages' reads: the shared, cached metric source (services.sources.cache), the service graph
and investigations (Streamlit caches), the database, the runbook index and the runtime."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

import pandas as pd
import streamlit as st

from components.identity import current_actor
from components.state import View
from services import overview
from services.config import KnowledgeSettings, Settings, SourceSettings
from services.i18n import Language, text
from services.integrations.alertmanager import AlertmanagerClient
from services.runtime import Runtime, build_runtime, open_store, served_index
from services.sources.base import Filters, MetricSource, SourceError, SourceStatus
from services.sources.cache import CachingSource, derived
from services.sources.factory import make_source
from services.timewindow import Window

if TYPE_CHECKING:
    from services.knowledge.warmup import IndexWarmup


@st.cache_resource(show_spinner=False)
def source_for(settings: SourceSettings) -> MetricSource:
    """One source per configuration, shared by every session, its reads cached (services.sources.cache)."""
    return cast(MetricSource, CachingSource(make_source(settings)))


def _alertmanager(settings: SourceSettings) -> AlertmanagerClient | None:
    return AlertmanagerClient(settings) if settings.alertmanager_url else None


PAGES: dict[str, Callable[..., dict[str, pd.DataFrame | SourceError]]] = {
    "overview": overview.overview_data,
    "mesh_summaries": overview.mesh_summaries,
    "mesh_curves": overview.mesh_curves,
}


def read(settings: SourceSettings, method: str, window: Window, *args: Any) -> pd.DataFrame:
    """`source.method(window, *args)`, from the shared cache when someone read it already."""
    return getattr(source_for(settings), method)(window, *args)


def page_data(settings: SourceSettings, page: str, window: Window, *args: Any) -> dict[str, pd.DataFrame | SourceError]:
    """All reads of a page at once (services.overview.<page>); failed parts are SourceErrors.
    Each read comes from the shared cache, so a rerun, another session or the chat asking the
    same costs no query."""
    return PAGES[page](source_for(settings), window.aligned(), *args)


def mesh_incidents(
    settings: SourceSettings, window: Window, step: int, filters: Filters, selection: overview.MeshSelection
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Mesh page's service and edge incidents (services.overview.mesh_incidents), found once
    per window and selection for every rerun, session and chat question."""
    return derived(source_for(settings), overview.mesh_incidents, window.aligned(), step, filters, selection.candidates())


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def service_graph(settings: SourceSettings, window: Window, filters: Filters) -> Any:
    """The service graph of a window (services.mesh.graph), shared by every session for a minute."""
    from services.mesh.graph import build_graph

    return build_graph(source_for(settings), window.aligned(), filters)


def investigation(settings: SourceSettings, window: Window, service: str, namespace: str, cluster: str, step: int) -> Any:
    """One service's investigation (services.mesh.investigate), kept in the shared read cache
    for every rerun, session and chat question about it, unless a read in it failed."""
    from services.mesh.investigate import investigate

    return derived(
        source_for(settings),
        investigate,
        window.aligned(),
        service,
        namespace or None,
        cluster or None,
        step,
        keep=lambda found: found.complete,
    )


@st.cache_data(ttl=30, show_spinner=False)
def source_status(settings: SourceSettings) -> SourceStatus:
    return source_for(settings).status()


@st.cache_data(ttl=30, show_spinner=False)
def label_values(settings: SourceSettings, label: Literal["cluster", "namespace"]) -> list[str]:
    return source_for(settings).label_values(label)


@st.cache_data(ttl=30, show_spinner=False)
def alertmanager_status(settings: SourceSettings) -> SourceStatus | None:
    client = _alertmanager(settings)
    return client.status() if client else None


@st.cache_data(ttl=30, show_spinner=False)
def alertmanager_alerts(settings: SourceSettings) -> pd.DataFrame:
    client = _alertmanager(settings)
    if client is None:
        raise SourceError("ALERTMANAGER_URL is not set")
    return client.alerts()


@st.cache_data(ttl=30, show_spinner=False)
def alertmanager_silences(settings: SourceSettings) -> pd.DataFrame:
    client = _alertmanager(settings)
    if client is None:
        raise SourceError("ALERTMANAGER_URL is not set")
    return client.silences()


@st.cache_data(ttl=5, show_spinner=False)
def index_generation(settings: Settings) -> str | None:
    """The current index generation, after taking the newest one another replica published
    (checked every few seconds, not on every rerun)."""
    from services.knowledge import indexing
    from services.knowledge.embedders import make_embedder
    from services.knowledge.index import current_generation

    store, _ = open_store(settings)
    directory = settings.knowledge.index_dir
    if store is None:
        return current_generation(directory)
    return indexing.sync_shared(store, directory, make_embedder(settings.knowledge).name)


def warm_index(settings: Settings) -> IndexWarmup:
    """The index of the current generation, its load started if it was not (every page calls this)."""
    return served_index(settings).at(index_generation(settings))


def assistant_index(settings: Settings, lang: Language) -> Any:
    """The assistant's runbook index, waiting for the background load if a question came first;
    None (after saying why) if it cannot be had."""
    warm = warm_index(settings)
    index = warm.get(timeout=300)
    if index is None:
        st.warning(text("data.runbooks_unavailable", lang, error=warm.error or warm.state))
    return index


@st.cache_data(ttl=300, show_spinner=False)
def runbook_check(settings: KnowledgeSettings) -> tuple[list, list, list]:
    """The quality report of the configured runbooks (a scan of every folder: cached, cleared on rebuild)."""
    from services.knowledge import indexing

    return indexing.check_runbooks(indexing.roots_from(settings))


def runtime(view: View) -> Runtime:
    """The dependencies for this run: the shared source, the database, the model, the shared index."""
    settings = view.settings
    if settings.model_problem:
        st.error(view.t("data.model_problem", problem=settings.model_problem))
    built = build_runtime(
        settings, source_for(settings.sources), lambda: assistant_index(settings, view.lang), actor=current_actor(settings.access)
    )
    if built.store_problem:
        st.warning(view.t("data.store_problem", problem=built.store_problem))
    return built


def store_or_stop(view: View) -> Any:
    """The database, or (after saying why) the end of the page."""
    from services.storage import StorageError, Store

    try:
        return Store.open(view.settings.storage.db_url)
    except StorageError as exc:
        st.error(view.t("data.store_unavailable", error=exc))
        st.stop()
