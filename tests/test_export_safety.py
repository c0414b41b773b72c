"""Hostile text in a shift summary: escaped in HTML, never run, never able to read a file or URL into the PDF."""

from __future__ import annotations

import http.server
import io
import threading
from datetime import timedelta

import pytest
from pypdf import PdfReader

from services.reports import export
from services.reports.summary import build_summary
from services.sources.base import Filters
from services.timewindow import Window
from tests import servers
from tests.conftest import ANCHOR, require, runtime_for, settings_for

pytestmark = pytest.mark.integration

HOSTILE_LABEL = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'


class _Canary(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"CANARY-URL-CONTENT")

    def log_message(self, *args):
        return


@pytest.fixture
def canary_url():
    handler = type("Canary", (_Canary,), {"hits": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", handler.hits
    server.shutdown()


@pytest.fixture(scope="module")
def hostile_prometheus(tmp_path_factory):
    """A real Prometheus whose ALERTS series carry HTML and script in their label values."""
    require(servers.PROMETHEUS, servers.PROMTOOL)
    work = tmp_path_factory.mktemp("hostile")
    start = int((ANCHOR - timedelta(hours=2)).timestamp())
    label = HOSTILE_LABEL.replace("\\", "\\\\").replace('"', '\\"')
    lines = ["# TYPE ALERTS gauge"]
    for minute in range(0, 90):
        lines.append(
            f'ALERTS{{alertname="XssAlert",alertstate="firing",severity="critical",namespace="shop",'
            f'service="{label}"}} 1 {start + minute * 60}'
        )
    lines.append("# EOF")
    (work / "hostile.om").write_text("\n".join(lines) + "\n")
    servers.backfill(work / "hostile.om", work / "tsdb")
    with servers.prometheus(work / "tsdb", work) as server:
        yield server.url


@pytest.fixture
def hostile_summary(hostile_prometheus, canary_url, tmp_path):
    url, _ = canary_url
    secret = tmp_path / "server-secret.txt"
    secret.write_text("CANARY-FILE-CONTENT")
    notes = (
        f'Handover.\n<iframe src="{secret.as_uri()}"></iframe>\n<iframe src="{url}/internal"></iframe>\n'
        f'<img src="{url}/img" onerror="alert(1)">\n![exfil]({url}/markdown-image?q=secret)\n'
        '<script>document.write("RAN-" + "BY-SCRIPT")</script>\n'
    )
    runtime = runtime_for(settings_for(prometheus_url=hostile_prometheus))
    return build_summary(runtime, Window(ANCHOR - timedelta(hours=3), ANCHOR), Filters(), notes)


def test_hostile_labels_and_notes_are_text_in_the_html(hostile_summary):
    page = export.to_html(hostile_summary)
    assert "XssAlert" in page and "&lt;script&gt;" in page  # shown, as text
    for raw in ("<script", "<iframe", "<img", "onerror=alert(1)>"):
        assert raw not in page, raw
    assert "](http" not in export.to_markdown(hostile_summary)  # no Markdown image left to fetch


def test_the_pdf_cannot_read_a_server_file_or_an_internal_url(hostile_summary, canary_url):
    _, hits = canary_url
    pdf = export.to_pdf(export.to_html(hostile_summary))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "XssAlert" in text and "Handover." in text
    assert "CANARY-FILE-CONTENT" not in text and "CANARY-URL-CONTENT" not in text and "RAN-BY-SCRIPT" not in text
    assert hits == []


def test_even_raw_hostile_html_prints_without_fetching_anything(canary_url, tmp_path):
    """The printer's own guard, without the escaping: JavaScript off, every request refused."""
    url, hits = canary_url
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-FILE-CONTENT")
    raw = (
        f'<html><body><p>visible</p><iframe src="{secret.as_uri()}"></iframe><img src="{url}/a">'
        f'<link rel="stylesheet" href="{url}/b"><script>document.write("RAN-" + "BY-SCRIPT")</script></body></html>'
    )
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(export.to_pdf(raw))).pages)
    assert "visible" in text and "CANARY-FILE-CONTENT" not in text and "RAN-BY-SCRIPT" not in text
    assert hits == []
