"""The runbook index loaded (or built) on a background thread, so that no question waits for it.

The dashboard's server starts one before it answers (components.server, through
services.runtime.served_index): reading a FAISS index and the encoder takes seconds, building
one from the runbooks longer. A question asked before it is ready waits for the
rest of the load, never starts a second one; the chat panel shows the state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from services.knowledge.documents import KnowledgeError

if TYPE_CHECKING:  # FAISS: imported by the loading thread, not by the page that starts it
    from services.knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)


class State(StrEnum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class IndexWarmup:
    def __init__(self, load: Callable[[], KnowledgeIndex]):
        self.state, self.error, self.seconds = State.LOADING, "", 0.0
        self.generation: str | None = None  # the generation it holds, once loaded
        self._index: KnowledgeIndex | None = None
        self._done = threading.Event()
        threading.Thread(target=self._run, args=(load,), name="runbook-index", daemon=True).start()

    def _run(self, load: Callable[[], KnowledgeIndex]) -> None:
        started = time.perf_counter()
        try:
            index = load()
            self._warm_encoder(index)
            from services.knowledge.index import current_generation

            self.generation = current_generation(index.directory)
            self._index, self.state = index, State.READY
        except (KnowledgeError, OSError) as exc:
            self.error, self.state = str(exc), State.FAILED
            log.error("runbook index unavailable: %s", exc)
        finally:
            self.seconds = time.perf_counter() - started
            self._done.set()
        if self.state is State.READY:
            log.info("runbook index ready in %.1f s", self.seconds)

    @staticmethod
    def _warm_encoder(index: KnowledgeIndex) -> None:
        """Load the query encoder now (a second or two for the local one): the first question must
        not pay for it. A remote embedder that fails here is retried by the first question."""
        try:
            index.search("warm up", 1)
        except KnowledgeError as exc:
            log.warning("query encoder not warmed up: %s", exc)

    def get(self, timeout: float | None = None) -> KnowledgeIndex | None:
        """The index once loaded (waiting up to `timeout` seconds); None if it failed or is not ready."""
        self._done.wait(timeout)
        return self._index

    @property
    def documents(self) -> int:
        return len(self._index.manifest["documents"]) if self._index is not None else 0


class LiveIndex:
    """The index one process serves: loaded in the background at first use, and loaded again in
    the background when a newer generation becomes current (a rebuild here or on another replica);
    the one loaded keeps serving until its successor is ready; a failed reload is retried after a minute."""

    RETRY_SECONDS = 60.0

    def __init__(self, load: Callable[[], KnowledgeIndex]):
        self._load = load
        self._lock = threading.Lock()
        self._current: IndexWarmup | None = None
        self._next: IndexWarmup | None = None
        self._failed_at = -self.RETRY_SECONDS

    def at(self, generation: str | None) -> IndexWarmup:
        """The index to use now, given the generation that is current."""
        with self._lock:
            if self._current is None:
                self._current = IndexWarmup(self._load)
            if self._next is not None and self._next.state is not State.LOADING:
                if self._next.state is State.READY:
                    self._current = self._next
                else:
                    self._failed_at = time.monotonic()
                self._next = None
            stale = self._current.state is not State.LOADING and generation is not None
            waited = time.monotonic() - self._failed_at >= self.RETRY_SECONDS
            if stale and self._current.generation != generation and self._next is None and waited:
                self._next = IndexWarmup(self._load)
            return self._current
