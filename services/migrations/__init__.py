"""Alembic migrations of the dashboard's database, run by services.storage when it opens one."""
