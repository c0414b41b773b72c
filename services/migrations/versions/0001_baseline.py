"""The schema of the first release (SQLite only), created where it is missing.

Databases from before migrations already hold some or all of these tables: only what is
missing is created, and the column added in place then (audit.user) is added if absent.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    text, integer, real = sa.Text, sa.Integer, sa.Float
    tables: dict[str, list[sa.Column]] = {
        "answers": [
            sa.Column("request_id", text, primary_key=True),
            *(sa.Column(n, text) for n in ("session", "question", "answer", "action", "mode")),
            *(sa.Column(n, text) for n in ("window_from", "window_to", "citations", "created_at")),
        ],
        "feedback": [
            sa.Column("id", integer, primary_key=True, autoincrement=True),
            *(sa.Column(n, text) for n in ("request_id", "session", "rating", "comment")),
            sa.Column("escalated", integer, server_default="0"),
            sa.Column("created_at", text),
        ],
        "audit": [
            sa.Column("id", integer, primary_key=True, autoincrement=True),
            *(sa.Column(n, text) for n in ("request_id", "session", "action", "prompt_name", "prompt_version", "model")),
            sa.Column("tokens_in", integer),
            sa.Column("tokens_out", integer),
            sa.Column("cost_usd", real),
            sa.Column("latency_ms", real),
            sa.Column("outcome", text),
            sa.Column("created_at", text),
            sa.Column("user", text),
        ],
        "prompts": [
            sa.Column("name", text, primary_key=True),
            sa.Column("version", integer, primary_key=True),
            *(sa.Column(n, text) for n in ("text", "author", "note", "created_at")),
        ],
        "reports": [
            sa.Column("id", integer, primary_key=True, autoincrement=True),
            *(sa.Column(n, text) for n in ("window_from", "window_to", "status")),
            sa.Column("progress", real),
            *(sa.Column(n, text) for n in ("message", "notes", "markdown", "html", "created_at", "finished_at")),
            *(sa.Column(n, text) for n in ("heartbeat", "worker")),
        ],
    }
    for name, columns in tables.items():
        if name not in existing:
            op.create_table(name, *columns)
    if "feedback" not in existing:
        op.create_index("feedback_request", "feedback", ["request_id"])
    if "audit" not in existing:
        op.create_index("audit_created", "audit", ["created_at"])
    elif "user" not in _columns("audit"):
        op.add_column("audit", sa.Column("user", text))
