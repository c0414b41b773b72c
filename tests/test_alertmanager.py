"""Current alerts and silences from a real Alertmanager."""

import time
from datetime import timedelta

import pytest
import requests

from services.config import SourceSettings
from services.integrations.alertmanager import AlertmanagerClient
from services.sources.base import SourceError
from services.timewindow import iso, utcnow

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loaded_alertmanager(alertmanager_url):
    now = utcnow()
    alerts = [
        {
            "labels": {
                "alertname": "KubePodCrashLooping",
                "severity": "warning",
                "namespace": "shop",
                "service": "recommendation",
            },
            "startsAt": iso(now - timedelta(minutes=30)),
        },
        {
            "labels": {"alertname": "CPUThrottlingHigh", "severity": "info", "namespace": "search", "container": "search"},
            "startsAt": iso(now - timedelta(minutes=90)),
        },
    ]
    requests.post(f"{alertmanager_url}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()
    silence = {
        "matchers": [{"name": "alertname", "value": "CPUThrottlingHigh", "isRegex": False, "isEqual": True}],
        "startsAt": iso(now),
        "endsAt": iso(now + timedelta(hours=2)),
        "createdBy": "oncall-test",
        "comment": "known noisy during the search migration",
    }
    requests.post(f"{alertmanager_url}/api/v2/silences", json=silence, timeout=5).raise_for_status()
    return alertmanager_url


def test_current_alerts_and_silences(loaded_alertmanager):
    client = AlertmanagerClient(SourceSettings(alertmanager_url=loaded_alertmanager))
    assert client.status().ok
    alerts = client.alerts().set_index("alertname")
    assert set(alerts.index) == {"KubePodCrashLooping", "CPUThrottlingHigh"}
    assert alerts.loc["KubePodCrashLooping", "service"] == "recommendation"
    assert alerts.loc["CPUThrottlingHigh", "service"] == "search"  # from the container label
    silences = client.silences()
    assert silences["matchers"].tolist() == ['alertname="CPUThrottlingHigh"']
    assert silences["comment"].iloc[0] == "known noisy during the search migration"
    # Alertmanager applies the silence to the matching alert within moments.
    for _ in range(50):
        if client.alerts().set_index("alertname").loc["CPUThrottlingHigh", "state"] == "suppressed":
            break
        time.sleep(0.1)
    assert client.alerts().set_index("alertname").loc["CPUThrottlingHigh", "silenced_by"] == silences["id"].iloc[0]


def test_unreachable_alertmanager():
    client = AlertmanagerClient(SourceSettings(alertmanager_url="http://127.0.0.1:9"))
    assert not client.status().ok
    with pytest.raises(SourceError, match="Alertmanager at http://127.0.0.1:9 is unreachable"):
        client.silences()
