"""A Prometheus that answers 500 is unknown data, never "nothing is firing"."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from services.timewindow import iso
from tests.conftest import ANCHOR, oncall


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = json.dumps({"status": "error", "errorType": "internal", "error": "storage is **on fire** ![x](http://e/x)"})
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        return


@pytest.fixture
def failing_prometheus():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_ask_says_unknown_and_exits_non_zero(failing_prometheus, tmp_path, bundled_index_dir):
    env = {"PROMETHEUS_URL": failing_prometheus, "ONCALL_DATA_DIR": str(tmp_path), "ONCALL_INDEX_DIR": str(bundled_index_dir)}
    english = oncall("ask", "what is firing right now?", env=env)
    assert english.returncode == 1, english.stderr
    assert "nothing is firing" not in english.stdout and "Firing now: unknown" in english.stdout
    assert "answered HTTP 500" in english.stderr
    korean = oncall("ask", "지금 발생 중인 알림 있어?", "--json", env=env)
    data = json.loads(korean.stdout)
    assert korean.returncode == 1 and "알 수 없음" in data["answer"] and "없습니다" not in data["answer"].split("\n")[2]
    assert data["unavailable"] and all("HTTP 500" in u for u in data["unavailable"])


def test_the_report_says_so_at_the_top(failing_prometheus, tmp_path):
    out = tmp_path / "shift.md"
    env = {"PROMETHEUS_URL": failing_prometheus, "ONCALL_DATA_DIR": str(tmp_path), "ONCALL_DEMO_NOW": iso(ANCHOR)}
    result = oncall("report", "--format", "md", "--out", str(out), env=env)
    text = out.read_text()
    assert result.returncode == 1 and "warning: alerts:" in result.stderr
    head = text.split("## Summary")[0]
    assert "Incomplete summary" in head and "0 alert firings" not in text and "nothing is firing" not in text.lower()
