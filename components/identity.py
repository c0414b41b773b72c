"""Who is using this session: the signed-in user (st.user) or, without sign-in, the local user."""

from __future__ import annotations

import streamlit as st

from services.auth import ANONYMOUS, Actor, Kind, signed_in
from services.config import AccessSettings
from services.i18n import Language, text
from services.safety.markup import escape_markdown

SIGNED_OUT = Actor("signed out", None, Kind.SIGNED_IN)


def current_actor(access: AccessSettings) -> Actor:
    """Read from the session's identity cookie every time (never from session state a page could set)."""
    if not access.sign_in:
        return ANONYMOUS
    if not st.user.is_logged_in:
        return SIGNED_OUT
    return signed_in(st.user.to_dict(), access)


def sign_in_page(actor: Actor, lang: Language) -> None:
    """Shown instead of the dashboard to a visitor without a role: sign in, or why there is nothing."""
    st.title(text("app.title", lang))
    if actor is SIGNED_OUT:
        st.write(text("identity.sign_in_prompt", lang))
        if st.button(text("identity.sign_in", lang), key="sign_in", type="primary"):
            st.login()
        return
    st.error(text("identity.no_role", lang, name=actor.name))
    if st.button(text("identity.sign_out", lang), key="sign_out"):
        st.logout()


def identity_box(actor: Actor, access: AccessSettings, lang: Language) -> None:
    """Who is signed in and as what (with Sign out), or the notice that nobody is."""
    if actor.kind is Kind.SIGNED_IN:
        role = text(f"identity.role.{actor.role.label}" if actor.role else "identity.role.none", lang)
        st.caption(text("identity.signed_in_as", lang, name=escape_markdown(actor.name), role=role))
        if st.button(text("identity.sign_out", lang), key="sign_out"):
            st.logout()
        return
    allowed = "allowed" if access.allow_anonymous_actions else "off"
    st.warning(text(f"identity.anonymous_actions_{allowed}", lang), icon=":material/lock_open:")
