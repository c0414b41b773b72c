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
from tests import postgres
from tests.conftest import ANCHOR, ROOT, oncall


def _write_many(url: str, worker: int, n: int) -> None:
    store = Store.open(url)
    for i in range(n):
        rid = f"w{worker}-{i}"
        store.save_answer(rid, f"s{worker}", "q", "a", "alerts", "offline", "f", "t", [])
        store.add_feedback(rid, f"s{worker}", "helpful", f"comment {i}")
        store.audit(AuditRecord(rid, f"s{worker}", "answer", "assistant_system", "v1", "m", 10, 5, 0.001, 12.5, "ok"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db_url(request, tmp_path) -> str:
    """The same tests on the default SQLite file and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'oncall.db'}"
    return request.getfixturevalue("postgres_url")


def test_many_writers_lose_nothing(db_url):
    Store.open(db_url)
    with ThreadPoolExecutor(16) as pool:  # sessions of one server
        list(pool.map(lambda w: _write_many(db_url, w, 25), range(16)))
    # Replicas sharing the database: separate interpreters (not multiprocessing, whose children
    # would re-run whatever script Streamlit's tests last made __main__).
    code = "import sys; from tests.test_storage import _write_many; _write_many(sys.argv[1], int(sys.argv[2]), 25)"
    processes = [subprocess.Popen([sys.executable, "-c", code, db_url, str(100 + w)], cwd=ROOT) for w in range(4)]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0, 0]
    store = Store.open(db_url)
    assert store.count("answers") == store.count("feedback") == store.count("audit") == 20 * 25
    if db_url.startswith("sqlite"):
        with store.transaction() as db:
            assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_concurrent_prompt_saves_each_get_a_version(db_url):
    """Admins on two replicas saving the same prompt at once: no save is lost, versions stay dense."""
    store = Store.open(db_url)
    with ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(lambda i: store.set_prompt("assistant_system", f"text {i}", f"admin{i}"), range(8)))
    assert sorted(versions) == list(range(1, 9))
    assert {v["author"] for v in store.prompt_versions("assistant_system")} == {f"admin{i}" for i in range(8)}


def test_a_report_job_is_claimed_once_among_many_claimers(db_url):
    store = Store.open(db_url)
    jobs = [store.create_report("f", "t", "") for _ in range(5)]
    with ThreadPoolExecutor(8) as pool:
        claims = list(pool.map(lambda w: [store.claim_report(f"w{w}") for _ in range(3)], range(8)))
    won = [c["id"] for batch in claims for c in batch if c]
    assert sorted(won) == jobs  # each job exactly once
    assert {store.report(j)["status"] for j in jobs} == {"running"}


def test_a_database_from_before_migrations_is_upgraded_with_its_data(tmp_path):
    """The first release's SQLite file (no alembic_version): tables and rows kept, new columns added."""
    path = tmp_path / "oncall.db"
    old = sqlite3.connect(path)
    old.executescript(FIRST_RELEASE_SCHEMA)
    old.execute("INSERT INTO answers (request_id, question, created_at) VALUES ('r1', 'what is firing?', '2026-11-01')")
    old.execute("INSERT INTO feedback (request_id, rating, created_at) VALUES ('r1', 'helpful', '2026-11-01')")
    old.execute("INSERT INTO prompts VALUES ('assistant_system', 3, 'edited', 'alice', '', '2026-11-01')")
    old.commit()
    old.close()
    store = Store.open(f"sqlite:///{path}")
    assert [(r["question"], r["rating"]) for r in store.answers_between("0", "9")] == [("what is firing?", "helpful")]
    assert store.prompt("assistant_system")["version"] == 3
    store.add_feedback("r1", "s", "resolved", user="bob")  # the column the upgrade added
    assert [r["user"] for r in store.feedback_rows()] == [None, "bob"]
    jobs = store.create_report("f", "t", "", {"tz": "Asia/Seoul"})
    assert store.claim_report("w")["id"] == jobs


def test_a_wrong_password_is_explained_without_showing_it(postgres_url):
    wrong = postgres_url.replace(postgres.PASSWORD, "not-the-password")
    with pytest.raises(StorageError) as refused:
        Store.open(wrong)
    assert "password authentication failed" in str(refused.value)
    assert "not-the-password" not in str(refused.value) and postgres.PASSWORD not in str(refused.value)


FIRST_RELEASE_SCHEMA = """
CREATE TABLE answers (
    request_id TEXT PRIMARY KEY, session TEXT, question TEXT, answer TEXT, action TEXT, mode TEXT,
    window_from TEXT, window_to TEXT, citations TEXT, created_at TEXT);
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT, session TEXT, rating TEXT, comment TEXT,
    escalated INTEGER DEFAULT 0, created_at TEXT);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT, session TEXT, action TEXT, prompt_name TEXT,
    prompt_version TEXT, model TEXT, tokens_in INTEGER, tokens_out INTEGER, cost_usd REAL, latency_ms REAL,
    outcome TEXT, created_at TEXT);
CREATE TABLE prompts (
    name TEXT, version INTEGER, text TEXT, author TEXT, note TEXT, created_at TEXT, PRIMARY KEY (name, version));
CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT, window_from TEXT, window_to TEXT, status TEXT, progress REAL,
    message TEXT, notes TEXT, markdown TEXT, html TEXT, created_at TEXT, finished_at TEXT, heartbeat TEXT, worker TEXT);
CREATE INDEX feedback_request ON feedback(request_id);
CREATE INDEX audit_created ON audit(created_at);
"""


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
    with pytest.raises(StorageError, match="use sqlite:///PATH or postgresql://") as refused:
        Store.open("mysql://root:hunter2@db.internal/oncall")
    assert "hunter2" not in str(refused.value)


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
