"""The runbook index a process serves: loaded in the background, swapped when a newer generation is current."""

from __future__ import annotations

import threading
from pathlib import Path

from services.knowledge.documents import KnowledgeError
from services.knowledge.warmup import LiveIndex, State


class FakeIndex:
    """Stands in for a KnowledgeIndex: a folder whose CURRENT names its generation."""

    def __init__(self, directory: Path):
        self.directory, self.manifest, self.searched = directory, {"documents": {"a.md": {}}}, 0

    def search(self, query: str, k: int) -> list:
        self.searched += 1  # the warm-up's query: the encoder is loaded before any question
        return []


def test_the_index_loads_once_and_is_swapped_for_a_newer_generation(tmp_path):
    (tmp_path / "CURRENT").write_text("gen-1")
    gate, loads = threading.Event(), []

    def load():
        loads.append(1)
        if len(loads) == 2:
            gate.wait(10)  # the second load is slow: the first index keeps serving meanwhile
        return FakeIndex(tmp_path)

    live = LiveIndex(load)
    first = live.at(None)
    assert first.get(10) is not None and first.generation == "gen-1" and first.get(10).searched == 1
    assert live.at("gen-1") is first and len(loads) == 1  # the same generation: no second load
    (tmp_path / "CURRENT").write_text("gen-2")  # a rebuild here or on another replica
    assert live.at("gen-2") is first and first.state is State.READY  # still serving while the next loads
    gate.set()
    for _ in range(100):
        served = live.at("gen-2")
        if served is not first:
            break
        threading.Event().wait(0.05)
    assert served.generation == "gen-2" and len(loads) == 2


def test_a_failed_reload_keeps_the_index_that_works(tmp_path):
    (tmp_path / "CURRENT").write_text("gen-1")
    attempts = []

    def load():
        attempts.append(1)
        if len(attempts) > 1:
            raise KnowledgeError("the published index is incomplete")
        return FakeIndex(tmp_path)

    live = LiveIndex(load)
    first = live.at(None)
    first.get(10)
    for _ in range(40):  # every page view asks; the failed reload is not retried within a minute
        assert live.at("gen-2") is first and first.get(1) is not None
        threading.Event().wait(0.05)
    assert len(attempts) == 2
