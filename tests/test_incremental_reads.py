"""A live window read again a few minutes later costs its new minutes only, and reads the same
numbers as the whole window read at once (real Prometheus holding the demo's last hours)."""

from __future__ import annotations

import math
import re
import threading
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from services.config import SourceSettings
from services.sources.base import EDGE_KEYS, SERVICE_KEYS, Filters, SourceError
from services.sources.histogram import bucket_quantile
from services.sources.incremental import SETTLE_SECONDS, IncrementalReads
from services.sources.prometheus import PrometheusSource
from services.timewindow import Window

INF = math.inf


def sent(source: PrometheusSource) -> list[dict]:
    """The parameters of every request the source sends from now on."""
    calls: list[dict] = []
    lock = threading.Lock()
    send = source.http.session.request

    def request(method, url, params=None, **kwargs):
        with lock:
            calls.append({"path": url.rsplit("/api/v1/", 1)[-1], **(params or {})})
        return send(method, url, params=params, **kwargs)

    source.http.session.request = request
    return calls


def at(source: PrometheusSource, now):
    """The source as if the clock read `now` (its windows ending near `now` are live)."""
    source.incremental.clock = lambda: now
    return source


@pytest.fixture
def fresh(prometheus_url):
    return lambda: PrometheusSource(SourceSettings(prometheus_url=prometheus_url))


def live_window(anchor, minutes_before: int, hours: int = 5) -> Window:
    end = anchor - timedelta(minutes=minutes_before)
    return Window(end - timedelta(hours=hours), end)


@pytest.mark.parametrize("by", ["service", "edge"])
def test_curves_of_a_moving_live_window_fetch_only_new_points_and_equal_a_whole_read(fresh, anchor, by):
    keys = ["time"] + (SERVICE_KEYS if by == "service" else EDGE_KEYS)
    source = fresh()
    earlier, later = live_window(anchor, 12), live_window(anchor, 0)
    at(source, earlier.end).latency_series(earlier, 300, Filters(), by)
    at(source, earlier.end).traffic_series(earlier, 300, Filters(), by)
    calls = sent(at(source, later.end))
    latency, traffic = source.latency_series(later, 300, Filters(), by), source.traffic_series(later, 300, Filters(), by)

    starts = [int(c["start"]) for c in calls if c["path"] == "query_range"]
    assert starts and min(starts) > int(earlier.end.timestamp()) - SETTLE_SECONDS - 300, "more than the new minutes were read"
    whole = fresh()  # a source with nothing kept, reading the window as a past one
    pd.testing.assert_frame_equal(latency, whole.latency_series(later, 300, Filters(), by).sort_values(keys, ignore_index=True))
    pd.testing.assert_frame_equal(traffic, whole.traffic_series(later, 300, Filters(), by))
    assert latency["time"].min() >= pd.Timestamp(later.start) and latency["time"].max() <= pd.Timestamp(later.end)


def test_totals_of_a_live_window_are_its_parts_added_up(fresh, anchor):
    window = live_window(anchor, 0)
    source, whole = at(fresh(), window.end), fresh()
    pairs = [
        (lambda s: s.latency_summary(window, Filters(), "service"), SERVICE_KEYS),
        (lambda s: s.traffic_summary(window, Filters(), "edge"), EDGE_KEYS),
        (lambda s: s.peak_summary(window, 60, Filters(), "service", 250.0), SERVICE_KEYS),
        (lambda s: s.peak_summary(window, 300, Filters(), "edge", 250.0), EDGE_KEYS),
        (lambda s: s.flag_summary(window, Filters(), "destination"), EDGE_KEYS + ["response_code", "response_flags"]),
    ]
    for read, keys in pairs:
        parts, one = read(source), read(whole)
        assert not one.empty
        merged = one.merge(parts, on=keys, suffixes=("_one", "_parts"), validate="one_to_one")
        assert len(merged) == len(one) == len(parts)
        for column in (c for c in one.columns if c not in keys):
            pd.testing.assert_series_equal(
                merged[f"{column}_parts"], merged[f"{column}_one"], check_names=False, rtol=1e-6, atol=1e-9
            )
    summary = source.latency_summary(window, Filters(), "service")
    assert set(summary.sort_values("p99", ascending=False)["service"].head(3)) == {"checkout", "payments", "ledger"}


def ending_at_minute(anchor: datetime, minute: int, hours: int = 4) -> Window:
    """The latest live window ending at `minute` past an hour, no later than the anchor."""
    end = anchor.replace(minute=minute, second=0)
    end -= timedelta(hours=1) if end > anchor else timedelta(0)
    return Window(end - timedelta(hours=hours), end)


