"""Side effects behind a confirmation: the one Slack "post, then confirm" flow every page uses."""

from __future__ import annotations

import streamlit as st

from components.state import View
from services.auth import PermissionDenied, require_real_systems
from services.integrations.slack import SlackError, post
from services.runtime import Runtime

_PENDING = "slack_confirm"


def slack_post(view: View, key: str, runtime: Runtime, title: str, text: str, links: list[str] | None = None) -> None:
    """A "Post to Slack" button; nothing is sent until the engineer confirms (a responder, see services/auth)."""
    webhook_url = runtime.settings.integrations.slack_webhook_url
    if not webhook_url:
        st.caption(view.t("slack.not_configured"))
        return
    try:
        require_real_systems(runtime.actor, runtime.settings.access)
    except PermissionDenied as exc:
        st.caption(view.t("slack.not_allowed", reason=exc))
        return
    if st.session_state.get(_PENDING) != key:
        if st.button(view.t("slack.post"), key=f"slack_{key}", icon=":material/send:"):
            st.session_state[_PENDING] = key
            st.rerun()
        return
    st.warning(view.t("slack.confirm_question", title=title))
    yes, no = st.columns(2)
    if yes.button(view.t("slack.confirm"), key=f"slack_yes_{key}"):
        st.session_state.pop(_PENDING, None)
        try:
            post(webhook_url, title, text, links, actor=runtime.actor, access=runtime.settings.access)
            st.success(view.t("slack.posted"))
        except (SlackError, PermissionDenied) as exc:
            st.error(str(exc))
    elif no.button(view.t("slack.cancel"), key=f"slack_no_{key}"):
        st.session_state.pop(_PENDING, None)
        st.rerun()
