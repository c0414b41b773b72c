"""Current alerts and silences from the Alertmanager v2 API (when ALERTMANAGER_URL is set)."""

from __future__ import annotations

import pandas as pd
import requests

from services.config import SourceSettings
from services.sources.base import SourceError, SourceStatus
from services.sources.frames import labels_key, service_of
from services.sources.prometheus import describe_failure, session_for

ALERT_COLUMNS = ["alertname", "labels", "labels_key", "severity", "service", "state", "starts_at", "silenced_by", "receivers"]
SILENCE_COLUMNS = ["id", "state", "matchers", "created_by", "comment", "starts_at", "ends_at"]


def _matcher_text(m: dict) -> str:
    equal, regex = bool(m.get("isEqual", True)), bool(m.get("isRegex", False))
    op = {(True, False): "=", (False, False): "!=", (True, True): "=~", (False, True): "!~"}[(equal, regex)]
    return f"{m['name']}{op}\"{m['value']}\""


class AlertmanagerClient:
    def __init__(self, settings: SourceSettings):
        if not settings.alertmanager_url:
            raise SourceError("ALERTMANAGER_URL is not set")
        self.url = settings.alertmanager_url
        self.timeout = settings.timeout_seconds
        self.session = session_for(settings)

    def _get(self, path: str) -> list[dict]:
        try:
            response = self.session.get(f"{self.url}/api/v2/{path}", timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
        except (requests.exceptions.RequestException, ValueError) as exc:
            raise SourceError(describe_failure("Alertmanager", self.url, exc, self.timeout)) from None
        if not isinstance(data, list):
            raise SourceError(f"Alertmanager at {self.url} did not answer with the v2 API")
        return data

    def status(self) -> SourceStatus:
        try:
            response = self.session.get(f"{self.url}/api/v2/status", timeout=self.timeout)
            response.raise_for_status()
            version = response.json().get("versionInfo", {}).get("version", "?")
        except (requests.exceptions.RequestException, ValueError) as exc:
            return SourceStatus(self.url, False, describe_failure("Alertmanager", self.url, exc, self.timeout))
        return SourceStatus(self.url, True, f"Alertmanager {version} answered")

    def alerts(self) -> pd.DataFrame:
        rows = []
        for a in self._get("alerts"):
            labels = {k: v for k, v in a.get("labels", {}).items() if k != "alertname"}
            status = a.get("status", {})
            rows.append({
                "alertname": a.get("labels", {}).get("alertname", ""),
                "labels": labels,
                "labels_key": labels_key(labels),
                "severity": labels.get("severity", "none"),
                "service": service_of(labels),
                "state": status.get("state", ""),
                "starts_at": pd.Timestamp(a["startsAt"]).tz_convert("UTC") if a.get("startsAt") else pd.NaT,
                "silenced_by": ", ".join(status.get("silencedBy", [])),
                "receivers": ", ".join(r.get("name", "") for r in a.get("receivers", [])),
            })
        frame = pd.DataFrame(rows, columns=ALERT_COLUMNS)
        return frame.sort_values(["starts_at", "alertname"], ignore_index=True)

    def silences(self) -> pd.DataFrame:
        rows = [
            {
                "id": s.get("id", ""),
                "state": s.get("status", {}).get("state", ""),
                "matchers": ", ".join(_matcher_text(m) for m in s.get("matchers", [])),
                "created_by": s.get("createdBy", ""),
                "comment": s.get("comment", ""),
                "starts_at": pd.Timestamp(s["startsAt"]).tz_convert("UTC") if s.get("startsAt") else pd.NaT,
                "ends_at": pd.Timestamp(s["endsAt"]).tz_convert("UTC") if s.get("endsAt") else pd.NaT,
            }
            for s in self._get("silences")
        ]
        frame = pd.DataFrame(rows, columns=SILENCE_COLUMNS)
        return frame.sort_values(["state", "ends_at"], ignore_index=True)

    def create_silence(self, matchers: dict[str, str], minutes: int, comment: str, created_by: str) -> str:
        """A silence for exact label matches; returns its id."""
        now = pd.Timestamp.now(tz="UTC")
        body = {
            "matchers": [{"name": k, "value": str(v), "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": now.isoformat(), "endsAt": (now + pd.Timedelta(minutes=minutes)).isoformat(),
            "createdBy": created_by, "comment": comment,
        }
        try:
            response = self.session.post(f"{self.url}/api/v2/silences", json=body, timeout=self.timeout)
            response.raise_for_status()
            return response.json()["silenceID"]
        except (requests.exceptions.RequestException, ValueError, KeyError) as exc:
            raise SourceError(describe_failure("Alertmanager", self.url, exc, self.timeout)) from None
