"""`oncall worker` on a shared PostgreSQL (each job run exactly once) and `oncall health`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from services.storage import Store
from services.timewindow import iso
from tests import postgres
from tests.conftest import ANCHOR, KEEP, ROOT, oncall


def test_two_workers_run_each_queued_summary_exactly_once(postgres_url, tmp_path):
    store = Store.open(postgres_url)
    jobs = [
        store.create_report(
            iso(ANCHOR - timedelta(hours=h + 1)), iso(ANCHOR - timedelta(hours=h)), f"note {h}", {"tz": "Asia/Seoul"}
        )
        for h in range(4)
    ]
    env = {
        **{k: v for k, v in os.environ.items() if k in KEEP or not k.startswith(("PROMETHEUS_", "ONCALL_"))},
        "ONCALL_DB_URL": postgres_url,
        "ONCALL_DEMO_NOW": iso(ANCHOR),
        "ONCALL_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "services.cli", "worker", "--once", "--poll", "0.2"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    ran = [int(out.split()[1]) for out, _ in outputs]  # "ran N shift summaries"
    assert sum(ran) == len(jobs)
    rows = [store.report(j) for j in jobs]
    assert [r["status"] for r in rows] == ["done"] * len(jobs), [r["message"] for r in rows]
    assert all(f"note {h}" in r["markdown"] for h, r in enumerate(rows))  # each job's own parameters
    assert len({r["worker"] for r in rows}) == sum(1 for n in ran if n)  # claimed by the worker that ran it
    assert postgres.PASSWORD not in "".join(err for _, err in outputs)  # the banner shows the URL without it


def test_health_names_what_fails_and_never_the_password(postgres_url):
    healthy = oncall("health", "--json", env={"ONCALL_DB_URL": postgres_url})
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert {c["name"]: c["ok"] for c in json.loads(healthy.stdout)} == {"database": True, "metrics": True, "runbook index": True}
    broken = oncall(
        "health",
        "--json",
        env={
            "ONCALL_DB_URL": postgres_url.replace(postgres.PASSWORD, "wrong-password"),
            "PROMETHEUS_URL": "http://127.0.0.1:9",
            "ONCALL_TIMEOUT_SECONDS": "2",
        },
    )
    assert broken.returncode == 1
    found = {c["name"]: c for c in json.loads(broken.stdout)}
    assert not found["database"]["ok"] and "password authentication failed" in found["database"]["detail"]
    assert not found["metrics"]["ok"] and "unreachable" in found["metrics"]["detail"]
    assert "wrong-password" not in broken.stdout + broken.stderr
