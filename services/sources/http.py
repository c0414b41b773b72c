"""HTTP to Prometheus and Alertmanager with an overall deadline and a size cap.

A read timeout alone does not bound a request: a server that drips a byte every two seconds
never trips it. Every request here ends by its deadline (ONCALL_TIMEOUT_SECONDS) and stops
reading past ONCALL_MAX_RESPONSE_MB, with one clear message naming the server and the cause.
Upstream error bodies are data: they are shortened and never interpreted.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from services.config import SourceSettings, without_credentials
from services.sources.base import SourceError

CHUNK = 64 * 1024


def session_for(settings: SourceSettings) -> requests.Session:
    """An HTTP session with the configured auth and TLS settings, retrying a gateway error once."""
    session = requests.Session()
    session.verify = settings.verify_tls
    if settings.auth_header:
        session.headers["Authorization"] = settings.auth_header
    if settings.tenant:
        session.headers["X-Scope-OrgID"] = settings.tenant
    if settings.basic_auth_user:
        session.auth = (settings.basic_auth_user, settings.basic_auth_password or "")
    retry = Retry(total=1, read=False, backoff_factor=0.2, status_forcelist=[502, 503, 504], allowed_methods=["GET"])
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


class BoundedClient:
    """GET/POST JSON against one server, each call bounded in time and size."""

    def __init__(self, what: str, api: str, base_url: str, settings: SourceSettings):
        self.what, self.api, self.url = what, api, base_url.rstrip("/")
        self.shown_url = without_credentials(self.url)
        self.deadline_seconds = settings.timeout_seconds
        self.max_bytes = int(settings.max_response_mb * 1_000_000)
        self.session = session_for(settings)

    def fail(self, cause: str) -> SourceError:
        return SourceError(f"{self.what} at {self.shown_url} {cause}")

    def request(self, method: str, path: str, params: Any = None, body: Any = None) -> tuple[int, Any]:
        """(HTTP status, parsed JSON) of one request; SourceError when it cannot be had in time or size."""
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                f"{self.url}{path}",
                params=params,
                json=body,
                stream=True,
                timeout=(min(self.deadline_seconds, 10), self.deadline_seconds),
            )
            with response:
                raw = self._read(response, started)
        except requests.exceptions.SSLError as exc:
            raise self.fail(f": TLS failed ({exc.__class__.__name__}); check PROMETHEUS_VERIFY_TLS") from None
        except requests.exceptions.Timeout:
            raise self.fail(f"did not answer within {self.deadline_seconds:g} s") from None
        except requests.exceptions.ConnectionError:
            raise self.fail("is unreachable (connection failed)") from None
        except requests.exceptions.RequestException as exc:
            raise self.fail(f"failed: {exc.__class__.__name__}") from None
        if response.status_code in (401, 403):
            raise self.fail(f"refused the credentials (HTTP {response.status_code}); check PROMETHEUS_AUTH_HEADER / basic auth")
        try:
            data = json.loads(raw)
        except ValueError:
            if response.status_code >= 400:
                raise self.fail(f"answered HTTP {response.status_code}: {_excerpt(raw)}") from None
            raise self.fail(f"did not answer with {self.api} (not JSON; is this the right URL?)") from None
        return response.status_code, data

    def _read(self, response: requests.Response, started: float) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise self.fail(
                f"answered with {int(declared) / 1e6:.0f} MB, more than the {self.max_bytes / 1e6:g} MB cap "
                "(ONCALL_MAX_RESPONSE_MB); narrow the window or the filters"
            )
        chunks, size = [], 0
        while True:
            # read1 returns what has arrived (iter_content would wait for a whole chunk), so the
            # deadline is checked as the bytes come in, however slowly.
            chunk = response.raw.read1(CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_bytes:
                raise self.fail(
                    f"answered with more than the {self.max_bytes / 1e6:g} MB cap (ONCALL_MAX_RESPONSE_MB); "
                    "narrow the window or the filters"
                )
            if time.monotonic() - started > self.deadline_seconds:
                raise self.fail(f"did not answer within {self.deadline_seconds:g} s (overall deadline)")
            chunks.append(chunk)
        return b"".join(chunks)


def _excerpt(raw: bytes, limit: int = 200) -> str:
    """The start of an upstream body, on one line."""
    return " ".join(raw[:limit].decode("utf-8", errors="replace").split())
