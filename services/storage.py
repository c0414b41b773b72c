"""Storage: answers, feedback, the audit of model calls, prompt versions and report jobs.

SQLite by default (one file under the data directory, WAL mode, so readers never block the
writer and concurrent sessions queue briefly instead of failing). Every call opens its own
connection: Streamlit serves sessions from many threads, and sqlite3 connections must not be
shared across threads. ONCALL_DB_URL selects the database; only `sqlite:///PATH` is implemented
here (see the README for what a shared server database takes).
"""

from __future__ import annotations

import difflib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from services.safety.redact import redact
from services.timewindow import iso, utcnow

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    request_id TEXT PRIMARY KEY, session TEXT, question TEXT, answer TEXT, action TEXT, mode TEXT,
    window_from TEXT, window_to TEXT, citations TEXT, created_at TEXT);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT, session TEXT, rating TEXT, comment TEXT,
    escalated INTEGER DEFAULT 0, created_at TEXT, user TEXT);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT, session TEXT, action TEXT, prompt_name TEXT,
    prompt_version TEXT, model TEXT, tokens_in INTEGER, tokens_out INTEGER, cost_usd REAL, latency_ms REAL,
    outcome TEXT, created_at TEXT, user TEXT);
CREATE TABLE IF NOT EXISTS prompts (
    name TEXT, version INTEGER, text TEXT, author TEXT, note TEXT, created_at TEXT, PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT, window_from TEXT, window_to TEXT, status TEXT, progress REAL,
    message TEXT, notes TEXT, markdown TEXT, html TEXT, created_at TEXT, finished_at TEXT, heartbeat TEXT, worker TEXT);
