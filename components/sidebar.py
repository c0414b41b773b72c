"""The sidebar every page shares: source status, time window, filters, auto-refresh."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from components import data
from components.state import Selection
from services.config import Settings
from services.sources.base import Filters, SourceError
from services.timewindow import DEFAULT_PRESET, PRESETS, Window, WindowError, utcnow

CUSTOM = "Custom range"
REFRESH_CHOICES = {"30 s": 30, "1 min": 60, "5 min": 300}


def browser_timezone() -> ZoneInfo:
    """The browser's time zone, as the page reports it; UTC until it does."""
    name = st.context.timezone
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _status_line(settings: Settings) -> None:
    status = data.source_status(settings.sources)
    icon = ":material/check_circle:" if status.ok else ":material/error:"
    label = "Demo scenario" if status.name == "demo" else status.name
    (st.success if status.ok else st.error)(f"**Source:** {label}  \n{status.detail}", icon=icon)
    am = data.alertmanager_status(settings.sources)
    if am is not None:
        (st.success if am.ok else st.warning)(f"**Alertmanager:** {am.name}  \n{am.detail}")


def _window(tz: ZoneInfo) -> tuple[timedelta | None, Window | None, str | None]:
    """A relative span or a fixed window and, if the custom range was unusable, why."""
    # Defaults go through the session state, which the assistant also sets to move the view.
    st.session_state.setdefault("preset", DEFAULT_PRESET)
    choice = st.selectbox("Time window", [*PRESETS, CUSTOM], key="preset")
    if choice != CUSTOM:
        return PRESETS[choice], None, None
    now = utcnow().astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)
    st.session_state.setdefault("custom_from", now - timedelta(hours=1))
    st.session_state.setdefault("custom_to", now)
    start = st.datetime_input("From", key="custom_from", step=timedelta(minutes=5))
    end = st.datetime_input("To", key="custom_to", step=timedelta(minutes=5))
    st.caption(f"Times in {tz.key} (your browser's time zone).")
    try:
        if start is None or end is None:
            raise WindowError("choose both ends of the custom range")
        return None, Window(_aware(start, tz), _aware(end, tz)), None
    except WindowError as exc:
        return PRESETS[DEFAULT_PRESET], None, f"{exc}. Showing the last hour instead."


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _choices(settings: Settings, label: Literal["cluster", "namespace"], title: str, key: str) -> tuple[str, ...]:
    try:
        options = data.label_values(settings.sources, label)
    except SourceError as exc:
        st.caption(f"{title} list unavailable: {exc}")
        return ()
    if not options:
        if label == "cluster":
            st.warning(
                f"No clusters found on the mesh metrics (label `{settings.sources.cluster_label}`, set ONCALL_CLUSTER_LABEL)."
            )
        else:
            st.caption(f"No {title.lower()} found on the mesh metrics.")
        return ()
    return tuple(st.multiselect(title, options, key=key, placeholder=f"All {title.lower()}"))


def render_sidebar(settings: Settings) -> tuple[Selection, str | None, int | None]:
    """Draw the sidebar; returns the selection, a window problem to show, and the refresh period."""
    tz = browser_timezone()
    with st.sidebar:
        _status_line(settings)
        span, fixed, problem = _window(tz)
        if problem:
            st.error(problem)
        clusters = _choices(settings, "cluster", "Clusters", "clusters")
        namespaces = _choices(settings, "namespace", "Namespaces", "namespaces")
        refresh = None
        if st.toggle("Auto-refresh", key="auto_refresh", help="Re-read the window on a timer (live windows move with it)."):
            refresh = REFRESH_CHOICES[st.radio("Every", list(REFRESH_CHOICES), index=1, horizontal=True, key="refresh_every")]
        st.caption(f"Times shown in {tz.key}.")
    return Selection(settings, span, fixed, Filters(clusters, namespaces), tz), problem, refresh
