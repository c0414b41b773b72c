"""Storage: nothing lost with many concurrent writers, prompt versions round trip."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.auth import operator
from services.llm.prompts import PROMPTS
from services.storage import AuditRecord, StorageError, Store, prompt_diff
from services.timewindow import iso
from tests.conftest import ANCHOR, ROOT, oncall


def _write_many(url: str, worker: int, n: int) -> None:
    store = Store.open(url)
    for i in range(n):
        rid = f"w{worker}-{i}"
        store.save_answer(rid, f"s{worker}", "q", "a", "alerts", "offline", "f", "t", [])
        store.add_feedback(rid, f"s{worker}", "helpful", f"comment {i}")
        store.audit(AuditRecord(rid, f"s{worker}", "answer", "assistant_system", "v1", "m", 10, 5, 0.001, 12.5, "ok"))


def test_many_writers_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'oncall.db'}"
    Store.open(url)
    with ThreadPoolExecutor(16) as pool:  # sessions of one server
        list(pool.map(lambda w: _write_many(url, w, 25), range(16)))
    # Replicas sharing the file: separate interpreters (not multiprocessing, whose children would
    # re-run whatever script Streamlit's tests last made __main__).
    code = "import sys; from tests.test_storage import _write_many; _write_many(sys.argv[1], int(sys.argv[2]), 25)"
    processes = [subprocess.Popen([sys.executable, "-c", code, url, str(100 + w)], cwd=ROOT) for w in range(4)]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0, 0]
    store = Store.open(url)
    assert store.count("answers") == store.count("feedback") == store.count("audit") == 20 * 25
    with store.connect() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_prompt_versions_round_trip(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.seed_prompts(PROMPTS)
    first = store.prompt("assistant_system")
    assert first["version"] == 1 and first["author"] == "seed" and "I don't know" in first["text"]
    v2 = store.set_prompt("assistant_system", first["text"] + "\nAlways mention the cluster.", "alice", "cluster names")
    assert v2 == 2 and store.set_prompt("assistant_system", first["text"] + "\nAlways mention the cluster.", "alice") == 2
    diff = prompt_diff(first["text"], store.prompt("assistant_system")["text"], "v1", "v2")
    assert "+Always mention the cluster." in diff
    v3 = store.rollback_prompt("assistant_system", 1, "bob")
    latest = store.prompt("assistant_system")
    assert (v3, latest["text"], latest["note"], latest["author"]) == (3, first["text"], "rollback to v1", "bob")
    assert [v["version"] for v in store.prompt_versions("assistant_system")] == [1, 2, 3]
    store.seed_prompts(PROMPTS)  # seeding again never overwrites edits
    assert store.prompt("assistant_system")["version"] == 3
    with pytest.raises(StorageError, match="has no version 9"):
        store.rollback_prompt("assistant_system", 9, "bob")


def test_unsupported_database_url_is_explained():
    with pytest.raises(StorageError, match="only sqlite:///PATH is supported"):
        Store.open("postgresql://db.internal/oncall")


def test_bad_rating_is_refused(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(StorageError, match="is not one of resolved, helpful, not_helpful, not_relevant"):
        store.add_feedback("r1", "s", "meh")


def test_insights_aggregate_feedback_and_cost(tmp_path):
    from services.reports import insights

    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    for i, (action, rating) in enumerate(
        [("alerts", "helpful"), ("alerts", "not_helpful"), ("summary", "resolved"), ("alerts", "helpful")]
    ):
        store.save_answer(
            f"r{i}", "s", "What is firing?" if action == "alerts" else "Summary please", "a", action, "m", "f", "t", []
        )
        store.add_feedback(f"r{i}", "s", rating)
        store.audit(
            AuditRecord(
                f"r{i}",
                "s",
                action,
                "assistant_system",
                "assistant_system@v1",
                "gpt-4o-mini",
                1000,
                100,
                0.0002,
                100.0 * (i + 1),
                "ok",
            )
        )
    by_action = insights.helpfulness(insights.feedback_frame(store, operator()), "action").set_index("action")
    assert by_action.loc["alerts", "ratings"] == 3 and by_action.loc["alerts", "helpful_rate"] == pytest.approx(2 / 3)
    assert by_action.loc["summary", "helpful_rate"] == 1.0
    cost = insights.cost_per_day(insights.audit_frame(store, operator()))
    assert cost["cost_usd"].sum() == pytest.approx(0.0008) and cost["calls"].sum() == 4
    assert insights.slowest(insights.audit_frame(store, operator()))["request_id"].iloc[0] == "r3"
    assert insights.most_asked(store, operator()).iloc[0].tolist() == ["what is firing?", 3]


def test_a_locked_database_loses_no_answer_and_says_so(tmp_path):
    """Another writer holds the lock past the busy timeout: the answer is printed, the failure reported."""
    db = tmp_path / "oncall.db"
    url = f"sqlite:///{db}?timeout=0.5"
    Store.open(url)  # schema
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = oncall("ask", "what is firing?", "--json", env={"ONCALL_DB_URL": url, "ONCALL_DEMO_NOW": iso(ANCHOR)})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 3, result.stderr  # 3: answered, not stored
    assert "KubePodCrashLooping" in json.loads(result.stdout)["answer"]
    assert "not stored" in result.stderr and "locked" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unwritable_database_still_answers_and_reports(tmp_path):
    """A database that cannot be created (a read-only place): ask answers, report writes its file."""
    env = {"ONCALL_DB_URL": "sqlite:////proc/oncall-readonly/oncall.db", "ONCALL_DEMO_NOW": iso(ANCHOR)}
    asked = oncall("ask", "what is firing?", env=env)
    assert asked.returncode == 3 and "KubePodCrashLooping" in asked.stdout and "not stored" in asked.stderr
    out = tmp_path / "summary.md"
    reported = oncall("report", "--format", "md", "--out", str(out), env=env)
    assert out.is_file() and "Shift summary" in out.read_text(encoding="utf-8"), reported.stderr
    assert "Traceback" not in asked.stderr + reported.stderr
