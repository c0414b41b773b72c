"""oncall-dashboard: entry point, navigation and the sidebar shared by every page."""

from __future__ import annotations

import streamlit as st

from components.chat import PENDING_VIEW, render_chat
from components.identity import current_actor, identity_box, sign_in_page
from components.sidebar import CUSTOM, browser_timezone, render_sidebar, ui_language
from components.state import VIEW_KEY
from services.auth import Permission
from services.config import ConfigError, Settings, load_settings
from services.i18n import Language, text
from services.log import setup_logging
from services.timewindow import utcnow

lang = ui_language()
st.set_page_config(page_title=text("app.title", lang), page_icon=":material/monitor_heart:", layout="wide")

# Loaded once per run and passed down: pages and services read settings from the view, never
# from the environment.
try:
    settings = load_settings()
    config_problem = None
except ConfigError as exc:
    settings, config_problem = Settings(), text("app.config_problem", lang, error=exc)
setup_logging(settings.log_level)

PAGES = {
    "overview": st.Page("pages/overview.py", title=text("nav.overview", lang), icon=":material/dashboard:", default=True),
    "alerts": st.Page("pages/alerts.py", title=text("nav.alerts", lang), icon=":material/notifications_active:"),
    "mesh": st.Page("pages/mesh.py", title=text("nav.mesh", lang), icon=":material/hub:"),
    "runbooks": st.Page("pages/runbooks.py", title=text("nav.runbooks", lang), icon=":material/menu_book:"),
    "triage": st.Page("pages/triage.py", title=text("nav.triage", lang), icon=":material/bug_report:"),
    "reports": st.Page("pages/reports.py", title=text("nav.reports", lang), icon=":material/summarize:"),
    "insights": st.Page("pages/insights.py", title=text("nav.insights", lang), icon=":material/insights:"),
    "prompts": st.Page("pages/prompts.py", title=text("nav.prompts", lang), icon=":material/edit_note:"),
}
# Who is here decides what they see; the services check the role again where actions run.
actor = current_actor(settings.access)
if actor.role is None:
    # Navigation in use (hidden) before stopping: on a new server Streamlit would otherwise fall
    # back to listing every file in pages/ beside the sign-in page, until someone signs in.
    st.navigation(list(PAGES.values()), position="hidden")
    sign_in_page(actor, lang)
    st.stop()
ADMIN_PAGES = {"insights": Permission.SEE_INSIGHTS, "prompts": Permission.EDIT_PROMPTS}
page = st.navigation([p for key, p in PAGES.items() if key not in ADMIN_PAGES or actor.may(ADMIN_PAGES[key])])
current = next(key for key, p in PAGES.items() if p.url_path == page.url_path)
REFRESH_ARMED = "refresh_armed"

# A question about another time ("11월 3일 오전 8시 얼럿") moves the view there, before the
# sidebar's widgets exist (their values cannot change after).
pending = st.session_state.pop(PENDING_VIEW, None)
if pending:
    tz = browser_timezone()
    st.session_state["preset"] = CUSTOM
    st.session_state["custom_from"] = pending["start"].astimezone(tz).replace(tzinfo=None)
    st.session_state["custom_to"] = pending["end"].astimezone(tz).replace(tzinfo=None)
    if PAGES[pending["page"]].url_path != page.url_path:
        st.switch_page(PAGES[pending["page"]])

selection, window_problem, refresh_seconds = render_sidebar(settings, lang)
with st.sidebar:
    identity_box(actor, settings.access, lang)


def show_page() -> None:
    view = selection.view()
    st.session_state[VIEW_KEY] = view
    main, assistant = st.columns([3, 1.25], gap="large")
    with main:
        for problem in (config_problem, window_problem):
            if problem:
                st.error(problem, icon=":material/warning:")
        if refresh_seconds:  # says the page is live, and when it last re-read the window
            st.caption(view.t("app.refreshed", seconds=refresh_seconds, time=f"{utcnow().astimezone(view.tz):%H:%M:%S}"))
        try:
            page.run()
        finally:
            # A page run without app.py must not find a stale view (see components.state).
            del st.session_state[VIEW_KEY]
    with assistant:
        # The assistant's context names the page in English, whatever the UI shows.
        render_chat(view, text(f"nav.{current}", Language.EN))


def _refresh_timer() -> None:
    """Reruns the whole app when its timer fires (a page cannot run again inside a fragment:
    only the page st.navigation returned in this run may run, once)."""
    if st.session_state.get(REFRESH_ARMED):
        st.rerun(scope="app")
    st.session_state[REFRESH_ARMED] = True


show_page()
if refresh_seconds:
    st.session_state[REFRESH_ARMED] = False  # this run is the refresh; the next timer tick starts one
    st.fragment(_refresh_timer, run_every=refresh_seconds)()
