"""The view every page shares: window, filters, time zone and language, chosen in the sidebar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from services.config import Settings
from services.i18n import Language, text
from services.sources.base import Filters
from services.sources.factory import now_for
from services.timewindow import Window, auto_step, last

VIEW_KEY = "view"


@dataclass(frozen=True)
class View:
    settings: Settings
    window: Window
    filters: Filters
    tz: ZoneInfo
    lang: Language = Language.EN

    @property
    def step(self) -> int:
        return auto_step(self.window, self.settings.sources.step_seconds)

    def t(self, key: str, **params: object) -> str:
        """The catalogue's text for `key` in the view's language."""
        return text(key, self.lang, **params)


@dataclass(frozen=True)
class Selection:
    """What the sidebar chose: a span back from now, or a fixed window."""

    settings: Settings
    span: timedelta | None
    fixed: Window | None
    filters: Filters
    tz: ZoneInfo
    lang: Language

    def view(self) -> View:
        """The view as of now: a relative span is resolved against the clock here, once per run, to
        the minute (every read aligns to it anyway; the Streamlit caches keyed on it then hit)."""
        if self.fixed is not None:
            window = self.fixed
        else:
            assert self.span is not None
            window = last(self.span, now_for(self.settings.sources)).aligned()
        return View(self.settings, window, self.filters, self.tz, self.lang)


def current_view() -> View:
    """The view app.py put in the session before running the page.

    Without it, Streamlit ran the page file alone: with a `pages/` folder beside app.py it treats
    the app as an old-style multipage app until st.navigation has been called once, so a deep
    link as the first request to a new server skips app.py. Mark navigation as in use and rerun
    through app.py, which keeps the requested page.
    """
    if VIEW_KEY not in st.session_state:
        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state[VIEW_KEY]
