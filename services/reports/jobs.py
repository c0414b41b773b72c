"""Shift summaries generated off the request path: a job row per report, a worker thread per job.

The page that asked can be reloaded or closed: the job lives in the database and the server
process. The worker writes a heartbeat with every step; a job whose heartbeat stopped (the server
died mid-report) is marked failed the next time jobs are listed, never left hanging.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.reports import summary as report
from services.config import Settings
from services.llm.client import ModelSettings
from services.sources.base import Filters, MetricSource
from services.storage import Store, create_report, list_reports, update_report
from services.timewindow import Window, iso, parse_time, utcnow

STALE_AFTER = timedelta(seconds=90)


def start(store: Store, source: MetricSource, window: Window, filters: Filters, settings: Settings, notes: str,
          tz: ZoneInfo, model: ModelSettings | None) -> int:
    """Queue a report and start its worker; returns the job id at once."""
    job = create_report(store, iso(window.start), iso(window.end), notes)
    worker = threading.Thread(target=run, args=(store, job, source, window, filters, settings, notes, tz, model),
                              name=f"report-{job}", daemon=True)
    worker.start()
    return job


def run(store: Store, job: int, source: MetricSource, window: Window, filters: Filters, settings: Settings, notes: str,
        tz: ZoneInfo, model: ModelSettings | None) -> None:
    update_report(store, job, status="running", message="starting", worker=f"{os.getpid()}:{threading.get_ident()}")
    try:
        summary = report.build_summary(source, window, filters, settings, store, notes, tz, model,
                               progress=lambda fraction, what: update_report(store, job, progress=fraction, message=what))
        update_report(store, job, status="done", progress=1.0, message=f"narrative: {summary.narrative_mode}",
                      markdown=report.to_markdown(summary), html=report.to_html(summary), finished_at=iso(utcnow()))
    except Exception as exc:  # a job must end in a state, whatever went wrong
        update_report(store, job, status="failed", message=f"{exc.__class__.__name__}: {exc}", finished_at=iso(utcnow()))


def jobs(store: Store, stale_after: timedelta = STALE_AFTER) -> list[dict]:
    """Recent jobs, newest first; running ones whose worker went silent are marked failed."""
    now = utcnow()
    for row in list_reports(store):
        if row["status"] in ("queued", "running") and now - parse_time(row["heartbeat"]) > stale_after:
            update_report(store, row["id"], status="failed", finished_at=iso(now),
                          message=f"the worker stopped (no heartbeat for {int((now - parse_time(row['heartbeat'])).total_seconds())} s)")
    return list_reports(store)
