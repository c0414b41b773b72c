"""Storage: answers, feedback, the audit of model calls, prompt versions, report jobs and shared
runbook index generations; SQLite or PostgreSQL through one code path (SQLAlchemy Core).

ONCALL_DB_URL selects the database:
- `sqlite:///PATH` (the default, one file under the data directory): WAL mode, so readers never
  block the writer; writes take the lock up front (BEGIN IMMEDIATE) and wait up to `?timeout=`
  seconds for another writer instead of failing at once. One server, or replicas on one host.
- `postgresql://USER:PASSWORD@HOST/DB`: several replicas behind a load balancer share it.

The schema is migrated to the newest revision (Alembic, services/migrations) when a process first
opens a database, so an upgrade keeps the data. Database errors reach callers as StorageError with
the URL shown without its password.
"""

from __future__ import annotations

import difflib
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from services import schema
from services.config import without_credentials
from services.safety.redact import redact
from services.timewindow import iso, utcnow

RATINGS = ("resolved", "helpful", "not_helpful", "not_relevant")
REPORT_FIELDS = {"status", "progress", "message", "markdown", "html", "finished_at", "heartbeat", "worker"}
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 74_216_001  # PostgreSQL advisory lock: replicas starting together migrate one at a time
PROMPT_LOCK = 74_216_002  # with the prompt name's hash: saves of one prompt take turns
T = TypeVar("T")


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


