"""Team deployment: who rated an answer, report jobs a worker in another process can run, and
runbook index generations shared between replicas.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    if "user" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("feedback")}:
        op.add_column("feedback", sa.Column("user", sa.Text))  # development builds added it in place
    op.add_column("reports", sa.Column("params", sa.Text))
    op.create_table(
        "index_generations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("embedder", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("created_at", sa.Text),
        sa.Column("archive", sa.LargeBinary),
        sa.UniqueConstraint("name", name="index_generations_name"),
    )
