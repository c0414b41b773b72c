"""Current alerts and silences from the Alertmanager v2 API (when ALERTMANAGER_URL is set)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pandas as pd

from services.config import SourceSettings
from services.i18n import Message
from services.sources.base import SourceError, SourceStatus
from services.sources.frames import labels_key, service_of
from services.sources.http import BoundedClient

ALERT_COLUMNS = ["alertname", "labels", "labels_key", "severity", "service", "state", "starts_at", "silenced_by", "receivers"]
SILENCE_COLUMNS = ["id", "state", "matchers", "created_by", "comment", "starts_at", "ends_at"]


def _matcher_text(m: dict) -> str:
    equal, regex = bool(m.get("isEqual", True)), bool(m.get("isRegex", False))
    op = {(True, False): "=", (False, False): "!=", (True, True): "=~", (False, True): "!~"}[(equal, regex)]
    return f'{m["name"]}{op}"{m["value"]}"'


class AlertmanagerClient:
    def __init__(self, settings: SourceSettings):
        if not settings.alertmanager_url:
            raise SourceError("ALERTMANAGER_URL is not set")
        self.url = settings.alertmanager_url
        self.http = BoundedClient("Alertmanager", "the Alertmanager v2 API", self.url, settings)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.http.request(method, f"/api/v2/{path}", body=body)
        if status >= 400:
            detail = data if isinstance(data, str) else json.dumps(data)[:300]
            raise self.http.fail(f"answered HTTP {status}: {detail}")
        return data

    def _get(self, path: str) -> list[dict]:
        data = self._call("GET", path)
        if not isinstance(data, list):
            raise self.http.fail("did not answer with the v2 API")
        return data

    def status(self) -> SourceStatus:
        try:
            info = self._call("GET", "status")
        except SourceError as exc:
            return SourceStatus(self.http.shown_url, False, str(exc))
        version = info.get("versionInfo", {}).get("version", "?") if isinstance(info, dict) else "?"
        said = Message.of("source.answered", product="Alertmanager", version=version)
        return SourceStatus(self.http.shown_url, True, str(said), said)

    def matching(self, matchers: dict[str, str]) -> list[dict]:
        """The active alerts a silence with these exact matchers would silence now."""
        filters = "&".join(f"filter={quote(_matcher_text({'name': k, 'value': v}))}" for k, v in matchers.items())
        return self._get(f"alerts?active=true&silenced=false&inhibited=true&{filters}")

    def alerts(self) -> pd.DataFrame:
        rows = []
        for a in self._get("alerts"):
            labels = {k: v for k, v in a.get("labels", {}).items() if k != "alertname"}
            status = a.get("status", {})
            rows.append(
                {
                    "alertname": a.get("labels", {}).get("alertname", ""),
                    "labels": labels,
                    "labels_key": labels_key(labels),
                    "severity": labels.get("severity", "none"),
                    "service": service_of(labels),
                    "state": status.get("state", ""),
                    "starts_at": pd.Timestamp(a["startsAt"]).tz_convert("UTC") if a.get("startsAt") else pd.NaT,
                    "silenced_by": ", ".join(status.get("silencedBy", [])),
                    "receivers": ", ".join(r.get("name", "") for r in a.get("receivers", [])),
                }
            )
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
            "startsAt": now.isoformat(),
            "endsAt": (now + pd.Timedelta(minutes=minutes)).isoformat(),
            "createdBy": created_by,
            "comment": comment,
        }
        answer = self._call("POST", "silences", body)
        if not isinstance(answer, dict) or "silenceID" not in answer:
            raise self.http.fail("did not answer with a silence id")
        return str(answer["silenceID"])
