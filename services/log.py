"""Logging: a logger per module, one format, ONCALL_LOG_LEVEL, and the request id in every line.

Lines about a request carry its id (`request <id>` in the message); `request_context` also puts
it on every record logged while the request runs, so a handler can filter by it.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", _request_id.get())
        return True


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Every line logged inside the block carries `request_id`."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def setup_logging(level: str = "INFO") -> None:
    """Configure the `services` loggers once (stderr, one format); later calls only set the level."""
    root = logging.getLogger("services")
    root.setLevel(level)
    if not any(getattr(h, "_oncall", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(_RequestIdFilter())
        handler._oncall = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.propagate = False
