"""A multi-tenant backend (Mimir, Cortex) behind PROMETHEUS_URL gets the tenant and the token."""

from __future__ import annotations

import http.server
import json
import threading

from services.config import load_settings
from services.sources.prometheus import PrometheusSource


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        Recorder.seen.append(dict(self.headers))
        body = json.dumps({"status": "success", "data": {"version": "mimir-2.14"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None  # quiet test output


def test_tenant_and_token_headers_reach_the_backend():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {
            "PROMETHEUS_URL": f"http://127.0.0.1:{server.server_port}/prometheus",
            "PROMETHEUS_TENANT": "team-sre",
            "PROMETHEUS_AUTH_HEADER": "Bearer t0ken",
        }
        status = PrometheusSource(load_settings(env, secrets_path=None).sources).status()
    finally:
        server.shutdown()
    assert status.ok and "mimir-2.14" in status.detail
    assert Recorder.seen[-1]["X-Scope-OrgID"] == "team-sre" and Recorder.seen[-1]["Authorization"] == "Bearer t0ken"
