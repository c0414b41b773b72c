"""Cached reads of the metric source for the pages (Streamlit caching around `services`).

A window that ends in the past cannot change, so it is cached for an hour; a live window is
cached for a minute, and its key moves with it anyway since windows are aligned to the minute.
A failed read raises and is not cached, so the next rerun tries again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from services import dashboard
from services.config import Settings
from services.dashboard import make_alertmanager, make_source
from services.sources.base import MetricSource, SourceError, SourceStatus
from services.timewindow import Window, utcnow

LIVE_MARGIN = timedelta(minutes=5)


@st.cache_resource(show_spinner=False)
def source_for(settings: Settings) -> MetricSource:
    return make_source(settings)


def _read(settings: Settings, method: str, args: tuple) -> Any:
    return getattr(source_for(settings), method)(*args)


@st.cache_data(ttl=60, max_entries=256, show_spinner=False)
def _read_live(settings: Settings, method: str, args: tuple) -> Any:
    return _read(settings, method, args)


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _read_fixed(settings: Settings, method: str, args: tuple) -> Any:
    return _read(settings, method, args)


def read(settings: Settings, method: str, window: Window, *args: Any) -> pd.DataFrame:
    """`source.method(window.aligned(), *args)`, cached by how long its answer can stay true."""
    window = window.aligned()
    return (_read_live if _is_live(window) else _read_fixed)(settings, method, (window, *args))


def _is_live(window: Window) -> bool:
    return window.end >= utcnow() - LIVE_MARGIN


class _PartlyFailed(Exception):
    """Carries a page's parts out of the cached function, so that a failure is not cached."""

    def __init__(self, parts: dict):
        super().__init__("a read failed")
        self.parts = parts


def _page_parts(settings: Settings, page: str, args: tuple) -> dict:
    builder = {"overview": dashboard.overview_data, "mesh": dashboard.mesh_data}[page]
    parts = builder(source_for(settings), *args)
    if any(isinstance(part, SourceError) for part in parts.values()):
        raise _PartlyFailed(parts)
    return parts


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def _page_live(settings: Settings, page: str, args: tuple) -> dict:
    return _page_parts(settings, page, args)


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _page_fixed(settings: Settings, page: str, args: tuple) -> dict:
    return _page_parts(settings, page, args)


def page_data(settings: Settings, page: str, window: Window, *args: Any) -> dict[str, pd.DataFrame | SourceError]:
    """All reads of a page at once (services.dashboard.<page>_data); failed parts are SourceErrors."""
    window = window.aligned()
    cached = _page_live if _is_live(window) else _page_fixed
    try:
        return cached(settings, page, (window, *args))
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
