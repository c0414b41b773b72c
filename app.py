"""oncall-dashboard: entry point, navigation and the sidebar shared by every page."""

from __future__ import annotations

import streamlit as st

from components.sidebar import render_sidebar
from components.state import VIEW_KEY
from services.config import ConfigError, Settings, load_settings

st.set_page_config(page_title="On-call dashboard", page_icon=":material/monitor_heart:", layout="wide")

try:
    settings = load_settings()
    config_problem = None
except ConfigError as exc:
    settings, config_problem = Settings(), f"Configuration error: {exc}. Running on the demo scenario."

page = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications_active:"),
    st.Page("pages/mesh.py", title="Mesh", icon=":material/hub:"),
    st.Page("pages/runbooks.py", title="Runbooks", icon=":material/menu_book:"),
])
selection, window_problem, refresh_seconds = render_sidebar(settings)


def show_page() -> None:
    st.session_state[VIEW_KEY] = selection.view()
    for problem in (config_problem, window_problem):
        if problem:
            st.error(problem, icon=":material/warning:")
    try:
        page.run()
    finally:
        # A page run without app.py must not find a stale view (see components.state).
        del st.session_state[VIEW_KEY]


if refresh_seconds:
    st.fragment(show_page, run_every=refresh_seconds)()
else:
    show_page()