CREATE INDEX IF NOT EXISTS feedback_request ON feedback(request_id);
CREATE INDEX IF NOT EXISTS audit_created ON audit(created_at);
"""
RATINGS = ("resolved", "helpful", "not_helpful", "not_relevant")


@dataclass(frozen=True)
class AuditRecord:
    """One row of the audit log: a model call, or a confirmed side effect."""

    request_id: str
    session: str
    action: str
    prompt_name: str
    prompt_version: str
    model: str
    tokens_in: int
    tokens_out: int
    cost_usd: float | None
    latency_ms: float
    outcome: str
    user: str = ""


class StorageError(RuntimeError):
    """The database cannot be used; the message says why."""


# Columns added after a table was first created: (table, column, type). Older files gain them on open.
ADDED_COLUMNS = [("audit", "user", "TEXT"), ("feedback", "user", "TEXT")]
REPORT_FIELDS = {"status", "progress", "message", "markdown", "html", "finished_at", "heartbeat", "worker"}


def _add_missing_columns(db: sqlite3.Connection) -> None:
    for table, column, kind in ADDED_COLUMNS:
        if column not in {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


@dataclass
class Store:
    path: Path
    busy_seconds: float = 30.0  # how long a write waits for a lock held by another writer
    _init_lock: ClassVar[threading.Lock] = threading.Lock()
    _ready: ClassVar[set[Path]] = set()  # files whose schema this process has created

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def exists(self) -> bool:
        return self.path.exists()

    @classmethod
    def open(cls, url: str) -> Store:
        """The database at `url` (settings.storage.db_url), its schema created once per process."""
        if not url.startswith("sqlite:///"):
            raise StorageError(f"ONCALL_DB_URL={url!r}: only sqlite:///PATH is supported by this build (see README, 'Storage')")
        path, _, query = url[len("sqlite:///") :].partition("?")
        options = dict(part.partition("=")[::2] for part in query.split("&") if part)
        try:
            busy = float(options.get("timeout", 30))
        except ValueError:
            raise StorageError(f"ONCALL_DB_URL={url!r}: timeout must be a number of seconds") from None
        store = cls(Path(path), busy)
        with cls._init_lock:
            if store.path in cls._ready and store.path.exists():
                return store  # opened for every feedback and audit row: create the schema once
            store.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Questions, answers and notes are private: only the dashboard's user may read the file
            # (SQLite gives its -wal and -shm files the same mode).
            os.close(os.open(store.path, os.O_CREAT | os.O_RDWR, 0o600))
            os.chmod(store.path, 0o600)
            with store.connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
                _add_missing_columns(db)
            cls._ready.add(store.path)
        return store

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=self.busy_seconds, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout={int(self.busy_seconds * 1000)}")
        try:
            yield db
        finally:
            db.close()

    def _write(self, sql: str, args: tuple) -> int:
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                cursor = db.execute(sql, args)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return cursor.lastrowid or 0

    def _rows(self, sql: str, args: tuple = ()) -> list[dict]:
        with self.connect() as db:
            return [dict(r) for r in db.execute(sql, args)]

    # --- answers, feedback, audit ---------------------------------------------------------------

    def save_answer(
        self,
        request_id: str,
        session: str,
        question: str,
        answer: str,
        action: str,
        mode: str,
        window_from: str,
        window_to: str,
        citations: list[dict],
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                request_id,
                session,
                redact(question),
                redact(answer),
                action,
                mode,
                window_from,
                window_to,
                json.dumps(citations, ensure_ascii=False),
                iso(utcnow()),
            ),
        )

    def add_feedback(
        self, request_id: str, session: str, rating: str, comment: str = "", escalated: bool = False, user: str = ""
    ) -> int:
        if rating not in RATINGS:
            raise StorageError(f"rating {rating!r} is not one of {', '.join(RATINGS)}")
        return self._write(
            "INSERT INTO feedback (request_id, session, rating, comment, escalated, created_at, user) VALUES (?,?,?,?,?,?,?)",
            (request_id, session, rating, redact(comment), int(escalated), iso(utcnow()), user),
        )

    def audit(self, r: AuditRecord) -> int:
        return self._write(
            "INSERT INTO audit (request_id, session, action, prompt_name, prompt_version, model, tokens_in, tokens_out,"
            " cost_usd, latency_ms, outcome, created_at, user) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                r.request_id,
                r.session,
                r.action,
                r.prompt_name,
                r.prompt_version,
                r.model,
                r.tokens_in,
                r.tokens_out,
                r.cost_usd,
                r.latency_ms,
                r.outcome,
                iso(utcnow()),
                r.user,
            ),
        )

    def answers_between(self, start: str, end: str) -> list[dict]:
        """Answers asked in [start, end) with their latest feedback, oldest first."""
        return self._rows(
            "SELECT a.*, (SELECT rating FROM feedback f WHERE f.request_id = a.request_id ORDER BY f.id DESC LIMIT 1) AS rating,"
            " (SELECT comment FROM feedback f WHERE f.request_id = a.request_id ORDER BY f.id DESC LIMIT 1) AS comment"
            " FROM answers a WHERE a.created_at >= ? AND a.created_at < ? ORDER BY a.created_at",
            (start, end),
        )

    def feedback_rows(self) -> list[dict]:
        return self._rows(
            "SELECT f.*, a.question, a.answer, a.action, a.mode FROM feedback f LEFT JOIN answers a USING "
            "(request_id) ORDER BY f.id"
        )

    def audit_rows(self) -> list[dict]:
        return self._rows("SELECT * FROM audit ORDER BY id")

    def count(self, table: str) -> int:
        if table not in ("answers", "feedback", "audit", "prompts", "reports"):
            raise StorageError(f"no table {table}")
        return self._rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]

    # --- prompts ----------------------------------------------------------------------------------

    def seed_prompts(self, directory: Path) -> None:
        """Version 1 of every prompt file the database does not know yet."""
        known = {r["name"] for r in self._rows("SELECT DISTINCT name FROM prompts")}
        for path in sorted(directory.glob("*.md")):
            if path.stem not in known:
                self._write(
                    "INSERT OR IGNORE INTO prompts VALUES (?,?,?,?,?,?)",
                    (path.stem, 1, path.read_text(encoding="utf-8"), "seed", f"from {path.name}", iso(utcnow())),
                )

    def prompt(self, name: str, version: int | None = None) -> dict | None:
        if version is None:
            rows = self._rows("SELECT * FROM prompts WHERE name = ? ORDER BY version DESC LIMIT 1", (name,))
        else:
            rows = self._rows("SELECT * FROM prompts WHERE name = ? AND version = ?", (name, version))
        return rows[0] if rows else None

    def prompt_names(self) -> list[str]:
        return [r["name"] for r in self._rows("SELECT DISTINCT name FROM prompts ORDER BY name")]

    def prompt_versions(self, name: str) -> list[dict]:
        return self._rows("SELECT * FROM prompts WHERE name = ? ORDER BY version", (name,))

    def set_prompt(self, name: str, text: str, author: str, note: str = "") -> int:
        """Save `text` as the next version (an unchanged text keeps the current one); returns its version."""
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT version, text FROM prompts WHERE name = ? ORDER BY version DESC LIMIT 1", (name,)
                ).fetchone()
                if row and row["text"] == text:
                    db.execute("COMMIT")
                    return row["version"]
                version = (row["version"] if row else 0) + 1
                db.execute("INSERT INTO prompts VALUES (?,?,?,?,?,?)", (name, version, text, author, note, iso(utcnow())))
                db.execute("COMMIT")
                return version
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def rollback_prompt(self, name: str, version: int, author: str) -> int:
        old = self.prompt(name, version)
        if old is None:
            raise StorageError(f"prompt {name} has no version {version}")
        return self.set_prompt(name, old["text"], author, f"rollback to v{version}")

    # --- report jobs --------------------------------------------------------------------------------

    def create_report(self, window_from: str, window_to: str, notes: str) -> int:
        now = iso(utcnow())
        return self._write(
            "INSERT INTO reports (window_from, window_to, status, progress, message, notes, created_at, heartbeat)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (window_from, window_to, "queued", 0.0, "queued", redact(notes), now, now),
        )

    def update_report(self, report_id: int, **fields: Any) -> None:
        if not set(fields) <= REPORT_FIELDS:
            raise StorageError(f"unknown report fields {set(fields) - REPORT_FIELDS}")
        fields.setdefault("heartbeat", iso(utcnow()))
        fields = {k: redact(v) if k in ("markdown", "html", "message") and isinstance(v, str) else v for k, v in fields.items()}
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self._write(f"UPDATE reports SET {assignments} WHERE id = ?", (*fields.values(), report_id))

    # --- retention ----------------------------------------------------------------------------------

    def purge(self, before: str) -> dict[str, int]:
        """Delete what was created before `before` (ISO time); returns the rows deleted per table."""
        deleted = {}
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for table in ("feedback", "answers", "audit", "reports"):
                    deleted[table] = db.execute(f"DELETE FROM {table} WHERE created_at < ?", (before,)).rowcount
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return deleted

    def delete_answer(self, request_id: str) -> int:
        """Forget one question: its answer, its feedback and its audit rows."""
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                count = sum(
                    db.execute(f"DELETE FROM {table} WHERE request_id = ?", (request_id,)).rowcount
                    for table in ("feedback", "answers", "audit")
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return count

    def delete_report(self, report_id: int) -> int:
        return self._write_count("DELETE FROM reports WHERE id = ?", (report_id,))

    def _write_count(self, sql: str, args: tuple) -> int:
        with self.connect() as db:
            return db.execute(sql, args).rowcount

    def report(self, report_id: int) -> dict | None:
        rows = self._rows("SELECT * FROM reports WHERE id = ?", (report_id,))
        return rows[0] if rows else None

    def reports(self, limit: int = 50) -> list[dict]:
        return self._rows(
            "SELECT id, window_from, window_to, status, progress, message, created_at, finished_at, heartbeat"
            " FROM reports ORDER BY id DESC LIMIT ?",
            (limit,),
        )


def prompt_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label))
