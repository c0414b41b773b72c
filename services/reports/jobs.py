"""Shift summaries generated off the request path: a job row per report, claimed and run by a worker.

The job lives in the database, so the page that asked can be reloaded or closed, and every replica
lists it. A worker claims a queued job exactly once (Store.claim_report), whichever replica queued
it: by default a thread of the server that queued it; with ONCALL_REPORT_WORKER=external only the
`oncall worker` processes, so that web replicas never do the work. The worker writes a heartbeat
with every step; a job whose heartbeat stopped (its worker died mid-report) is marked failed the
next time jobs are listed, never left hanging, and so is a job no worker claimed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from dataclasses import asdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.i18n import Language
from services.reports.export import to_html, to_markdown
from services.reports.summary import build_summary
from services.runtime import Runtime
from services.sources.base import Filters
from services.storage import Store
from services.timewindow import Window, iso, parse_time, utcnow

STALE_AFTER = timedelta(seconds=90)  # a running job's worker writes a heartbeat at every step
UNCLAIMED_AFTER = timedelta(minutes=10)  # a queued job waits for workers busy with other jobs
log = logging.getLogger(__name__)


def start(runtime: Runtime, window: Window, filters: Filters, notes: str, tz: ZoneInfo, language: Language = Language.EN) -> int:
    """Queue a report (and, unless an external worker runs them, claim it on a thread); the job id at once.
    The job records the time zone and language it was asked in, so any worker writes it alike."""
    store = _store(runtime)
    params = {"filters": asdict(filters), "tz": tz.key, "language": language.value}
    job = store.create_report(iso(window.start), iso(window.end), notes, params)
    if not runtime.settings.storage.external_report_worker:
        threading.Thread(target=run_next, args=(runtime, job), name=f"report-{job}", daemon=True).start()
    return job


def _store(runtime: Runtime) -> Store:
    if runtime.store is None:
        raise RuntimeError(f"shift summaries need the database: {runtime.store_problem}")
    return runtime.store


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_next(runtime: Runtime, job: int | None = None) -> int | None:
    """Claim the oldest queued job (or `job`) and run it to an end state; its id, None if there was none."""
    store = _store(runtime)
    row = store.claim_report(worker_name(), job)
    if row is None:
        return None
    params = json.loads(row["params"] or "{}")
    filters = Filters(**{name: tuple(values) for name, values in params.get("filters", {}).items()})
    try:
        window = Window(parse_time(row["window_from"]), parse_time(row["window_to"]))
        tz = ZoneInfo(params.get("tz") or "UTC")
        language = Language(params.get("language") or Language.EN.value)
    except (ValueError, KeyError) as exc:
        store.update_report(row["id"], status="failed", message=f"unreadable job: {exc}", finished_at=iso(utcnow()))
        return row["id"]
    _run(runtime, store, row["id"], window, filters, row["notes"] or "", tz, language)
    return row["id"]


def _run(
    runtime: Runtime, store: Store, job: int, window: Window, filters: Filters, notes: str, tz: ZoneInfo, language: Language
) -> None:
    try:
        summary = build_summary(
            runtime,
            window,
            filters,
            notes,
            tz,
            progress=lambda fraction, what: store.update_report(job, progress=fraction, message=what),
            language=language,
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


def work(runtime: Runtime, stop: threading.Event, poll_seconds: float = 2.0, once: bool = False) -> int:
    """`oncall worker`: run queued jobs until `stop` is set (with `once`, until none is queued); the count run."""
    done = 0
    while not stop.is_set():
        if run_next(runtime) is not None:
            done += 1
            continue
        if once:
            break
        stop.wait(poll_seconds)
    return done


def jobs(store: Store) -> list[dict]:
    """Recent jobs, newest first; running ones whose worker went silent, and queued ones no worker
    claimed, are marked failed."""
    now = utcnow()
    for row in store.reports():
        silent = now - parse_time(row["heartbeat"])
        if row["status"] == "running" and silent > STALE_AFTER:
            message = f"the worker stopped (no heartbeat for {int(silent.total_seconds())} s)"
        elif row["status"] == "queued" and silent > UNCLAIMED_AFTER:
            message = f"no worker claimed it in {int(silent.total_seconds() // 60)} min: is `oncall worker` running?"
        else:
            continue
        log.warning("report job %s: %s; marked failed", row["id"], message)
        store.update_report(row["id"], status="failed", finished_at=iso(now), message=message)
    return store.reports()
