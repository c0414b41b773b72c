"""Error-log triage: grouping, grounded suggestions, and the Slack post that waits for confirmation."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.assistant.triage import group_errors, suggest
from services.knowledge import indexing as kb
from tests.conftest import chat_model, settings_for
from tests.fake_openai import fake_openai

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LOG = """2026-11-21T19:02:03.123Z ERROR upstream connect error or disconnect/reset before headers. reset reason: connection failure, pod=recommendation-6c9d7f8b4-x2kqp 10.1.2.3:8080
2026-11-21T19:02:04.551Z ERROR upstream connect error or disconnect/reset before headers. reset reason: connection failure, pod=recommendation-6c9d7f8b4-q8wzn 10.1.2.9:8080
2026-11-21T19:02:05.000Z INFO GET /api/cart 200 in 12ms
2026-11-21T19:02:06Z level=error msg="cronjob settlement-report-29362140 failed: job has reached the specified backoff limit" attempt=3 db=postgres://report:hunter2hunter2@db:5432/ledger
2026-11-21T19:02:07Z level=info msg="retrying after error"
2026-11-21T19:02:08.777Z ERROR upstream connect error or disconnect/reset before headers. reset reason: connection failure, pod=recommendation-6c9d7f8b4-x2kqp 10.1.2.3:8080
"""


@pytest.fixture(scope="module")
def index(bundled_index_dir):
    return kb.load_index(settings_for().knowledge, bundled_index_dir), bundled_index_dir


def test_error_lines_are_grouped_by_template():
    groups = group_errors(LOG)
    assert [g.count for g in groups] == [3, 1]
    assert (
        groups[0].template.startswith("<TS> ERROR upstream connect error")
        and "pod=recommendation-<POD> <IP>" in groups[0].template
    )
    assert groups[0].lines == [1, 2, 6]
    assert "settlement-report-<N> failed" in groups[1].template
    assert all("level=info" not in g.sample and "INFO" not in g.sample for g in groups)
    assert "hunter2hunter2" not in groups[1].sample + groups[1].template  # redacted before it is shown or sent


def test_offline_suggestions_cite_the_right_runbooks(index):
    groups = [suggest(g, index[0], None) for g in group_errors(LOG)]
    assert groups[0].citations[0].source == "istio/Envoy503ResponseFlags.md"
    assert groups[0].suggestion.startswith("- ") and "[1]" in groups[0].suggestion
    assert groups[1].citations[0].source in {"workloads/CronJobFailed.md", "kubernetes/KubeJobFailed.md"}


def test_model_suggestion_is_grounded_and_redacted(index):
    with fake_openai() as fake:
        fake.reply = "Likely UF: the recommendation pods refuse connections [1]. Check the pods [1]."
        group = suggest(group_errors(LOG)[1], index[0], chat_model(fake.url, "triage-model", 5))
        sent = json.dumps(fake.requests[-1]["body"]["messages"])
    assert group.mode == "triage-model" and group.suggestion.startswith("Likely UF")
    assert "backoff limit" in sent and "hunter2hunter2" not in sent


class _Slack(http.server.BaseHTTPRequestHandler):
    posts: list = []

    def do_POST(self):  # noqa: N802
        self.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_triage_page_posts_to_slack_only_after_confirmation(app_env):
    monkeypatch = app_env
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/services/T/B/X")
    try:
        at = AppTest.from_file(APP, default_timeout=90).run()
        at.switch_page("pages/triage.py").run()
        at.text_area(key="triage_text").input(LOG).run()
        assert not at.exception
        assert any(s.value == "2 error groups" for s in at.subheader)
        assert any("istio/Envoy503ResponseFlags.md" in c.value for c in at.caption)
        at.button(key="slack_triage_0").click().run()
        assert _Slack.posts == []  # asked, not posted
        at.button(key="slack_yes_triage_0").click().run()
        assert len(_Slack.posts) == 1
        message = _Slack.posts[0]["text"]
        assert message.startswith("*3× &lt;TS&gt; ERROR upstream connect error") and "istio/Envoy503ResponseFlags.md" in message
        at.button(key="slack_triage_1").click().run()
        at.button(key="slack_yes_triage_1").click().run()
        assert len(_Slack.posts) == 2 and "hunter2hunter2" not in _Slack.posts[1]["text"]
    finally:
        server.shutdown()


def test_slack_mrkdwn_from_logs_stays_text():
    from services.integrations.slack import post

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Slack.posts.clear()
    try:
        post(
            f"http://127.0.0.1:{server.server_port}/services/T/B/X",
            "<!channel> payments down",
            "see <https://evil.example/login|the runbook> & ping <@U024BE7LH>",
            ["<!here>"],
        )
    finally:
        server.shutdown()
    text = _Slack.posts[0]["text"]
    assert "<!channel>" not in text and "<!here>" not in text and "<https://evil.example" not in text and "<@U" not in text
    assert "&lt;!channel&gt; payments down" in text and "&amp; ping" in text
