"""Test-only oracle: a frozen, verbatim copy of services/alerts/analysis.py before issue 13.

Issue 13 rewrote the analysis without pandas on the hot path; tests/test_alert_analysis_equivalence.py
asserts that the new implementation returns exactly what this one does. Never import it from the
app, and never edit it to make a test pass: it is the reference the rewrite is held to.

Original docstring: alert analysis, pure functions over the interval frames the sources return.
An alert's identity is its name plus its label set (`labels_key`). Intervals are clipped to the
window by the sources; an interval that starts exactly at the window's start began before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict

import pandas as pd

from services.config import AlertSettings
from services.sources.frames import interval_frame
from services.timewindow import Window

IDENTITY = ["alertname", "labels_key"]
SEVERITY_ORDER = {"critical": 0, "error": 1, "warning": 2, "info": 3, "none": 4}
SEVERITY_COLORS = {"critical": "#d62728", "error": "#e4572e", "warning": "#ff9f1c", "info": "#2e86de", "none": "#8d99ae"}
_FAR = pd.Timestamp("2262-01-01", tz="UTC")  # stands for "still firing" when comparing ends
_DESCRIBE = ["alertname", "labels", "labels_key", "severity", "cluster", "namespace", "service"]
_FLAP_COLUMNS = _DESCRIBE + ["transitions", "firings", "median_minutes", "hint"]
_FALSE_COLUMNS = _DESCRIBE + ["count", "median_minutes", "hint"]
_OFFENDER_COLUMNS = _DESCRIBE + ["firings", "firing_minutes", "last_start", "ongoing"]


def merge_overlaps(intervals: pd.DataFrame) -> pd.DataFrame:
    """One row per continuous period per identity, where series overlap or touch.

    Duplicates come from HA Prometheus pairs or re-sent data; counting them twice would make a
    steady alert look like a flapping one.
    """
    if intervals.empty:
        return intervals
    frame = intervals.sort_values(IDENTITY + ["start"], ignore_index=True)
    by_alert = [frame[c] for c in IDENTITY]
    reach = frame["end"].where(~frame["ongoing"], _FAR).groupby(by_alert).cummax()
    previous_reach = reach.groupby(by_alert).shift()
    period = (previous_reach.isna() | (frame["start"] > previous_reach)).cumsum()
    merged = frame.groupby(period, sort=False).first()
    period_end = reach.groupby(period, sort=False).max()
    merged["ongoing"] = (period_end == _FAR).to_numpy()
    merged["end"] = period_end.where(period_end != _FAR).to_numpy()
    merged["since"] = frame["since"].groupby(period, sort=False).min().to_numpy()
    return interval_frame(merged.to_dict("records"))


def durations(intervals: pd.DataFrame, window: Window) -> pd.Series:
    """Active time of each interval inside the window, in minutes."""
    end = intervals["end"].fillna(pd.Timestamp(window.end))
    return (end - intervals["start"]).dt.total_seconds() / 60.0


def firing_now(intervals: pd.DataFrame) -> pd.DataFrame:
    """Alerts active at the window's end, most severe and oldest first."""
    active = intervals[intervals["ongoing"]].copy()
    active["_rank"] = active["severity"].map(SEVERITY_ORDER).fillna(9)
    return active.sort_values(["_rank", "since"]).drop(columns="_rank").reset_index(drop=True)


def counts_by(intervals: pd.DataFrame, column: str, window: Window) -> pd.DataFrame:
    """Per value of `column`: distinct alerts, firings and firing minutes."""
    out_cols = [column, "alerts", "firings", "firing_minutes"]
    if intervals.empty:
        return pd.DataFrame(columns=out_cols)
    frame = intervals.assign(_minutes=durations(intervals, window), _key=intervals["alertname"] + "|" + intervals["labels_key"])
    out = frame.groupby(column, as_index=False).agg(
        alerts=("_key", "nunique"), firings=("start", "size"), firing_minutes=("_minutes", "sum")
    )
    return out.sort_values(["firings", column], ascending=[False, True], ignore_index=True)[out_cols]


