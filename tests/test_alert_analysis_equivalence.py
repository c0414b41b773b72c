"""The alert analysis returns exactly what it returned before issue 13 (tests/reference_alert_analysis.py).

Every public function is run by both implementations on the demo scenario's windows and on
seeded random interval sets with the shapes real sources give: overlapping duplicates (HA pairs),
touching intervals, identical starts, zero-length firings, flapping bursts, alerts firing since
before the window or still firing at its end (NaT end), ends exactly at the window's end,
nanosecond times, several clusters/namespaces/severities, unknown severities, shuffled and
filtered frames (a non-contiguous index, as the Alerts page's filters make) and empty input.
Tables must be identical: values to the last bit, dtypes, column order, index.
"""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from services.alerts import analysis
from services.config import AlertSettings, SourceSettings
from services.sources.base import Filters
from services.sources.factory import make_source
from services.sources.frames import interval_frame, interval_row
from services.timewindow import Window
from tests import reference_alert_analysis as reference

DEMO_NOWS = ["2026-11-03T12:00:00Z", "2026-11-04T03:17:00Z"]
DEMO_HOURS = [1, 3, 6, 12, 24]
RANDOM_CASES = 160
T0 = pd.Timestamp("2026-11-03T00:00:00Z")
NAMES = ["IstioP99LatencyHigh", "KubePodCrashLooping", "CPUThrottlingHigh", "Blip", "A", ""]
SEVERITIES = ["critical", "error", "warning", "info", "none", "page"]  # "page": not in SEVERITY_ORDER
COUNT_COLUMNS = ("severity", "cluster", "namespace", "service")


