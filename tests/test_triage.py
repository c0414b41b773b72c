"""Error-log triage: grouping, grounded suggestions, and the Slack post that waits for confirmation."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.assistant.triage import group_errors, group_lines, suggest
from services.knowledge import indexing as kb
from tests.conftest import chat_model, oncall, settings_for
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
    assert groups[0].template.startswith("ERROR upstream connect error") and "pod=<*> <*>" in groups[0].template
    assert groups[0].lines == [1, 2, 6] and groups[0].level == "error"
    assert "settlement-report-" not in groups[1].template and "failed" in groups[1].template
    assert all("level=info" not in g.sample and "INFO" not in g.sample for g in groups)
    assert "hunter2hunter2" not in groups[1].sample + groups[1].template  # redacted before it is shown or sent


def test_levels_come_from_the_header_not_from_numbers():
    text = (
        "2015-10-18 18:01:50,509 INFO dfs.DataNode: Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106\n"
        "2015-10-18 18:01:51,503 WARN dfs.DataNode: Slow BlockReceiver write data to disk cost:6514ms\n"
        "Nov 21 03:12:39 lb-02 haproxy[2361]: backend be_api has no server available!\n"
        'E1121 03:12:01.123456    2841 pod_workers.go:190] "Error syncing pod" pod="prod/cart-7d9-x2"\n'
        "I1121 03:12:02.123456    2841 kubelet.go:2345] SyncLoop ADD pod=prod/cart-7d9-x3 errors=0\n"
    )
    groups = group_errors(text)
    assert {g.first_line for g in groups} == {3, 4}  # ",509" is milliseconds, "errors=0" is not an error


def test_masking_merges_names_and_never_merges_different_events():
    users = ["alice", "bob", "carol", "deploy"]
    lines = [
        f"Nov 18 18:0{i}:50 web-0{i} sshd[4{i}1]: Accepted publickey for {u} from 10.0.0.{i} port 5{i}22"
        for i, u in enumerate(users)
    ]
    lines += [
        "2026-11-21 03:12:01.100 ERROR rdd_2_1 fetch from ip-10-0-1-7 failed: connection refused",
        "2026-11-21 03:12:02.200 ERROR rdd_7_3 fetch from ip-10-0-2-9 failed: connection refused",
        "2026-11-21 03:12:03.300 ERROR rdd_9_2 fetch from ip-10-0-3-4 failed: connection reset",
    ]
    groups = group_lines("\n".join(lines), all_lines=True)
    accepted = next(g for g in groups if "Accepted publickey" in g.template)
    assert accepted.count == 4 and "web-0" not in accepted.template and "Mon" not in accepted.template
    refused = [g for g in groups if g.template.endswith("refused")]
    reset = [g for g in groups if g.template.endswith("reset")]
    assert len(refused) == 1 and refused[0].count == 2 and len(reset) == 1  # one word apart: two events


def test_a_stack_trace_is_one_record_named_by_its_exception():
    text = (
        "2026-11-21 03:12:01.100 ERROR c.e.Orders : request failed\n"
        "java.net.ConnectException: Connection refused\n"
        "\tat java.base/sun.nio.ch.Net.connect(Net.java:579)\n"
        "\t... 42 more\n"
        "2026-11-21 03:12:02.100 ERROR c.e.Orders : request failed\n"
        "java.net.SocketTimeoutException: Read timed out\n"
        "\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)\n"
        "2026-11-21 03:12:03.100 INFO c.e.Orders : order 17 created\n"
    )
    groups = group_errors(text)
    assert [g.lines for g in sorted(groups, key=lambda g: g.first_line)] == [[1, 2, 3, 4], [5, 6, 7]]
    assert "ConnectException" in groups[0].template + groups[1].template


DEV = Path(__file__).resolve().parents[1] / "data" / "eval"


def _grouping_accuracy(rows: list[dict]) -> float:
    """Share of lines whose group holds exactly the lines of their labelled event (Loghub's GA)."""
    groups = group_lines("\n".join(r["line"] for r in rows), all_lines=True)
    found = {n - 1: i for i, g in enumerate(groups) for n in g.lines}
    keep = [i for i, r in enumerate(rows) if r["line"].strip()]
    truth: dict[str, set[int]] = {}
    mine: dict[int, set[int]] = {}
    for i in keep:
        truth.setdefault(rows[i]["event"], set()).add(i)
        mine.setdefault(found.get(i, -1 - i), set()).add(i)
    return sum(truth[rows[i]["event"]] == mine[found.get(i, -1 - i)] for i in keep) / len(keep)


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["triage", "triage_holdout"])
def test_grouping_and_error_selection_on_labelled_logs(folder):
    """Logs an SRE pastes, from many systems, labelled by hand apart from the code (data/eval/triage*)."""
    files = sorted((DEV / folder).glob("*.jsonl"))
    assert len(files) >= 10
    accuracies, right, picked, errors = [], 0, 0, 0
    for path in files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        accuracies.append(_grouping_accuracy(rows))
        chosen = {n - 1 for g in group_errors("\n".join(r["line"] for r in rows)) for n in g.lines}
        right += sum(1 for i in chosen if rows[i]["error"])
        picked += len(chosen)
        errors += sum(1 for r in rows if r["error"] and r["line"].strip())
    assert sum(accuracies) / len(accuracies) >= 0.80, accuracies
    assert right / picked >= 0.95 and right / errors >= 0.85


