"""A silence from the chat: shown with the alerts it matches before Confirm, capped in time and breadth."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from services.assistant.tools import ActionRefused, Proposal, ToolCall, execute, review
from services.auth import Actor, Kind, Role
from services.timewindow import iso, utcnow
from tests import servers
from tests.conftest import default_store, require, runtime_for, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def busy_alertmanager(tmp_path_factory):
    """A real Alertmanager with twelve critical alerts firing."""
    require(servers.ALERTMANAGER)
    with servers.alertmanager(tmp_path_factory.mktemp("am-limits")) as server:
        alerts = [
            {
                "labels": {
                    "alertname": "PaymentsDown" if i < 11 else "LedgerSlow",
                    "severity": "critical",
                    "service": f"svc-{i}",
                    "namespace": "shop",
                },
                "startsAt": iso(utcnow() - timedelta(minutes=5)),
            }
            for i in range(12)
        ]
        requests.post(f"{server.url}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()
        yield server.url


def silences(url):
    return requests.get(f"{url}/api/v2/silences", timeout=5).json()


def call(url, user="alice"):
    responder = Actor(user, Role.RESPONDER, Kind.SIGNED_IN)
    return ToolCall(runtime_for(settings_for(alertmanager_url=url), actor=responder), request_id="req-silence")


def proposal(matchers, minutes, comment="planned maintenance"):
    return Proposal("create_silence", {"matchers": matchers, "duration_minutes": minutes, "comment": comment})


def test_every_critical_alert_for_a_year_is_refused_even_when_forged(busy_alertmanager):
    forged = proposal({"severity": "critical"}, 525_600)
    shown, refused = review(forged, call(busy_alertmanager))
    assert shown == "" and any("alertname" in r for r in refused) and any("1 to 240 minutes" in r for r in refused)
    with pytest.raises(ActionRefused):
        execute(forged, call(busy_alertmanager))  # a call that skips the UI is refused by the service
    assert silences(busy_alertmanager) == []
    audited = [r for r in default_store().audit_rows() if r["request_id"] == "req-silence"]
    assert audited and audited[-1]["outcome"].startswith("error:") and audited[-1]["user"] == "alice"


def test_a_silence_matching_too_many_alerts_is_refused(busy_alertmanager):
    _, refused = review(proposal({"alertname": "PaymentsDown"}, 60), call(busy_alertmanager))
    assert refused == ["it would silence 11 alerts, more than 10 (ONCALL_SILENCE_MAX_ALERTS): narrow the matchers"]


def test_a_narrow_silence_shows_what_it_matches_and_runs(busy_alertmanager):
    narrow = proposal({"alertname": "LedgerSlow", "service": "svc-11"}, 60)
    shown, refused = review(narrow, call(busy_alertmanager))
    assert refused == [] and shown.startswith("silences 1 alert(s) firing now: LedgerSlow (") and "service=svc-11" in shown
    assert str(execute(narrow, call(busy_alertmanager, user="bob"))).startswith("silence ")
    created = [s for s in silences(busy_alertmanager) if s["comment"] == "planned maintenance"]
    assert len(created) == 1 and created[0]["createdBy"] == "bob"