def ranges_read(source: PrometheusSource, window: Window) -> list[int]:
    """The ranges (seconds) of the window-total queries one refresh of `window` sends."""
    calls = sent(at(source, window.end))
    source.traffic_summary(window, Filters(), "service")
    source.latency_summary(window, Filters(), "service")
    return [int(r) for c in calls for r in re.findall(r"\[(\d+)s\]", c.get("query", ""))]


def later(window: Window, minutes: int) -> Window:
    return Window(window.start + timedelta(minutes=minutes), window.end + timedelta(minutes=minutes))


def test_a_minute_later_only_the_partial_hours_are_read_again(fresh, anchor):
    # Mid-hour: neither the window's first whole hour nor its last settled one moves in a minute.
    earlier = ending_at_minute(anchor, 29)
    source = fresh()
    ranges_read(source, earlier)
    ranges = ranges_read(source, later(earlier, 1))
    assert ranges and max(ranges) <= 3600 + SETTLE_SECONDS, f"a whole hour was read again: {ranges}"


def test_when_the_window_moves_past_an_hour_its_whole_hours_are_read_once_more_then_kept(fresh, anchor):
    on_the_hour = ending_at_minute(anchor, 0)  # starts on the hour: its first hour is whole
    source = fresh()
    ranges_read(source, on_the_hour)
    moved = ranges_read(source, later(on_the_hour, 1))  # the first hour is now partial: one whole hour fewer
    assert max(moved) >= 2 * 3600, f"the new whole hours were not read: {moved}"
    again = ranges_read(source, later(on_the_hour, 2))
    assert again and max(again) <= 3600 + SETTLE_SECONDS, f"the new whole hours were not kept: {again}"


def test_p99_from_summed_buckets_is_promqls_histogram_quantile(fresh, anchor):
    """The window's quantiles are computed from its bucket counts; PromQL gives the same."""
    source = fresh()
    window = Window(anchor - timedelta(hours=4), anchor - timedelta(minutes=30))
    ours = source.latency_summary(window, Filters(), "service").set_index(SERVICE_KEYS)
    for q, column in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
        promql = (
            f"histogram_quantile({q}, sum by (le, cluster, destination_service_namespace, destination_service_name) "
            f'(increase(istio_request_duration_milliseconds_bucket{{reporter="destination"}}[{window.seconds}s])))'
        )
        theirs = {
            (
                s["metric"]["cluster"],
                s["metric"]["destination_service_namespace"],
                s["metric"]["destination_service_name"],
            ): float(s["value"][1])
            for s in source.query(promql, window.end)
        }
        theirs = {k: v for k, v in theirs.items() if not math.isnan(v)}
        assert len(theirs) == len(ours) > 10
        for key, value in theirs.items():
            assert ours.loc[key, column] == pytest.approx(value, rel=1e-9)


def test_bucket_quantile_edge_cases_follow_prometheus():
    buckets = [(100.0, 90.0), (250.0, 99.0), (INF, 100.0)]
    assert bucket_quantile(0.5, buckets) == pytest.approx(100 * 50 / 90)
    assert bucket_quantile(0.95, buckets) == pytest.approx(100 + 150 * 5 / 9)
    assert bucket_quantile(0.999, buckets) == 250.0, "a rank in +Inf is the highest finite bound"
    assert math.isnan(bucket_quantile(0.99, [(100.0, 5.0), (250.0, 9.0)])), "no +Inf bucket"
    assert math.isnan(bucket_quantile(0.99, [(100.0, 0.0), (INF, 0.0)])), "no observations"
    assert bucket_quantile(0.5, [(250.0, 4.0), (250.0, 6.0), (INF, 10.0)]) == pytest.approx(125.0), "le=250 and 250.0 are one"
    assert bucket_quantile(0.5, [(100.0, 60.0), (250.0, 50.0), (INF, 100.0)]) == pytest.approx(100 * 50 / 60), "held level"


def test_a_failed_part_is_an_error_and_the_next_minute_reads_it_again():
    """Unknown, never a smaller total: a part that could not be read fails the whole read."""
    now = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)
    asked, failing = [], [True]

    def instant(promql, at):
        asked.append(promql)
        if failing[0] and at == now:
            raise SourceError("Prometheus at http://p is unreachable")
        return [{"metric": {"service": "a"}, "value": [at.timestamp(), "1"]}]

    reads = IncrementalReads(lambda *args: [], instant, clock=lambda: now)
    window = Window(now - timedelta(hours=6), now)
    with pytest.raises(SourceError, match="unreachable"):
        reads.total(lambda r: f"increase(x[{r}])", window, "sum")
    failing[0] = False
    parts = reads.total(lambda r: f"increase(x[{r}])", window, "sum")
    assert [float(s["value"][1]) for s in parts] == [3.0]  # 06:30-07:00, 07:00-12:00 (kept), 12:00-12:30
    assert asked.count("increase(x[18000s])") == 1, "the whole hours, read before the failure, were kept"
