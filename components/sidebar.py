"""The sidebar every page shares: source status, time window, filters, auto-refresh, language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from components import data
from components.state import Selection
from services.config import Settings
from services.i18n import Language, text
from services.sources.base import Filters, SourceError, SourceStatus
from services.timewindow import DEFAULT_PRESET, PRESETS, Window, WindowError, utcnow

CUSTOM = "Custom range"
REFRESH_CHOICES = {"30 s": 30, "1 min": 60, "5 min": 300}
LANGUAGE_KEY = "language"


def browser_timezone() -> ZoneInfo:
    """The browser's time zone, as the page reports it; UTC until it does."""
    name = st.context.timezone
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def ui_language() -> Language:
    """The language chosen in the sidebar; until then the browser's (ko-KR: Korean, else English)."""
    st.session_state.setdefault(LANGUAGE_KEY, Language.from_locale(st.context.locale))
    return Language(st.session_state[LANGUAGE_KEY])


def _preset_text(preset: str, lang: Language) -> str:
    """A window choice in `lang`; the choices themselves stay the English names (session state)."""
    if preset == CUSTOM:
        return text("sidebar.preset.custom", lang)
    return text(f"sidebar.preset.last_{int(PRESETS[preset].total_seconds()) // 60}m", lang)


def _detail(status: SourceStatus, lang: Language) -> str:
    return status.message.text(lang) if status.message else status.detail


def _status_line(settings: Settings, lang: Language) -> None:
    status = data.source_status(settings.sources)
    icon = ":material/check_circle:" if status.ok else ":material/error:"
    label = text("sidebar.source.demo", lang) if status.name == "demo" else status.name
    (st.success if status.ok else st.error)(
        text("sidebar.source.status", lang, source=label, detail=_detail(status, lang)), icon=icon
    )
    am = data.alertmanager_status(settings.sources)
    if am is not None:
        (st.success if am.ok else st.warning)(text("sidebar.source.alertmanager", lang, name=am.name, detail=_detail(am, lang)))


def _window(tz: ZoneInfo, lang: Language) -> tuple[timedelta | None, Window | None, str | None]:
    """A relative span or a fixed window and, if the custom range was unusable, why."""
    # Defaults go through the session state, which the assistant also sets to move the view.
    st.session_state.setdefault("preset", DEFAULT_PRESET)
    choice = st.selectbox(
        text("sidebar.window", lang),
        [*PRESETS, CUSTOM],
        key="preset",
        format_func=lambda preset: _preset_text(preset, lang),
    )
    if choice != CUSTOM:
        return PRESETS[choice], None, None
    now = utcnow().astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)
    st.session_state.setdefault("custom_from", now - timedelta(hours=1))
    st.session_state.setdefault("custom_to", now)
    start = st.datetime_input(text("sidebar.from", lang), key="custom_from", step=timedelta(minutes=5))
    end = st.datetime_input(text("sidebar.to", lang), key="custom_to", step=timedelta(minutes=5))
    st.caption(text("sidebar.custom_zone", lang, zone=tz.key))
    try:
        if start is None or end is None:
            raise WindowError(text("sidebar.both_ends", lang))
        return None, Window(_aware(start, tz), _aware(end, tz)), None
    except WindowError as exc:
        return PRESETS[DEFAULT_PRESET], None, text("sidebar.window_problem", lang, problem=exc)


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _choices(settings: Settings, label: Literal["cluster", "namespace"], key: str, lang: Language) -> tuple[str, ...]:
    """A multiselect of the source's clusters or namespaces (`sidebar.<label>.*` texts)."""
    try:
        options = data.label_values(settings.sources, label)
    except SourceError as exc:
        st.caption(text(f"sidebar.{label}.unavailable", lang, error=exc))
        return ()
    if not options:
        if label == "cluster":
            st.warning(text("sidebar.cluster.none", lang, label=settings.sources.cluster_label))
        else:
            st.caption(text("sidebar.namespace.none", lang))
        return ()
    return tuple(
        st.multiselect(text(f"sidebar.{label}.title", lang), options, key=key, placeholder=text(f"sidebar.{label}.all", lang))
    )


def render_sidebar(settings: Settings, lang: Language) -> tuple[Selection, str | None, int | None]:
    """Draw the sidebar; returns the selection, a window problem to show, and the refresh period."""
    tz = browser_timezone()
    with st.sidebar:
        _status_line(settings, lang)
        span, fixed, problem = _window(tz, lang)
        if problem:
            st.error(problem)
        clusters = _choices(settings, "cluster", "clusters", lang)
        namespaces = _choices(settings, "namespace", "namespaces", lang)
        refresh = None
        if st.toggle(text("sidebar.auto_refresh", lang), key="auto_refresh", help=text("sidebar.auto_refresh_help", lang)):
            every = st.radio(
                text("sidebar.every", lang),
                list(REFRESH_CHOICES),
                index=1,
                horizontal=True,
                key="refresh_every",
                format_func=lambda choice: text(f"sidebar.refresh.{REFRESH_CHOICES[choice]}s", lang),
            )
            refresh = REFRESH_CHOICES[every]
        st.caption(text("sidebar.times_in", lang, zone=tz.key))
        st.selectbox(
            text("sidebar.language", lang), list(Language), key=LANGUAGE_KEY, format_func=lambda code: text("language.name", code)
        )
    return Selection(settings, span, fixed, Filters(clusters, namespaces), tz, lang), problem, refresh
