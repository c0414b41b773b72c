"""Side effects behind a confirmation: the one Slack "post, then confirm" flow every page uses."""

from __future__ import annotations

import streamlit as st

from services.auth import PermissionDenied, require_real_systems
from services.integrations.slack import SlackError, post
from services.runtime import Runtime

_PENDING = "slack_confirm"


def slack_post(key: str, runtime: Runtime, title: str, text: str, links: list[str] | None = None) -> None:
    """A "Post to Slack" button; nothing is sent until the engineer confirms (a responder, see services/auth)."""
    webhook_url = runtime.settings.integrations.slack_webhook_url
    if not webhook_url:
        st.caption("Set SLACK_WEBHOOK_URL to post to Slack.")
        return
    try:
        require_real_systems(runtime.actor, runtime.settings.access)
    except PermissionDenied as exc:
        st.caption(f"Posting to Slack: {exc}.")
        return
    if st.session_state.get(_PENDING) != key:
        if st.button("Post to Slack", key=f"slack_{key}"):
            st.session_state[_PENDING] = key
            st.rerun()
        return
    st.warning(f"Post to Slack: **{title}**?")
    yes, no = st.columns(2)
    if yes.button("Confirm post", key=f"slack_yes_{key}"):
        st.session_state.pop(_PENDING, None)
        try:
            post(webhook_url, title, text, links, actor=runtime.actor, access=runtime.settings.access)
            st.success("Posted to Slack.")
        except (SlackError, PermissionDenied) as exc:
            st.error(str(exc))
    elif no.button("Cancel", key=f"slack_no_{key}"):
        st.session_state.pop(_PENDING, None)
        st.rerun()
