"""Cached reads of the metric source for the pages (Streamlit caching around `services`).

A window that ends in the past cannot change, so it is cached for an hour; a live window is
cached for a minute, and its key moves with it anyway since windows are aligned to the minute.
A failed read raises and is not cached, so the next rerun tries again.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from services import overview as dashboard
from services.config import Settings
from services.overview import make_alertmanager, make_source
from services.sources.base import MetricSource, SourceError, SourceStatus
from services.timewindow import Window, utcnow

LIVE_MARGIN = timedelta(minutes=5)


@st.cache_resource(show_spinner=False)
def source_for(settings: Settings) -> MetricSource:
    return make_source(settings)


PAGES = {"overview": dashboard.overview_data, "mesh": dashboard.mesh_data}


class _PartlyFailed(Exception):
    """Carries a page's parts out of the cached function, so that a failure is not cached."""

    def __init__(self, parts: dict):
        super().__init__("a read failed")
        self.parts = parts


def _compute(settings: Settings, what: str, args: tuple) -> Any:
    """A page's reads (a name in PAGES) or one source method."""
    if what not in PAGES:
        return getattr(source_for(settings), what)(*args)
    parts = PAGES[what](source_for(settings), *args)
    if any(isinstance(part, SourceError) for part in parts.values()):
        raise _PartlyFailed(parts)
    return parts


@st.cache_data(ttl=60, max_entries=256, show_spinner=False)
def _live(settings: Settings, what: str, args: tuple) -> Any:
    return _compute(settings, what, args)


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _fixed(settings: Settings, what: str, args: tuple) -> Any:
    return _compute(settings, what, args)


def _cached(settings: Settings, what: str, window: Window, args: tuple) -> Any:
    window = window.aligned()
    live = window.end >= utcnow() - LIVE_MARGIN
    return (_live if live else _fixed)(settings, what, (window, *args))


def read(settings: Settings, method: str, window: Window, *args: Any) -> pd.DataFrame:
    """`source.method(window.aligned(), *args)`, cached by how long its answer can stay true."""
    return _cached(settings, method, window, args)


def page_data(settings: Settings, page: str, window: Window, *args: Any) -> dict[str, pd.DataFrame | SourceError]:
    """All reads of a page at once (services.overview.<page>_data); failed parts are SourceErrors."""
    try:
        return _cached(settings, page, window, args)
    except _PartlyFailed as partial:
        return partial.parts


@st.cache_data(ttl=30, show_spinner=False)
def source_status(settings: Settings) -> SourceStatus:
    return source_for(settings).status()


@st.cache_data(ttl=30, show_spinner=False)
def label_values(settings: Settings, label: str) -> list[str]:
    return source_for(settings).label_values(label)


@st.cache_data(ttl=30, show_spinner=False)
def alertmanager_status(settings: Settings) -> SourceStatus | None:
    client = make_alertmanager(settings)
    return client.status() if client else None


@st.cache_data(ttl=30, show_spinner=False)
def alertmanager_alerts(settings: Settings) -> pd.DataFrame:
    return make_alertmanager(settings).alerts()


@st.cache_data(ttl=30, show_spinner=False)
def alertmanager_silences(settings: Settings) -> pd.DataFrame:
    return make_alertmanager(settings).silences()


@st.cache_resource(show_spinner=False)
def knowledge_index(index_dir: str):
    """The runbook index at `index_dir`, loaded once per process (clear after a rebuild)."""
    from services.knowledge import indexing

    return indexing.load_index(Path(index_dir))


def assistant_index():
    """The default index for the assistant, built on first use if there is none.

    It is the Runbooks page's cached copy, so a rebuild there reaches the assistant too.
    """
    from services.knowledge import indexing
    from services.knowledge.index import default_index_dir

    directory = default_index_dir()
    if not (directory / "manifest.json").is_file():
        indexing.load_or_build_index(directory)
        knowledge_index.clear()
    return knowledge_index(str(directory))


def assistant_resources():
    """(model settings or None, runbook index or None); shows why either is unavailable."""
    from services.knowledge.documents import KnowledgeError
    from services.llm.client import ModelError, model_settings

    try:
        model = model_settings()
    except ModelError as exc:
        st.error(str(exc))
        model = None
    try:
        index = assistant_index()
    except KnowledgeError as exc:
        st.warning(f"Runbooks unavailable: {exc}")
        index = None
    return model, index


def store_or_stop():
    """The database, or (after saying why) the end of the page."""
    from services.storage import StorageError, Store

    try:
        return Store.open()
    except StorageError as exc:
        st.error(str(exc))
        st.stop()
