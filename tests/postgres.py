"""A real PostgreSQL 15 (Debian's `postgresql`) on loopback in a temp dir, stopped by pg_ctl.

As root the cluster belongs to the `postgres` user (PostgreSQL refuses to run as root); otherwise
to whoever runs the tests. Each test gets its own database on the one server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import free_port

BIN = Path("/usr/lib/postgresql/15/bin")
USER, PASSWORD = "oncall", "s3cret-pg-password"  # the URL's password must never be shown


def _as_owner(args: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *args], check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the server's admin URL (database `postgres`); the cluster is removed afterwards."""
    if not (BIN / "initdb").is_file():
        raise RuntimeError("PostgreSQL 15 is not installed: `make test` installs it (scripts/install-system-deps.sh)")
    # Not under pytest's tmp_path: its parents are private to the test user, and as root the
    # cluster's owner is `postgres`, who must reach its own folder.
    work = Path(tempfile.mkdtemp(prefix="oncall-postgres-"))
    password_file = work / "password"
    password_file.write_text(PASSWORD)
    if os.geteuid() == 0:
        for path in (work, password_file):
            shutil.chown(path, "postgres")
    data, port = work / "data", free_port()
    try:
        _as_owner([str(BIN / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256", f"--pwfile={password_file}"])
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={work} -c fsync=off"
        _as_owner([str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(work / "postgres.log"), "-w", "start"])
        try:
            yield f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"
        finally:
            _as_owner([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def new_database(admin_url: str) -> str:
    """A fresh, empty database on the server; its URL."""
    import psycopg

    name = f"oncall_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
