"""The runbook index loaded (or built) on a background thread, so that no question waits for it.

The dashboard starts one when its first page is viewed (Streamlit has no server-start hook):
reading a FAISS index and the encoder takes seconds, building one from the runbooks longer, and
the engineer is looking at charts meanwhile. A question asked before it is ready waits for the
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
        self._index: KnowledgeIndex | None = None
        self._done = threading.Event()
        threading.Thread(target=self._run, args=(load,), name="runbook-index", daemon=True).start()

    def _run(self, load: Callable[[], KnowledgeIndex]) -> None:
        started = time.perf_counter()
        try:
            self._index, self.state = load(), State.READY
        except (KnowledgeError, OSError) as exc:
            self.error, self.state = str(exc), State.FAILED
            log.error("runbook index unavailable: %s", exc)
        finally:
            self.seconds = time.perf_counter() - started
            self._done.set()
        if self.state is State.READY:
            log.info("runbook index ready in %.1f s", self.seconds)

    def get(self, timeout: float | None = None) -> KnowledgeIndex | None:
        """The index once loaded (waiting up to `timeout` seconds); None if it failed or is not ready."""
        self._done.wait(timeout)
        return self._index

    @property
    def documents(self) -> int:
        return len(self._index.manifest["documents"]) if self._index is not None else 0