def _sqlite_engine(url: str) -> tuple[Engine, Path]:
    path, _, query = url[len("sqlite:///") :].partition("?")
    options = dict(part.partition("=")[::2] for part in query.split("&") if part)
    try:
        busy = float(options.get("timeout", 30))
    except ValueError:
        raise StorageError(f"ONCALL_DB_URL={url!r}: timeout must be a number of seconds") from None
    file = Path(path)
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Questions, answers and notes are private: only the dashboard's user may read the file
    # (SQLite gives its -wal and -shm files the same mode).
    os.close(os.open(file, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(file, 0o600)
    # NullPool: a connection per use. sqlite3 connections must stay on their thread, and opening
    # a file is cheaper than a pool's bookkeeping across Streamlit's session threads.
    engine = create_engine(f"sqlite:///{file}", poolclass=NullPool, connect_args={"timeout": busy})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A writer takes the write lock up front, so it waits for another writer instead of
        # failing when it upgrades a read lock mid-transaction; readers never wait (WAL).
        read_only = connection.get_execution_options().get("read_only")
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine, file


def _postgresql_engine(url: str) -> Engine:
    driver_url = "postgresql+psycopg://" + url.split("://", 1)[1]
    # A locked row or a dead server must fail within seconds, not hang a page.
    return create_engine(
        driver_url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"connect_timeout": 10, "options": "-c lock_timeout=30000 -c statement_timeout=60000"},
    )


def _migrate(engine: Engine) -> None:
    from alembic import command  # imported here: a process migrates once, pages never need it
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@dataclass
class Store:
    engine: Engine
    url: str  # as configured (a key, never shown: it may hold a password)
    path: Path | None = None  # the SQLite file; None for a server database
    _init_lock: ClassVar[threading.Lock] = threading.Lock()
    _open: ClassVar[dict[str, Store]] = {}  # one engine (and one migration) per database and process

    @property
    def shown_url(self) -> str:
        return without_credentials(self.url)

    def exists(self) -> bool:
        """False when the SQLite file was removed under a running process (then it is recreated)."""
        return self.path is None or self.path.exists()

    @classmethod
    def open(cls, url: str) -> Store:
        """The database at `url` (settings.storage.db_url), migrated to the newest schema once per process."""
        with cls._init_lock:
            known = cls._open.get(url)
            if known is not None and known.exists():
                return known  # opened for every feedback and audit row
            if url.startswith("sqlite:///"):
                engine, path = _sqlite_engine(url)
                store = cls(engine, url, path)
            elif url.startswith(("postgresql://", "postgres://")):
                store = cls(_postgresql_engine(url), url)
            else:
                raise StorageError(
                    f"ONCALL_DB_URL={without_credentials(url)!r}: use sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB"
                )
            store._guard(lambda: _migrate(store.engine))
            cls._open[url] = store
        return store

    def _error(self, exc: SQLAlchemyError) -> StorageError:
        """The driver's reason in one line, naming the database (without its password)."""
        original = getattr(exc, "orig", None) or exc
        lines = str(original).strip().splitlines()
        return StorageError(f"database {self.shown_url}: {lines[0] if lines else type(original).__name__}")

    def _guard(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction (committed on success); database errors become StorageError."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    def _rows(self, statement: Any) -> list[dict]:
        def read() -> list[dict]:
            with self.engine.connect().execution_options(read_only=True) as connection:
                return [dict(row._mapping) for row in connection.execute(statement)]

        return self._guard(read)

    def _insert(self, table: Any, **values: Any) -> int:
        with self.transaction() as db:
            result = db.execute(insert(table).values(**values))
            key = result.inserted_primary_key
            return int(key[0]) if key and isinstance(key[0], int) else 0

    def _upsert(self, table: Any, values: dict, keys: list[str], replace: bool) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table).values(**values)
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=keys, set_={k: v for k, v in values.items() if k not in keys}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        with self.transaction() as db:
            db.execute(statement)

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
        row = {
            "request_id": request_id,
            "session": session,
            "question": redact(question),
            "answer": redact(answer),
            "action": action,
            "mode": mode,
            "window_from": window_from,
            "window_to": window_to,
            "citations": json.dumps(citations, ensure_ascii=False),
            "created_at": iso(utcnow()),
        }
        self._upsert(schema.answers, row, ["request_id"], replace=True)

    def add_feedback(
        self, request_id: str, session: str, rating: str, comment: str = "", escalated: bool = False, user: str = ""
    ) -> int:
        if rating not in RATINGS:
            raise StorageError(f"rating {rating!r} is not one of {', '.join(RATINGS)}")
        return self._insert(
            schema.feedback,
            request_id=request_id,
            session=session,
            rating=rating,
            comment=redact(comment),
            escalated=int(escalated),
            created_at=iso(utcnow()),
            user=user,
        )

    def audit(self, r: AuditRecord) -> int:
        return self._insert(
            schema.audit,
            request_id=r.request_id,
            session=r.session,
            action=r.action,
            prompt_name=r.prompt_name,
            prompt_version=r.prompt_version,
            model=r.model,
            tokens_in=r.tokens_in,
            tokens_out=r.tokens_out,
            cost_usd=r.cost_usd,
            latency_ms=r.latency_ms,
            outcome=r.outcome,
            created_at=iso(utcnow()),
            user=r.user,
        )

    def answers_between(self, start: str, end: str) -> list[dict]:
        """Answers asked in [start, end) with their latest feedback, oldest first."""
        a, f = schema.answers, schema.feedback

        def latest(column: Any) -> Any:
            return select(column).where(f.c.request_id == a.c.request_id).order_by(f.c.id.desc()).limit(1).scalar_subquery()

        return self._rows(
            select(a, latest(f.c.rating).label("rating"), latest(f.c.comment).label("comment"))
            .where(a.c.created_at >= start, a.c.created_at < end)
            .order_by(a.c.created_at)
        )

    def feedback_rows(self) -> list[dict]:
        a, f = schema.answers, schema.feedback
        return self._rows(
            select(f, a.c.question, a.c.answer, a.c.action, a.c.mode)
            .select_from(f.outerjoin(a, f.c.request_id == a.c.request_id))
            .order_by(f.c.id)
        )

    def audit_rows(self) -> list[dict]:
        return self._rows(select(schema.audit).order_by(schema.audit.c.id))

    def count(self, table: str) -> int:
        if table not in schema.TABLES:
            raise StorageError(f"no table {table}")
        return self._rows(select(func.count().label("n")).select_from(schema.TABLES[table]))[0]["n"]

    # --- prompts ----------------------------------------------------------------------------------

    def seed_prompts(self, directory: Path) -> None:
        """Version 1 of every prompt file the database does not know yet."""
        known = set(self.prompt_names())
        for path in sorted(directory.glob("*.md")):
            if path.stem not in known:
                row = {
                    "name": path.stem,
                    "version": 1,
                    "text": path.read_text(encoding="utf-8"),
                    "author": "seed",
                    "note": f"from {path.name}",
                    "created_at": iso(utcnow()),
                }
                self._upsert(schema.prompts, row, ["name", "version"], replace=False)

    def prompt(self, name: str, version: int | None = None) -> dict | None:
        p = schema.prompts
        query = select(p).where(p.c.name == name)
        query = query.order_by(p.c.version.desc()).limit(1) if version is None else query.where(p.c.version == version)
        rows = self._rows(query)
        return rows[0] if rows else None

    def prompt_names(self) -> list[str]:
        return [r["name"] for r in self._rows(select(schema.prompts.c.name).distinct().order_by(schema.prompts.c.name))]

    def prompt_versions(self, name: str) -> list[dict]:
        p = schema.prompts
        return self._rows(select(p).where(p.c.name == name).order_by(p.c.version))

    def set_prompt(self, name: str, text: str, author: str, note: str = "") -> int:
        """Save `text` as the next version (an unchanged text keeps the current one); returns its version.

        Saves of one prompt run one at a time, across replicas too: SQLite's writers are already
        serialized (BEGIN IMMEDIATE); on PostgreSQL a transaction lock on the prompt's name does it.
        Retrying a conflicting insert instead starved a writer under eight concurrent saves.
        """
        p = schema.prompts
        with self.transaction() as db:
            if db.dialect.name == "postgresql":
                db.execute(select(func.pg_advisory_xact_lock(PROMPT_LOCK, func.hashtext(name))))
            row = db.execute(select(p.c.version, p.c.text).where(p.c.name == name).order_by(p.c.version.desc()).limit(1)).first()
            if row and row.text == text:
                return int(row.version)
            version = (row.version if row else 0) + 1
            now = iso(utcnow())
            db.execute(insert(p).values(name=name, version=version, text=text, author=author, note=note, created_at=now))
            return version

    def rollback_prompt(self, name: str, version: int, author: str) -> int:
        old = self.prompt(name, version)
        if old is None:
            raise StorageError(f"prompt {name} has no version {version}")
        return self.set_prompt(name, old["text"], author, f"rollback to v{version}")

    # --- report jobs --------------------------------------------------------------------------------

    def create_report(self, window_from: str, window_to: str, notes: str, params: dict | None = None) -> int:
        now = iso(utcnow())
        return self._insert(
            schema.reports,
            window_from=window_from,
            window_to=window_to,
            status="queued",
            progress=0.0,
            message="queued",
            notes=redact(notes),
            created_at=now,
            heartbeat=now,
            params=json.dumps(params or {}, ensure_ascii=False),
        )

    def update_report(self, report_id: int, **fields: Any) -> None:
        if not set(fields) <= REPORT_FIELDS:
            raise StorageError(f"unknown report fields {set(fields) - REPORT_FIELDS}")
        fields.setdefault("heartbeat", iso(utcnow()))
        fields = {k: redact(v) if k in ("markdown", "html", "message") and isinstance(v, str) else v for k, v in fields.items()}
        with self.transaction() as db:
            db.execute(update(schema.reports).where(schema.reports.c.id == report_id).values(**fields))

    def claim_report(self, worker: str, report_id: int | None = None) -> dict | None:
        """Take the oldest queued job (or `report_id` if it is still queued) for `worker`; None if none.

        Exactly one claimer wins a job: PostgreSQL skips rows another claimer has locked
        (FOR UPDATE SKIP LOCKED), SQLite serialises writers; the update re-checks the status.
        """
        r = schema.reports
        query = select(r).where(r.c.status == "queued").order_by(r.c.id).limit(1).with_for_update(skip_locked=True)
        if report_id is not None:
            query = query.where(r.c.id == report_id)
        with self.transaction() as db:
            row = db.execute(query).first()
            if row is None:
                return None
            claimed = db.execute(
                update(r)
                .where(r.c.id == row.id, r.c.status == "queued")
                .values(status="running", message="starting", worker=worker, heartbeat=iso(utcnow()))
            )
            return dict(row._mapping) if claimed.rowcount == 1 else None

    # --- retention ----------------------------------------------------------------------------------

    def purge(self, before: str) -> dict[str, int]:
        """Delete what was created before `before` (ISO time); returns the rows deleted per table."""
        with self.transaction() as db:
            return {
                name: db.execute(delete(schema.TABLES[name]).where(schema.TABLES[name].c.created_at < before)).rowcount
                for name in ("feedback", "answers", "audit", "reports")
            }

    def delete_answer(self, request_id: str) -> int:
        """Forget one question: its answer, its feedback and its audit rows."""
        with self.transaction() as db:
            return sum(
                db.execute(delete(schema.TABLES[name]).where(schema.TABLES[name].c.request_id == request_id)).rowcount
                for name in ("feedback", "answers", "audit")
            )

    def delete_report(self, report_id: int) -> int:
        with self.transaction() as db:
            return db.execute(delete(schema.reports).where(schema.reports.c.id == report_id)).rowcount

    def report(self, report_id: int) -> dict | None:
        rows = self._rows(select(schema.reports).where(schema.reports.c.id == report_id))
        return rows[0] if rows else None

    def reports(self, limit: int = 50) -> list[dict]:
        r = schema.reports
        columns = (r.c.id, r.c.window_from, r.c.window_to, r.c.status, r.c.progress, r.c.message)
        return self._rows(
            select(*columns, r.c.created_at, r.c.finished_at, r.c.heartbeat, r.c.worker).order_by(r.c.id.desc()).limit(limit)
        )

    # --- shared runbook index -------------------------------------------------------------------------

    def publish_index(self, name: str, embedder: str, author: str, archive: bytes, keep: int = 2) -> None:
        """Store an index generation for the other replicas; only the newest `keep` are kept."""
        g = schema.index_generations
        with self.transaction() as db:
            db.execute(insert(g).values(name=name, embedder=embedder, author=author, created_at=iso(utcnow()), archive=archive))
            kept = select(g.c.id).order_by(g.c.id.desc()).limit(keep).scalar_subquery()
            db.execute(delete(g).where(g.c.id.not_in(kept)))

    def latest_index(self, embedder: str) -> dict | None:
        """The newest generation published for `embedder`: its name, author and time (not its archive)."""
        g = schema.index_generations
        rows = self._rows(
            select(g.c.name, g.c.author, g.c.created_at).where(g.c.embedder == embedder).order_by(g.c.id.desc()).limit(1)
        )
        return rows[0] if rows else None

    def index_archive(self, name: str) -> bytes | None:
        g = schema.index_generations
        rows = self._rows(select(g.c.archive).where(g.c.name == name))
        return rows[0]["archive"] if rows else None


def prompt_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label))
