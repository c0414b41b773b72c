"""Who is using this session: the signed-in user (st.user) or, without sign-in, the local user."""

from __future__ import annotations

import streamlit as st

from services.auth import ANONYMOUS, Actor, Kind, signed_in
from services.config import AccessSettings
from services.safety.markup import escape_markdown

SIGNED_OUT = Actor("signed out", None, Kind.SIGNED_IN)


def current_actor(access: AccessSettings) -> Actor:
    """Read from the session's identity cookie every time (never from session state a page could set)."""
    if not access.sign_in:
        return ANONYMOUS
    if not st.user.is_logged_in:
        return SIGNED_OUT
    return signed_in(st.user.to_dict(), access)


def sign_in_page(actor: Actor) -> None:
    """Shown instead of the dashboard to a visitor without a role: sign in, or why there is nothing."""
    st.title("On-call dashboard")
    if actor is SIGNED_OUT:
        st.write("Sign in with your organisation's account to see the dashboard.")
        if st.button("Sign in", key="sign_in", type="primary"):
            st.login()
        return
    st.error(f"{actor.name} is signed in but has no role on this dashboard: ask an admin to map one of your groups.")
    if st.button("Sign out", key="sign_out"):
        st.logout()


def identity_box(actor: Actor, access: AccessSettings) -> None:
    """Who is signed in and as what (with Sign out), or the notice that nobody is."""
    if actor.kind is Kind.SIGNED_IN:
        st.caption(f"Signed in as **{escape_markdown(actor.name)}** · {actor.role.label if actor.role else 'no role'}")
        if st.button("Sign out", key="sign_out"):
            st.logout()
        return
    actions = (
        "silences and Slack posts are allowed (ONCALL_ALLOW_ANONYMOUS_ACTIONS)"
        if access.allow_anonymous_actions
        else "silences and Slack posts are off"
    )
    st.warning(f"No sign-in configured: anyone who reaches this port can use every page; {actions}.", icon=":material/lock_open:")
