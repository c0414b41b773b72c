"""The database's tables (SQLAlchemy Core), the same for SQLite and PostgreSQL.

This is the schema at the newest migration (services/migrations); a change here needs a new
migration so that existing databases keep their data when they are upgraded.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, LargeBinary, MetaData, Table, Text, UniqueConstraint

metadata = MetaData()

answers = Table(
    "answers",
    metadata,
    Column("request_id", Text, primary_key=True),
    Column("session", Text),
    Column("question", Text),
    Column("answer", Text),
    Column("action", Text),
    Column("mode", Text),
    Column("window_from", Text),
    Column("window_to", Text),
    Column("citations", Text),
    Column("created_at", Text),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Text),
    Column("session", Text),
    Column("rating", Text),
    Column("comment", Text),
    Column("escalated", Integer, server_default="0"),
    Column("created_at", Text),
    Column("user", Text),
    Index("feedback_request", "request_id"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Text),
    Column("session", Text),
    Column("action", Text),
    Column("prompt_name", Text),
    Column("prompt_version", Text),
    Column("model", Text),
    Column("tokens_in", Integer),
    Column("tokens_out", Integer),
    Column("cost_usd", Float),
    Column("latency_ms", Float),
    Column("outcome", Text),
    Column("created_at", Text),
    Column("user", Text),
    Index("audit_created", "created_at"),
)

prompts = Table(
    "prompts",
    metadata,
    Column("name", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("text", Text),
    Column("author", Text),
    Column("note", Text),
    Column("created_at", Text),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("window_from", Text),
    Column("window_to", Text),
    Column("status", Text),
    Column("progress", Float),
    Column("message", Text),
    Column("notes", Text),
    Column("markdown", Text),
    Column("html", Text),
    Column("created_at", Text),
    Column("finished_at", Text),
    Column("heartbeat", Text),
    Column("worker", Text),
    Column("params", Text),  # JSON: filters, time zone and language, for a worker in another process
)

# Runbook index generations published by the replica that built them, for the others to load.
index_generations = Table(
    "index_generations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("embedder", Text),
    Column("author", Text),
    Column("created_at", Text),
    Column("archive", LargeBinary),
    UniqueConstraint("name", name="index_generations_name"),
)

TABLES = {t.name: t for t in (answers, feedback, audit, prompts, reports, index_generations)}
