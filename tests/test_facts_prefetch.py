"""The chat's facts are read in the background while the page is shown: the first latency or error
question on the Overview finds the Mesh page's incidents in the shared cache instead of waiting."""

from __future__ import annotations

import functools
import threading
from datetime import timedelta

from services.assistant.answers import prepare
from services.assistant.context import prefetch_incidents
from services.overview import overview_data
from services.sources.base import Filters, SourceError
from services.sources.cache import CachingSource
from services.sources.factory import make_source
from services.timewindow import Window
from tests.conftest import ANCHOR, runtime_for, settings_for

WINDOW = Window(ANCHOR - timedelta(hours=6), ANCHOR)
QUESTION = "Which service has the most 5xx errors?"


class Counted:
    """A source that records which of its reads were asked, and can fail one of them."""

    def __init__(self, source, failing: str = "") -> None:
        self.source, self.name, self.failing, self.calls = source, source.name, failing, []
        self.gate = threading.Event()  # reads wait for it
        self.gate.set()

    def __getattr__(self, method):
        read = getattr(self.source, method)
        if not callable(read):
            return read

        @functools.wraps(read)
        def counted(*args, **kwargs):
            self.calls.append(method)
            self.gate.wait(timeout=60)
            if method == self.failing:
                raise SourceError("Prometheus at http://prom:9090 timed out")
            return read(*args, **kwargs)

        return counted


def shown_overview(failing: str = ""):
    """A runtime on a cached demo source after the Overview page read its window."""
    settings = settings_for()
    counted = Counted(make_source(settings.sources), failing)
    runtime = runtime_for(settings)
    runtime.source = CachingSource(counted)  # type: ignore[assignment]
    overview_data(runtime.source, WINDOW, Filters())
    return runtime, counted


def mesh_reads(calls: list[str]) -> list[str]:
    return [c for c in calls if c not in ("label_values", "alert_intervals")]


def test_an_error_question_after_the_prefetch_reads_nothing_more():
    cold, cold_counted = shown_overview()
    before = len(cold_counted.calls)
    expected = prepare(QUESTION, ANCHOR, cold, window=WINDOW).context.facts
    assert mesh_reads(cold_counted.calls[before:]), "without the prefetch the question reads the mesh itself"
    assert expected.incidents, "the demo's 6 h window holds incidents to cite"

    runtime, counted = shown_overview()
    job = prefetch_incidents(runtime.source, WINDOW, Filters(), runtime.settings)
    assert job is not None
    job.result(timeout=120)
    before = len(counted.calls)
    facts = prepare(QUESTION, ANCHOR, runtime, window=WINDOW).context.facts
    assert mesh_reads(counted.calls[before:]) == []
    assert facts.incidents == expected.incidents and facts.worst_errors == expected.worst_errors


def test_a_failed_prefetch_leaves_the_incidents_unknown_not_none():
    runtime, counted = shown_overview(failing="peak_summary")
    job = prefetch_incidents(runtime.source, WINDOW, Filters(), runtime.settings)
    assert job is not None
    job.result(timeout=120)
    facts = prepare(QUESTION, ANCHOR, runtime, window=WINDOW).context.facts
    assert "mesh" in facts.unknown and not facts.incidents
    assert counted.calls.count("peak_summary") >= 2, "the question tried again: a failure is not kept"


def test_only_a_cached_source_is_prefetched_and_one_window_once():
    settings = settings_for()
    assert prefetch_incidents(make_source(settings.sources), WINDOW, Filters(), settings) is None
    counted = Counted(make_source(settings.sources))
    counted.gate.clear()  # the prefetch is still reading when the window is asked again
    cached = CachingSource(counted)
    first = prefetch_incidents(cached, WINDOW, Filters(), settings)
    again = prefetch_incidents(cached, WINDOW, Filters(), settings)
    counted.gate.set()
    assert first is not None and again is None, "the same window asked while its prefetch runs is not queued twice"
    first.result(timeout=120)
    later = prefetch_incidents(cached, WINDOW, Filters(), settings)
    assert later is not None, "once done, the window may be read again (its cache entries expire)"
    later.result(timeout=120)
