"""The shared read cache: one query per question whoever asks, failures retried, copies handed out."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pandas as pd
import pytest

from services.sources.base import Filters, SourceError
from services.sources.cache import CachingSource, derived
from services.timewindow import Window, utcnow


class Slow:
    """A source that counts its reads and takes a while to answer."""

    name = "slow"

    def __init__(self) -> None:
        self.calls = 0
        self.fail_next = False

    def traffic_summary(self, window, filters, by, reporter="destination"):
        self.calls += 1
        time.sleep(0.05)
        if self.fail_next:
            self.fail_next = False
            raise SourceError("Prometheus at http://p is unreachable")
        return pd.DataFrame({"service": ["a", "b"], "rps": [1.0, 2.0]})


NOW = utcnow().replace(second=0, microsecond=0)
LIVE = Window(NOW - timedelta(hours=1), NOW)
PAST = Window(NOW - timedelta(days=2), NOW - timedelta(days=1))


def test_ten_sessions_asking_at_once_cost_one_read():
    source = Slow()
    cached = CachingSource(source)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cached.traffic_summary(LIVE, Filters(), "service"))) for _ in range(10)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert source.calls == 1 and len(results) == 10 and all(r["rps"].tolist() == [1.0, 2.0] for r in results)
    cached.traffic_summary(LIVE, Filters(), "edge")  # another question is another read
    assert source.calls == 2


def test_one_question_asked_in_other_words_is_one_read():
    """The Mesh page and its service graph ask the same summary, one leaving the reporter out."""
    source = Slow()
    cached = CachingSource(source)
    cached.traffic_summary(LIVE, Filters(), "service")
    cached.traffic_summary(LIVE, Filters(), "service", "destination")
    cached.traffic_summary(window=LIVE, filters=Filters(), by="service", reporter="destination")
    assert source.calls == 1
    cached.traffic_summary(LIVE, Filters(), "service", "source")
    assert source.calls == 2


def test_a_failure_is_raised_to_the_asker_and_not_kept():
    source = Slow()
    cached = CachingSource(source)
    source.fail_next = True
    with pytest.raises(SourceError, match="unreachable"):
        cached.traffic_summary(LIVE, Filters(), "service")
    assert not cached.traffic_summary(LIVE, Filters(), "service").empty and source.calls == 2


def test_a_live_window_is_kept_a_minute_and_a_past_one_an_hour():
    source, clock = Slow(), [0.0]
    cached = CachingSource(source, clock=lambda: NOW, timer=lambda: clock[0])
    for window in (LIVE, PAST):
        cached.traffic_summary(window, Filters(), "service")
    clock[0] = 61
    cached.traffic_summary(LIVE, Filters(), "service")  # expired: read again
    cached.traffic_summary(PAST, Filters(), "service")  # still kept
    assert source.calls == 3
    clock[0] = 3601
    cached.traffic_summary(PAST, Filters(), "service")
    assert source.calls == 4


def test_a_caller_changing_its_frame_does_not_change_the_cache():
    cached = CachingSource(Slow())
    first = cached.traffic_summary(PAST, Filters(), "service")
    first["rps"] = 0.0
    first.insert(0, "incident", True)
    again = cached.traffic_summary(PAST, Filters(), "service")
    assert again.columns.tolist() == ["service", "rps"] and again["rps"].tolist() == [1.0, 2.0]


def test_the_oldest_entries_go_first():
    source = Slow()
    cached = CachingSource(source, max_entries=2)
    for by in ("service", "edge", "service", "other"):
        cached.traffic_summary(PAST, Filters(), by)
    cached.traffic_summary(PAST, Filters(), "service")  # kept: used recently
    cached.traffic_summary(PAST, Filters(), "edge")  # dropped when "other" came in
    assert source.calls == 4


def test_a_value_found_in_reads_is_computed_once_and_a_failed_one_again():
    """The Mesh page's incidents: its reruns and the chat find them, unless finding them failed."""
    source = Slow()
    cached = CachingSource(source)
    computed = []

    def busiest(src, window, by):
        computed.append(by)
        frame = src.traffic_summary(window, Filters(), by)
        if by == "edge":
            raise SourceError("Prometheus at http://p is unreachable")
        return frame.sort_values("rps").iloc[-1]["service"]

    assert [derived(cached, busiest, LIVE, "service") for _ in range(3)] == ["b"] * 3
    assert computed == ["service"] and source.calls == 1
    for _ in range(2):
        with pytest.raises(SourceError):
            derived(cached, busiest, LIVE, "edge")
    assert computed == ["service", "edge", "edge"]
    assert derived(source, busiest, LIVE, "service") == "b" and source.calls == 3, "an uncached source computes each time"
    for _ in range(2):  # a value made around a failed read (an investigation with a gap) is not kept either
        assert derived(cached, busiest, LIVE, "service ", keep=lambda v: False) == "b"
    assert computed.count("service ") == 2
