"""Shift summaries generated off the request path: a job row per report, a worker thread per job.

The page that asked can be reloaded or closed: the job lives in the database and the server
process. The worker writes a heartbeat with every step; a job whose heartbeat stopped (the server
died mid-report) is marked failed the next time jobs are listed, never left hanging.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.reports.export import to_html, to_markdown
from services.reports.summary import build_summary
from services.runtime import Runtime
from services.sources.base import Filters
from services.storage import Store
from services.timewindow import Window, iso, parse_time, utcnow

STALE_AFTER = timedelta(seconds=90)
log = logging.getLogger(__name__)


def start(runtime: Runtime, window: Window, filters: Filters, notes: str, tz: ZoneInfo) -> int:
    """Queue a report and start its worker; returns the job id at once."""
    store = _store(runtime)
    job = store.create_report(iso(window.start), iso(window.end), notes)
    worker = threading.Thread(target=run, args=(runtime, job, window, filters, notes, tz), name=f"report-{job}", daemon=True)
    worker.start()
    return job


def _store(runtime: Runtime) -> Store:
    if runtime.store is None:
        raise RuntimeError(f"shift summaries need the database: {runtime.store_problem}")
    return runtime.store


def run(runtime: Runtime, job: int, window: Window, filters: Filters, notes: str, tz: ZoneInfo) -> None:
    store = _store(runtime)
    store.update_report(job, status="running", message="starting", worker=f"{os.getpid()}:{threading.get_ident()}")
    try:
        summary = build_summary(
            runtime,
            window,
            filters,
            notes,
            tz,
            progress=lambda fraction, what: store.update_report(job, progress=fraction, message=what),
        )
        store.update_report(
            job,
            status="done",
            progress=1.0,
            message=f"narrative: {summary.narrative_mode}",
            markdown=to_markdown(summary),
            html=to_html(summary),
            finished_at=iso(utcnow()),
        )
    except Exception as exc:  # a job must end in a state, whatever went wrong
        log.exception("report job %s failed", job)
        store.update_report(job, status="failed", message=f"{exc.__class__.__name__}: {exc}", finished_at=iso(utcnow()))


def jobs(store: Store, stale_after: timedelta = STALE_AFTER) -> list[dict]:
    """Recent jobs, newest first; running ones whose worker went silent are marked failed."""
    now = utcnow()
    for row in store.reports():
        silent = now - parse_time(row["heartbeat"])
        if row["status"] in ("queued", "running") and silent > stale_after:
            log.warning("report job %s: no heartbeat for %d s, marked failed", row["id"], silent.total_seconds())
            store.update_report(
                row["id"],
                status="failed",
                finished_at=iso(now),
                message=f"the worker stopped (no heartbeat for {int(silent.total_seconds())} s)",
            )
    return store.reports()