def same_frame(new: pd.DataFrame, old: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(new, old, check_exact=True, check_index_type=True, check_column_type=True)


def same_view(new: analysis.AlertView, old: reference.AlertView) -> None:
    assert [f.name for f in dataclasses.fields(new)] == [f.name for f in dataclasses.fields(old)]
    for field in dataclasses.fields(old):
        same_frame(getattr(new, field.name), getattr(old, field.name))
    assert new.intervals is old.intervals or new.intervals.equals(old.intervals)
    assert analysis.firing_records(new) == reference.firing_records(old)
    assert analysis.flapping_records(new) == reference.flapping_records(old)
    assert analysis.likely_false_records(new) == reference.likely_false_records(old)


# -- cases -------------------------------------------------------------------------------------


def demo_cases() -> list[tuple[str, pd.DataFrame, Window]]:
    cases = []
    for now in DEMO_NOWS:
        source = make_source(SourceSettings(demo_now=now))
        end = pd.Timestamp(now).to_pydatetime()
        for hours in DEMO_HOURS:
            window = Window(end - timedelta(hours=hours), end)
            cases.append((f"demo {now} {hours}h", source.alert_intervals(window, Filters()), window))
        odd = Window(end - timedelta(hours=5, seconds=37), end - timedelta(seconds=23))  # not on the minute
        cases.append((f"demo {now} unaligned", source.alert_intervals(odd, Filters()), odd))
        day = Window(end - timedelta(hours=24), end)
        for cluster in ("prod-seoul", "prod-tokyo"):
            cases.append((f"demo {now} {cluster}", source.alert_intervals(day, Filters(clusters=(cluster,))), day))
    return cases


def _labels(rng: random.Random, name: str) -> dict[str, str]:
    labels = {"alertname": name, "severity": rng.choice(SEVERITIES)}
    if rng.random() < 0.1:
        del labels["severity"]  # -> "none"
    for key, values in (("cluster", ["prod-seoul", "prod-tokyo", "stage"]), ("namespace", ["shop", "payments", "web"])):
        if rng.random() < 0.9:
            labels[key] = rng.choice(values)
    service_label = rng.choice(["service", "destination_service_name", "app", "job", None])
    if service_label:
        labels[service_label] = rng.choice(["checkout", "ledger", "cart", "frontend"])
    if rng.random() < 0.3:
        labels["pod"] = f"pod-{rng.randrange(4)}"
    return labels


def _moment(rng: random.Random, window: Window, minutes: float) -> pd.Timestamp:
    """`minutes` after the window's start, sometimes with nanoseconds."""
    at = pd.Timestamp(window.start) + pd.Timedelta(minutes=minutes)
    if rng.random() < 0.2:
        at += pd.Timedelta(nanoseconds=rng.randrange(1, 10**9))
    return at


def _periods(rng: random.Random, span: float) -> list[tuple[float, float | None]]:
    """(start, end) minutes into a window `span` minutes long; end None: still firing at its end."""
    shape = rng.choice(["flapping", "random", "steady", "duplicates", "blips"])
    out: list[tuple[float, float | None]] = []
    if shape == "flapping":
        at = rng.uniform(0, span * 0.7)
        for _ in range(rng.randint(2, 15)):
            length = rng.choice([0.0, 0.5, 1.0, 2.0, 3.0, rng.uniform(0, 6)])
            if at + length > span:
                break
            out.append((at, at + length))
            at += length + rng.choice([-0.5, 0.0, 1.0, 2.0, 5.0, rng.uniform(0, 20)])  # overlap, touch, gaps
    elif shape == "random":
        for _ in range(rng.randint(1, 8)):
            start = rng.choice([0.0, rng.uniform(0, span)])
            out.append((start, min(span, start + rng.expovariate(1 / 20))))
    elif shape == "steady":
        out.append((rng.choice([0.0, rng.uniform(0, span / 2)]), rng.choice([None, span, rng.uniform(span / 2, span)])))
    elif shape == "duplicates":  # an HA pair: the same firings twice, slightly shifted, some starts identical
        for _ in range(rng.randint(1, 4)):
            start = rng.uniform(0, span * 0.9)
            end = min(span, start + rng.uniform(0, 30))
            out.append((start, end))
            out.append((start + rng.choice([0.0, 0.0, 0.25]), min(span, end + rng.choice([0.0, 0.5, -0.25]))))
    else:  # short, self-resolving
        for i in range(rng.randint(1, 8)):
            start = min(span - 6, i * rng.uniform(3, 40))
            out.append((max(start, 0.0), max(start, 0.0) + rng.choice([0.5, 1.0, 1.5, 5.0, 5.5])))
    if out and rng.random() < 0.25:
        start, _ = out[-1]
        out[-1] = (start, None)  # still firing
    return [(s, None if e is None else max(s, min(e, span))) for s, e in out]


def random_case(rng: random.Random) -> tuple[pd.DataFrame, Window]:
    hours = rng.choice([1, 2, 6, 24])
    start = T0 + pd.Timedelta(seconds=rng.choice([0, rng.randrange(86400)]), microseconds=rng.choice([0, 123456]))
    window = Window(start.to_pydatetime(), (start + pd.Timedelta(hours=hours)).to_pydatetime())
    span = hours * 60.0
    rows = []
    for _ in range(rng.choice([1, 2, 3, 5, 8, 12])):
        name = rng.choice(NAMES)
        labels = _labels(rng, name)
        for begin, end in _periods(rng, span):
            start_at = _moment(rng, window, begin)
            end_at = None if end is None else max(start_at, _moment(rng, window, end))
            if end is not None and end >= span and rng.random() < 0.5:
                end_at = pd.Timestamp(window.end)  # resolved exactly at the window's end
            since = start_at
            if begin == 0.0 and rng.random() < 0.7:
                since = start_at - pd.Timedelta(minutes=rng.uniform(1, 600))  # firing since before the window
            rows.append(interval_row(name, labels, rng.choice(["firing", "firing", "pending"]), start_at, end_at, since))
    frame = interval_frame(rows)
    roll = rng.random()
    if roll < 0.15:
        frame = frame.sample(frac=1.0, random_state=rng.randrange(10**6))  # shuffled, index kept
    elif roll < 0.3 and len(frame):
        frame = frame[frame["severity"].isin(rng.sample(SEVERITIES, 4))]  # filtered like the Alerts page
    return frame, window


def random_settings(rng: random.Random) -> AlertSettings:
    return AlertSettings(
        flap_min_transitions=rng.choice([1, 2, 3, 4, 6, 8, 10]),
        flap_span_minutes=rng.choice([0.5, 5.0, 30.0, 60.0, 90.0, 240.0]),
        false_alert_max_minutes=rng.choice([0.0, 1.0, 2.5, 5.0, 10.0]),
        false_alert_min_count=rng.choice([1, 2, 3, 5]),
    )


def random_cases() -> list[tuple[str, pd.DataFrame, Window, AlertSettings, int]]:
    rng = random.Random(13)
    return [(f"random {i}", *random_case(rng), random_settings(rng), rng.choice([0, 1, 3, 10, 100])) for i in range(RANDOM_CASES)]


DEMO = demo_cases()
RANDOM = random_cases()


def test_the_cases_hold_what_they_are_meant_to():
    frames = [frame for _, frame, *_ in DEMO + RANDOM]
    everything = pd.concat([f for f in frames if len(f)])
    assert everything["ongoing"].any() and everything["end"].isna().any()
    assert (everything["end"] == everything["start"]).any()  # zero-length
    assert (everything["since"] < everything["start"]).any()  # firing since before the window
    assert any(f.duplicated(["alertname", "labels_key", "start"]).any() for f in frames)  # identical starts
    assert any(not f.index.equals(pd.RangeIndex(len(f))) for f in frames)  # shuffled or filtered
    assert everything["cluster"].nunique() >= 3 and everything["severity"].nunique() >= 5
    views = [analysis.analyse_alerts(f, w, s) for _, f, w, s, _ in RANDOM]  # equal to the reference's: below
    assert sum(not v.flapping.empty for v in views) >= 20 and sum(not v.likely_false.empty for v in views) >= 20


@pytest.mark.parametrize("name, intervals, window", DEMO, ids=[c[0] for c in DEMO])
def test_demo_windows(name, intervals, window):
    settings = AlertSettings()
    same_view(analysis.analyse_alerts(intervals, window, settings), reference.analyse_alerts(intervals, window, settings))
    for column in COUNT_COLUMNS:
        same_frame(analysis.counts_by(intervals, column, window), reference.counts_by(intervals, column, window))
    same_frame(analysis.merge_overlaps(intervals), reference.merge_overlaps(intervals))


@pytest.mark.parametrize("case", range(RANDOM_CASES))
def test_random_interval_sets(case):
    _, intervals, window, settings, limit = RANDOM[case]
    same_view(analysis.analyse_alerts(intervals, window, settings), reference.analyse_alerts(intervals, window, settings))
    same_frame(analysis.merge_overlaps(intervals), reference.merge_overlaps(intervals))
    same_frame(analysis.firing_now(intervals), reference.firing_now(intervals))
    pd.testing.assert_series_equal(
        analysis.durations(intervals, window), reference.durations(intervals, window), check_exact=True
    )
    column = COUNT_COLUMNS[case % len(COUNT_COLUMNS)]
    same_frame(analysis.counts_by(intervals, column, window), reference.counts_by(intervals, column, window))
    args = (settings.flap_min_transitions, settings.false_alert_max_minutes, settings.false_alert_min_count, limit)
    for new, old in zip(
        analysis.analyse(intervals, window, *args, span_minutes=settings.flap_span_minutes),
        reference.analyse(intervals, window, *args, span_minutes=settings.flap_span_minutes),
        strict=True,
    ):
        same_frame(new, old)
    if case % 4 == 0:  # the single-table functions share the code above; a sample is enough
        same_frame(
            analysis.flapping(intervals, window, settings.flap_min_transitions, settings.flap_span_minutes),
            reference.flapping(intervals, window, settings.flap_min_transitions, settings.flap_span_minutes),
        )
        same_frame(
            analysis.likely_false(intervals, window, settings.false_alert_max_minutes, settings.false_alert_min_count),
            reference.likely_false(intervals, window, settings.false_alert_max_minutes, settings.false_alert_min_count),
        )
        same_frame(analysis.top_offenders(intervals, window, limit), reference.top_offenders(intervals, window, limit))


def test_empty_input():
    empty = interval_frame([])
    window = Window(datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 3, 2, tzinfo=UTC))
    settings = AlertSettings()
    same_view(analysis.analyse_alerts(empty, window, settings), reference.analyse_alerts(empty, window, settings))
    assert analysis.merge_overlaps(empty) is empty and reference.merge_overlaps(empty) is empty
    same_frame(analysis.firing_now(empty), reference.firing_now(empty))
    for column in COUNT_COLUMNS:
        same_frame(analysis.counts_by(empty, column, window), reference.counts_by(empty, column, window))
    for new, old in zip(analysis.analyse(empty, window, 6, 5.0, 3), reference.analyse(empty, window, 6, 5.0, 3), strict=True):
        same_frame(new, old)
    same_frame(analysis.flapping(empty, window), reference.flapping(empty, window))
    same_frame(analysis.likely_false(empty, window), reference.likely_false(empty, window))
    same_frame(analysis.top_offenders(empty, window), reference.top_offenders(empty, window))


def test_most_in_span_and_constants():
    rng = random.Random(7)
    for _ in range(300):
        times = [T0 + pd.Timedelta(nanoseconds=rng.randrange(0, 6 * 3600 * 10**9)) for _ in range(rng.randrange(0, 30))]
        times += rng.sample(times, min(len(times), rng.randrange(3)))  # equal moments
        span = rng.choice([0.0, 0.5, 1.0, 30.0, 60.0, rng.uniform(0, 120), math.inf, math.nan])
        assert analysis.most_in_span(times, span) == reference.most_in_span(times, span)
    assert analysis.most_in_span([T0, T0 + pd.Timedelta(hours=1)], 60) == 2  # a span includes both its ends
    assert analysis.SEVERITY_ORDER == reference.SEVERITY_ORDER
    assert analysis.SEVERITY_COLORS == reference.SEVERITY_COLORS
    assert analysis.IDENTITY == reference.IDENTITY
