"""Alert analysis on hand-built intervals, including the edge cases of real data."""

from datetime import UTC, datetime, timedelta

import pandas as pd

from services.alerts import analysis
from services.sources.frames import interval_frame, interval_row
from services.timewindow import Window

T0 = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
WINDOW = Window(T0, T0 + timedelta(hours=2))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def row(name: str, start: float, end: float | None, since: float | None = None, **labels: str) -> dict:
    labels = {"severity": "warning", "cluster": "c1", "namespace": "ns", "service": "svc", **labels}
    return interval_row(
        name,
        {"alertname": name, **labels},
        "firing",
        at(start),
        None if end is None else at(end),
        at(since if since is not None else start),
    )


def frame(*rows: dict) -> pd.DataFrame:
    return interval_frame(rows)


def test_empty_window_gives_empty_tables_with_columns():
    empty = frame()
    assert analysis.firing_now(empty).empty
    assert list(analysis.flapping(empty, WINDOW).columns)[-1] == "hint"
    assert analysis.likely_false(empty, WINDOW).empty
    assert analysis.top_offenders(empty, WINDOW).empty
    assert list(analysis.counts_by(empty, "severity", WINDOW).columns) == ["severity", "alerts", "firings", "firing_minutes"]


def test_alert_spanning_both_window_edges_is_firing_and_never_flaps():
    # Began an hour before the window (clipped to its start by the source) and is still firing.
    intervals = frame(row("Spanning", 0, None, since=-60))
    firing = analysis.firing_now(intervals)
    assert firing["alertname"].tolist() == ["Spanning"]
    assert firing["since"].iloc[0] == pd.Timestamp(at(-60))
    stats = analysis.top_offenders(intervals, WINDOW)
    assert stats["firing_minutes"].iloc[0] == 120
    assert analysis.flapping(intervals, WINDOW, min_transitions=1).empty  # no state change inside the window


def test_flapping_is_rapid_change_within_a_sliding_hour():
    # Six 5-minute firings 15 minutes apart (10..90): 12 changes, at most 9 of them in any hour.
    flaps = [row("Flappy", 10 + 15 * i, 15 + 15 * i) for i in range(6)]
    steady = row("Steady", 5, 100)
    intervals = frame(*flaps, steady)
    found = analysis.flapping(intervals, WINDOW, min_transitions=6)
    assert found["alertname"].tolist() == ["Flappy"]
    assert found["transitions"].iloc[0] == 9
    hint = found["hint"].iloc[0]
    assert "keep_firing_for: 15m" in hint  # 1.5 x the 10 minute gap
    assert analysis.flapping(intervals, WINDOW, min_transitions=10).empty  # threshold is configurable
    assert analysis.flapping(intervals, WINDOW, min_transitions=10, span_minutes=90)["transitions"].iloc[0] == 12


def test_short_firings_spread_over_hours_are_sporadic_not_flapping():
    day = Window(T0, T0 + timedelta(hours=6))
    sporadic = frame(row("Sporadic", 10, 12), row("Sporadic", 150, 152), row("Sporadic", 290, 292))
    assert analysis.flapping(sporadic, day, min_transitions=6).empty  # 6 changes, but at most 2 within an hour
    assert analysis.flapping(sporadic, day, min_transitions=6, span_minutes=6 * 60)["transitions"].iloc[0] == 6


def test_overlapping_series_of_one_alert_are_merged_before_counting():
    # The same alert from two HA Prometheus replicas: overlapping intervals, one identity.
    intervals = frame(row("Dup", 10, 40), row("Dup", 12, 42), row("Dup", 41, 60), row("Dup", 90, 95))
    merged = analysis.merge_overlaps(intervals)
    assert len(merged) == 2
    assert merged["start"].tolist() == [pd.Timestamp(at(10)), pd.Timestamp(at(90))]
    assert merged["end"].tolist() == [pd.Timestamp(at(60)), pd.Timestamp(at(95))]
    assert analysis.top_offenders(intervals, WINDOW)["firings"].iloc[0] == 2


def test_overlap_with_an_ongoing_interval_stays_ongoing():
    merged = analysis.merge_overlaps(frame(row("A", 10, 30), row("A", 20, None)))
    assert len(merged) == 1 and bool(merged["ongoing"].iloc[0])


def test_likely_false_needs_repeated_short_self_resolving_firings():
    blips = [row("Blip", 10 + 20 * i, 11.5 + 20 * i) for i in range(4)]
    long_ones = [row("Real", 10, 50), row("Real", 60, 100)]
    two_blips = [row("Rare", 5, 6), row("Rare", 30, 31)]
    intervals = frame(*blips, *long_ones, *two_blips)
    found = analysis.likely_false(intervals, WINDOW, max_minutes=5, min_count=3)
    assert found["alertname"].tolist() == ["Blip"]
    assert found["count"].iloc[0] == 4
    assert "raise `for:` to 5m" in found["hint"].iloc[0]


def test_a_short_firing_still_active_at_the_end_is_not_counted_as_false():
    intervals = frame(row("Blip", 10, 11), row("Blip", 30, 31), row("Blip", 118, None))
    assert analysis.likely_false(intervals, WINDOW, max_minutes=5, min_count=3).empty


def test_counts_by_cluster_and_severity():
    intervals = frame(
        row("A", 0, 10, cluster="seoul", severity="critical"),
        row("A", 20, 30, cluster="seoul", severity="critical"),
        row("B", 0, 60, cluster="tokyo", severity="warning"),
    )
    by_cluster = analysis.counts_by(intervals, "cluster", WINDOW).set_index("cluster")
    assert by_cluster.loc["seoul", "firings"] == 2 and by_cluster.loc["seoul", "alerts"] == 1
    assert by_cluster.loc["tokyo", "firing_minutes"] == 60
    by_severity = analysis.counts_by(intervals, "severity", WINDOW)
    assert by_severity["severity"].tolist() == ["critical", "warning"]


def test_firing_now_orders_by_severity_then_age():
    intervals = frame(
        row("Info", 5, None, severity="info"),
        row("CritNew", 50, None, severity="critical"),
        row("CritOld", 20, None, severity="critical"),
        row("Resolved", 1, 2, severity="critical"),
    )
    assert analysis.firing_now(intervals)["alertname"].tolist() == ["CritOld", "CritNew", "Info"]