def test_triage_cli_json_all_lines_and_slack(tmp_path):
    log = tmp_path / "app.log"
    log.write_text(LOG, encoding="utf-8")
    out = json.loads(oncall("triage", str(log), "--json", env={"ONCALL_INDEX_DIR": str(tmp_path / "kb")}).stdout)
    assert [set(g) for g in out["groups"]] == [{"template", "count", "lines", "level", "sample", "fix", "sources"}] * 2
    assert out["groups"][0]["lines"] == [1, 2, 6] and out["groups"][0]["count"] == 3
    every = json.loads(oncall("triage", str(log), "--json", "--all-lines", env={"ONCALL_INDEX_DIR": str(tmp_path / "kb")}).stdout)
    assert sum(len(g["lines"]) for g in every["groups"]) == 6
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Slack.posts.clear()
    try:
        env = {"ONCALL_INDEX_DIR": str(tmp_path / "kb"), "SLACK_WEBHOOK_URL": f"http://127.0.0.1:{server.server_port}/x"}
        assert oncall("triage", str(log), env=env).returncode == 0 and _Slack.posts == []  # no flag, no post
        posted = oncall("triage", str(log), "--post-slack", env=env)
    finally:
        server.shutdown()
    assert posted.returncode == 0 and len(_Slack.posts) == 2 and "hunter2hunter2" not in json.dumps(_Slack.posts)
    missing = oncall("triage", str(tmp_path / "nope.log"), env={"ONCALL_INDEX_DIR": str(tmp_path / "kb")})
    assert missing.returncode == 1 and "nope.log" in missing.stderr and "Traceback" not in missing.stderr


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
    _Slack.posts.clear()
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
        assert message.startswith("*3× ERROR upstream connect error") and "istio/Envoy503ResponseFlags.md" in message
        at.button(key="slack_triage_1").click().run()
        at.button(key="slack_yes_triage_1").click().run()
        assert len(_Slack.posts) == 2 and "hunter2hunter2" not in _Slack.posts[1]["text"]
    finally:
        server.shutdown()


def test_slack_mrkdwn_from_logs_stays_text():
    from services.auth import operator
    from services.config import AccessSettings
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
            actor=operator(),
            access=AccessSettings(),
        )
    finally:
        server.shutdown()
    text = _Slack.posts[0]["text"]
    assert "<!channel>" not in text and "<!here>" not in text and "<https://evil.example" not in text and "<@U" not in text
    assert "&lt;!channel&gt; payments down" in text and "&amp; ping" in text
