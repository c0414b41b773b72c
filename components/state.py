"""The view every page shares: window, filters and time zone, chosen in the sidebar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from services.config import Settings
from services.dashboard import now_for
from services.sources.base import Filters
from services.timewindow import Window, auto_step, last

VIEW_KEY = "view"


@dataclass(frozen=True)
class View:
    settings: Settings
    window: Window
    filters: Filters
    tz: ZoneInfo

    @property
    def step(self) -> int:
        return auto_step(self.window, self.settings.step_seconds)


@dataclass(frozen=True)
class Selection:
    """What the sidebar chose: a span back from now, or a fixed window."""

    settings: Settings
    span: timedelta | None
    fixed: Window | None
    filters: Filters
    tz: ZoneInfo

    def view(self) -> View:
        """The view as of now: a relative span is resolved against the clock here, once per run."""
        window = self.fixed if self.fixed is not None else last(self.span, now_for(self.settings))
        return View(self.settings, window, self.filters, self.tz)


def current_view() -> View:
    """The view app.py put in the session before running the page."""
    return st.session_state[VIEW_KEY]