def _annotated(intervals: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Merged intervals with their minutes in the window and whether they start/end inside it."""
    frame = merge_overlaps(intervals).sort_values(IDENTITY + ["start"], ignore_index=True)
    return frame.assign(
        _minutes=durations(frame, window),
        _started=frame["start"] > pd.Timestamp(window.start),
        _ended=~frame["ongoing"] & (frame["end"] < pd.Timestamp(window.end)),
    )


def most_in_span(times: list, span_minutes: float) -> int:
    """The largest number of `times` inside any span of `span_minutes` (a sliding window)."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, moment in enumerate(ordered):
        while (moment - ordered[first]).total_seconds() > span_minutes * 60:
            first += 1
        best = max(best, last - first + 1)
    return best


def _per_identity(frame: pd.DataFrame, flap_span_minutes: float = 60.0) -> pd.DataFrame:
    """One row per alert identity of an `_annotated` frame: transitions and duration statistics.

    `transitions` counts state changes within the busiest span of `flap_span_minutes`: flapping
    is rapid change, and three short firings spread over five hours are sporadic, not flapping.
    """
    previous_end = frame.groupby(IDENTITY, sort=False)["end"].shift()
    frame = frame.assign(_gap=(frame["start"] - previous_end).dt.total_seconds() / 60.0)
    changes: dict[tuple, list] = {}
    for *identity, start, end, started, ended in frame[IDENTITY + ["start", "end", "_started", "_ended"]].itertuples(index=False):
        moments = changes.setdefault(tuple(identity), [])
        if started:
            moments.append(start)
        if ended:
            moments.append(end)
    rapid = {key: most_in_span(moments, flap_span_minutes) for key, moments in changes.items()}
    frame = frame.assign(_transitions=[rapid[tuple(k)] for k in frame[IDENTITY].itertuples(index=False)])
    described = {c: (c, "first") for c in _DESCRIBE if c not in IDENTITY}
    return (
        frame.groupby(IDENTITY, sort=False)
        .agg(
            **described,
            firings=("start", "size"),
            transitions=("_transitions", "first"),
            firing_minutes=("_minutes", "sum"),
            median_minutes=("_minutes", "median"),
            median_gap_minutes=("_gap", "median"),
            last_start=("start", "max"),
            ongoing=("ongoing", "any"),
        )
        .reset_index()
    )


def _minutes_text(minutes: float) -> str:
    if minutes < 1:
        return f"{minutes * 60:.0f}s"
    if minutes < 90:
        return f"{minutes:.0f}m" if minutes == int(minutes) else f"{minutes:.1f}m"
    return f"{minutes / 60:.1f}h"


def _round_up_minutes(minutes: float, floor: int = 1) -> int:
    return max(floor, int(math.ceil(minutes)))


def flapping(intervals: pd.DataFrame, window: Window, min_transitions: int = 6, span_minutes: float = 60.0) -> pd.DataFrame:
    """Alerts that changed state at least `min_transitions` times within some `span_minutes`."""
    if intervals.empty:
        return pd.DataFrame(columns=_FLAP_COLUMNS)
    return _flapping(_per_identity(_annotated(intervals, window), span_minutes), min_transitions)


def _flapping(stats: pd.DataFrame, min_transitions: int) -> pd.DataFrame:
    flaps = stats[stats["transitions"] >= min_transitions].copy()
    if flaps.empty:
        return pd.DataFrame(columns=_FLAP_COLUMNS)
    flaps["hint"] = [_flap_hint(r) for r in flaps.to_dict("records")]
    return flaps.sort_values(["transitions", "alertname"], ascending=[False, True], ignore_index=True)[_FLAP_COLUMNS]


def _flap_hint(row: dict) -> str:
    gap = row["median_gap_minutes"]
    keep = _round_up_minutes(gap * 1.5 if not math.isnan(gap) else row["median_minutes"] * 2, 5)
    return (
        f"{row['transitions']} rapid state changes ({row['firings']} firings of about "
        f"{_minutes_text(row['median_minutes'])}, {_minutes_text(gap) if not math.isnan(gap) else '?'} apart): "
        f"add hysteresis with `keep_firing_for: {keep}m` on the rule, or resolve below a lower "
        f"threshold than the one that fires; if the signal is noisy, compute it over a longer range."
    )


def likely_false(intervals: pd.DataFrame, window: Window, max_minutes: float = 5.0, min_count: int = 3) -> pd.DataFrame:
    """Alerts that repeatedly fired briefly and resolved on their own: no one could have acted."""
    if intervals.empty:
        return pd.DataFrame(columns=_FALSE_COLUMNS)
    frame = _annotated(intervals, window)
    return _likely_false(frame, _per_identity(frame), max_minutes, min_count)


def _likely_false(frame: pd.DataFrame, stats: pd.DataFrame, max_minutes: float, min_count: int) -> pd.DataFrame:
    short = frame[frame["_started"] & frame["_ended"] & (frame["_minutes"] <= max_minutes)]
    counted = (
        short.groupby(IDENTITY, sort=False)
        .agg(count=("start", "size"), short_median=("_minutes", "median"), longest=("_minutes", "max"))
        .reset_index()
    )
    stats = stats.merge(counted, on=IDENTITY)
    stats = stats[(stats["count"] >= min_count) & (stats["count"] >= 0.5 * stats["firings"])]
    rows = [
        {
            **{c: r[c] for c in _DESCRIBE},
            "count": int(r["count"]),
            "median_minutes": float(r["short_median"]),
            "hint": (
                f"{r['count']} firings of {_minutes_text(r['short_median'])} (longest {_minutes_text(r['longest'])}) "
                f"that resolved by themselves: raise `for:` to {_round_up_minutes(r['longest'] * 2, 5)}m so "
                f"blips this short never notify, or evaluate over a longer range (e.g. [10m] instead of [1m])."
            ),
        }
        for r in stats.to_dict("records")
    ]
    if not rows:
        return pd.DataFrame(columns=_FALSE_COLUMNS)
    return pd.DataFrame(rows).sort_values(["count", "alertname"], ascending=[False, True], ignore_index=True)[_FALSE_COLUMNS]


def top_offenders(intervals: pd.DataFrame, window: Window, limit: int = 10) -> pd.DataFrame:
    """The noisiest alerts: most firings, then most firing time."""
    if intervals.empty:
        return pd.DataFrame(columns=_OFFENDER_COLUMNS)
    return _top_offenders(_per_identity(_annotated(intervals, window)), limit)


def _top_offenders(stats: pd.DataFrame, limit: int) -> pd.DataFrame:
    stats = stats.sort_values(["firings", "firing_minutes"], ascending=False, ignore_index=True)
    return stats.head(limit)[_OFFENDER_COLUMNS]


def analyse(
    intervals: pd.DataFrame,
    window: Window,
    min_transitions: int,
    max_minutes: float,
    min_count: int,
    limit: int = 10,
    span_minutes: float = 60.0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """flapping(), likely_false() and top_offenders() at once, merging and grouping only once."""
    if intervals.empty:
        return (
            pd.DataFrame(columns=_FLAP_COLUMNS),
            pd.DataFrame(columns=_FALSE_COLUMNS),
            pd.DataFrame(columns=_OFFENDER_COLUMNS),
        )
    frame = _annotated(intervals, window)
    stats = _per_identity(frame, span_minutes)
    return _flapping(stats, min_transitions), _likely_false(frame, stats, max_minutes, min_count), _top_offenders(stats, limit)


@dataclass
class AlertView:
    """Everything the pages show about a window's alert intervals."""

    intervals: pd.DataFrame
    firing: pd.DataFrame
    flapping: pd.DataFrame
    likely_false: pd.DataFrame
    offenders: pd.DataFrame


def analyse_alerts(intervals: pd.DataFrame, window: Window, settings: AlertSettings) -> AlertView:
    noisy, false_alerts, offenders = analyse(
        intervals,
        window,
        settings.flap_min_transitions,
        settings.false_alert_max_minutes,
        settings.false_alert_min_count,
        span_minutes=settings.flap_span_minutes,
    )
    return AlertView(intervals, firing_now(intervals), noisy, false_alerts, offenders)


class AlertRecord(TypedDict):
    """Who an alert is about: the fields every alert record carries."""

    alertname: str
    labels: dict[str, str]
    severity: str
    cluster: str
    namespace: str
    service: str


class FiringAlert(AlertRecord):
    since: pd.Timestamp


class FlappingAlert(AlertRecord):
    transitions: int
    hint: str


class LikelyFalseAlert(AlertRecord):
    count: int
    hint: str


def _who(row: dict) -> AlertRecord:
    return AlertRecord(
        alertname=row["alertname"],
        labels=dict(row["labels"]),
        severity=row["severity"],
        cluster=row["cluster"],
        namespace=row["namespace"],
        service=row["service"],
    )


def firing_records(view: AlertView) -> list[FiringAlert]:
    return [FiringAlert(**_who(r), since=r["since"]) for r in view.firing.to_dict("records")]


def flapping_records(view: AlertView) -> list[FlappingAlert]:
    return [FlappingAlert(**_who(r), transitions=int(r["transitions"]), hint=r["hint"]) for r in view.flapping.to_dict("records")]


def likely_false_records(view: AlertView) -> list[LikelyFalseAlert]:
    return [LikelyFalseAlert(**_who(r), count=int(r["count"]), hint=r["hint"]) for r in view.likely_false.to_dict("records")]
