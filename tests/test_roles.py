"""Roles are enforced where actions run: a viewer's forged call is refused and audited."""

from __future__ import annotations

import pytest

from services.assistant.tools import Proposal, ToolCall, execute, review
from services.auth import ANONYMOUS, Actor, Kind, PermissionDenied, Role, signed_in
from services.config import AccessSettings
from services.llm import prompts
from services.reports import insights
from tests.conftest import default_store, runtime_for, settings_for

ACCESS = AccessSettings(sign_in=True, admins=frozenset({"sre-admins"}), responders=frozenset({"sre-oncall", "bob@example.com"}))
SILENCE = Proposal("create_silence", {"matchers": {"alertname": "X"}, "duration_minutes": 30, "comment": "why"})


def test_roles_come_from_the_groups_claim_or_the_email():
    assert signed_in({"email": "a@example.com", "groups": ["sre-admins"]}, ACCESS).role is Role.ADMIN
    assert signed_in({"email": "bob@example.com", "groups": []}, ACCESS).role is Role.RESPONDER
    assert signed_in({"email": "c@example.com", "groups": "SRE-oncall"}, ACCESS).role is Role.RESPONDER
    assert signed_in({"email": "d@example.com"}, ACCESS).role is Role.VIEWER
    listed = AccessSettings(sign_in=True, viewers=frozenset({"staff"}))
    assert signed_in({"email": "e@example.com", "groups": ["contractors"]}, listed).role is None


def test_a_viewers_forged_confirm_is_refused_and_audited():
    viewer = Actor("vic@example.com", Role.VIEWER, Kind.SIGNED_IN)
    call = ToolCall(runtime_for(actor=viewer), request_id="req-forged")
    _, refused = review(SILENCE, call)
    assert refused and "viewer" in refused[0]
    with pytest.raises(PermissionDenied, match="viewer"):
        execute(SILENCE, call)
    row = [r for r in default_store().audit_rows() if r["request_id"] == "req-forged"][-1]
    assert row["user"] == "vic@example.com" and row["outcome"].startswith("error:")


def test_without_sign_in_real_side_effects_need_the_opt_in():
    call = ToolCall(runtime_for(actor=ANONYMOUS), request_id="req-anon")
    with pytest.raises(PermissionDenied, match="ONCALL_ALLOW_ANONYMOUS_ACTIONS"):
        execute(SILENCE, call)


def test_only_admins_edit_prompts_and_read_insights():
    store = default_store()
    store.seed_prompts(prompts.PROMPTS)
    responder = Actor("rita@example.com", Role.RESPONDER, Kind.SIGNED_IN)
    with pytest.raises(PermissionDenied):
        prompts.save(store, responder, "router", "changed")
    with pytest.raises(PermissionDenied):
        insights.feedback_frame(store, responder)
    admin = Actor("ada@example.com", Role.ADMIN, Kind.SIGNED_IN)
    version = prompts.save(store, admin, "router", store.prompt("router")["text"] + "\n# by ada")
    assert store.prompt("router", version)["author"] == "ada@example.com"
    assert settings_for().access.sign_in is False  # the tests' secrets file has no [auth]
