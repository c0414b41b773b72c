"""One cache of metric reads shared by every page, session and the assistant.

The pages and the chat ask the same source the same questions (the Overview's summaries, the
Mesh page's peaks and curves, an investigation's neighbourhood); answered once, every later ask
is a dictionary lookup, whoever asks. Keys are the method and its arguments by name, defaults
filled in (windows aligned to the minute). A window that ended in the past cannot change, so it is kept for an hour; a live
one for a minute (its key moves with it anyway). Concurrent asks of one key wait for the one
read in flight (single flight: ten sessions opening the same page send one set of queries). A
failed read raises to every waiter and is not kept, so the next ask tries again. The oldest
entries go first beyond `max_entries`.
"""

from __future__ import annotations

import copy
import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from datetime import datetime
from typing import Any, TypeVar

from services.sources.incremental import is_live
from services.timewindow import Window, utcnow

T = TypeVar("T")
LIVE_SECONDS, PAST_SECONDS = 60.0, 3600.0
CACHED = (
    "latency_series",
    "traffic_series",
    "latency_summary",
    "traffic_summary",
    "peak_summary",
    "flag_summary",
    "alert_intervals",
    "label_values",
    "mesh_reporters",
)


class CachingSource:
    """A MetricSource whose reads (CACHED) are cached, see the module's docstring; anything else,
    such as `status`, goes to the source every time."""

    def __init__(
        self,
        source: Any,
        max_entries: int = 512,
        clock: Callable[[], datetime] = utcnow,
        timer: Callable[[], float] = time.monotonic,
    ):
        self.source, self.name, self.max_entries, self.clock, self.timer = source, source.name, max_entries, clock, timer
        self._entries: OrderedDict[Hashable, tuple[float, Future]] = OrderedDict()
        self._lock = threading.Lock()
        self._signatures: dict[str, inspect.Signature] = {}

    def __getattr__(self, method: str) -> Any:
        attribute = getattr(self.source, method)
        if method not in CACHED:
            return attribute
        return lambda *args, **kwargs: self._read(method, attribute, self._arguments(method, attribute, args, kwargs))

    def _lifetime(self, args: tuple) -> float:
        window = next((a for a in args if isinstance(a, Window)), None)
        if window is None or is_live(window, self.clock()):
            return LIVE_SECONDS
        return PAST_SECONDS

    def _arguments(self, method: str, read: Callable[..., Any], args: tuple, kwargs: dict) -> dict[str, Any]:
        """Every argument by name, defaults filled in and windows aligned: one question asked
        positionally or by keyword, or leaving a default out, is one key."""
        signature = self._signatures.get(method)
        if signature is None:
            signature = self._signatures[method] = inspect.signature(read)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return {name: a.aligned() if isinstance(a, Window) else a for name, a in bound.arguments.items()}

    def _read(
        self, method: str, read: Callable[..., Any], arguments: dict[str, Any], keep: Callable[[Any], bool] | None = None
    ) -> Any:
        key = (method, tuple(arguments.items()))
        now = self.timer()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] > now:
                self._entries.move_to_end(key)
                future = found[1]
                owner = False
            else:
                future, owner = Future(), True
                self._entries[key] = (now + self._lifetime(tuple(arguments.values())), future)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        if not owner:
            return _copy(future.result())
        try:
            value = read(**arguments)
        except BaseException as exc:
            self._forget(key, future)  # a failure is not kept
            future.set_exception(exc)
            raise
        if keep is not None and not keep(value):
            self._forget(key, future)
        future.set_result(value)
        return _copy(value)

    def _forget(self, key: Hashable, future: Future) -> None:
        with self._lock:
            if self._entries.get(key, (0, None))[1] is future:
                del self._entries[key]

    def derived(self, compute: Callable[..., T], *args: Any, keep: Callable[[T], bool] | None = None) -> T:
        """`compute(self, *args)`, a value found in this source's reads (the incidents on the
        Mesh page's curves, an investigation), kept like a read with those arguments: the page's
        reruns and the chat's questions find it computed. A compute that raises is not kept, nor
        a value `keep` refuses (one made around a failed read)."""
        arguments = {str(i): a.aligned() if isinstance(a, Window) else a for i, a in enumerate(args)}
        name = f"{compute.__module__}.{compute.__qualname__}"
        return self._read(name, lambda **kept: compute(self, *kept.values()), arguments, keep)

    def clear(self) -> None:
        """Forget every read (the next asks go to the source)."""
        with self._lock:
            self._entries.clear()


def derived(source: Any, compute: Callable[..., T], *args: Any, keep: Callable[[T], bool] | None = None) -> T:
    """`compute(source, *args)`, kept in the shared cache when the source has one (the app's)."""
    return source.derived(compute, *args, keep=keep) if isinstance(source, CachingSource) else compute(source, *args)


def _copy(value: Any) -> Any:
    """Each caller gets its own frame, list or investigation: a page that adds a column must not
    change the cache."""
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value.copy() if hasattr(value, "copy") else copy.deepcopy(value)
