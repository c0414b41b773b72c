"""Who is acting, and what they may do: roles from the sign-in's claims, checked where actions run.

Three roles, each with what the one below may do:
- viewer: read every page and chat;
- responder: confirm silences and Slack posts (from the chat, triage and shift summaries);
- admin: edit and roll back prompts, rebuild the runbook index, see Insights.

The pages hide what a role may not do, but the services check again (`require`), so a forged
call from a viewer's session is refused and audited the same way.

Without sign-in (no `[auth]` section) the dashboard is local use: the one anonymous user may do
everything except touch real systems (create Alertmanager silences, post to Slack) unless the
operator opts in with ONCALL_ALLOW_ANONYMOUS_ACTIONS. The CLI acts as the operator who runs it.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from services.config import AccessSettings


class Role(IntEnum):
    VIEWER = 1
    RESPONDER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Permission(StrEnum):
    """What a role is needed for; the value says it in words for refusals."""

    CONFIRM_ACTION = "confirm silences and Slack posts"
    EDIT_PROMPTS = "edit or roll back prompts"
    REBUILD_INDEX = "rebuild the runbook index"
    SEE_INSIGHTS = "see Insights"


NEEDS = {
    Permission.CONFIRM_ACTION: Role.RESPONDER,
    Permission.EDIT_PROMPTS: Role.ADMIN,
    Permission.REBUILD_INDEX: Role.ADMIN,
    Permission.SEE_INSIGHTS: Role.ADMIN,
}


class Kind(StrEnum):
    SIGNED_IN = "signed in"
    ANONYMOUS = "anonymous"  # the web UI without sign-in configured
    OPERATOR = "operator"  # the CLI, run by someone with the server's configuration


@dataclass(frozen=True)
class Actor:
    """The person behind an action: the name goes into audit rows, feedback, prompt versions and silences."""

    name: str
    role: Role | None  # None: signed in, but no role was granted (sees nothing)
    kind: Kind

    def may(self, permission: Permission) -> bool:
        return self.role is not None and self.role >= NEEDS[permission]


ANONYMOUS = Actor("anonymous", Role.ADMIN, Kind.ANONYMOUS)


def operator() -> Actor:
    """Whoever runs the CLI: they hold the server's configuration, so every role."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container: still the operator
        name = "operator"
    return Actor(f"{name} (cli)", Role.ADMIN, Kind.OPERATOR)


class PermissionDenied(PermissionError):
    """The actor's role does not allow the action; nothing was done."""


def require(actor: Actor, permission: Permission) -> None:
    if actor.role is None:
        raise PermissionDenied(f"{actor.name} has no role on this dashboard: ask an admin to map one of your groups")
    if not actor.may(permission):
        raise PermissionDenied(
            f"{actor.name} is a {actor.role.label}: only a {NEEDS[permission].label} or above may {permission.value}"
        )


def require_real_systems(actor: Actor, access: AccessSettings) -> None:
    """Side effects on Alertmanager and Slack: a responder, and without sign-in the operator's opt-in."""
    require(actor, Permission.CONFIRM_ACTION)
    if actor.kind is Kind.ANONYMOUS and not access.allow_anonymous_actions:
        raise PermissionDenied(
            "sign-in is not configured, so nobody can be held to this action: configure [auth] "
            "(README, 'Sign-in and roles') or set ONCALL_ALLOW_ANONYMOUS_ACTIONS=true for local use"
        )


def _values(claim: object) -> set[str]:
    if isinstance(claim, str):
        return {claim.strip().lower()} if claim.strip() else set()
    if isinstance(claim, list | tuple | set):
        return {str(v).strip().lower() for v in claim if str(v).strip()}
    return set()


def signed_in(claims: Mapping[str, object], access: AccessSettings) -> Actor:
    """The signed-in user from the identity token's claims: the highest role that any of their
    `role_claim` values (or their email) is listed under. With no viewer list, every signed-in
    user is at least a viewer; with one, a user on no list gets no role."""
    name = str(claims.get("email") or claims.get("preferred_username") or claims.get("sub") or "unknown")
    held = _values(claims.get(access.role_claim)) | _values(claims.get("email"))
    granted = [
        role
        for role, members in ((Role.ADMIN, access.admins), (Role.RESPONDER, access.responders), (Role.VIEWER, access.viewers))
        if held & members
    ]
    if not access.viewers:
        granted.append(Role.VIEWER)
    return Actor(name, max(granted) if granted else None, Kind.SIGNED_IN)
