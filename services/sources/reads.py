"""One bounded executor for every read of a metric source, shared by all sessions.

A page's reads run concurrently, and a source method may fan its own queries out too; both
go through `run_all`. Work submitted from inside a worker runs inline in that worker, so pools
never nest and at most MAX_IN_FLIGHT queries reach the backend at once, whatever the number of
sessions or the depth of the calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
MAX_IN_FLIGHT = 4

_worker = threading.local()


def _mark_worker() -> None:
    _worker.inside = True


_POOL = ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT, thread_name_prefix="source-read", initializer=_mark_worker)


def run_all(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Every job's result, in order; a job that raised re-raises here (the first one in order)."""
    if getattr(_worker, "inside", False) or len(jobs) <= 1:
        return [job() for job in jobs]
    futures = [_POOL.submit(job) for job in jobs]
    return [future.result() for future in futures]
