"""Alert analysis: pure functions over the interval frames the sources return.

An alert's identity is its name plus its label set (`labels_key`). Intervals are clipped to the
window by the sources; an interval that starts exactly at the window's start began before it, and
`end` is NaT exactly when `ongoing` is true.

The work is plain Python over the frame's columns, times as integer nanoseconds: pandas' fixed
cost per groupby, sort and Categorical (tens of milliseconds for a window's few dozen intervals)
would otherwise be most of a page run. Only the returned tables are DataFrames, built once at the
end. Sums, medians and durations are computed the way pandas computes them (see _group_sums,
_median, _minutes), so every number is what the pandas version of this module gave, to the last
bit, and ties sort the same way (tests/test_alert_analysis_equivalence.py holds it to that).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import TypedDict

import numpy as np
import pandas as pd

from services.config import AlertSettings
from services.i18n import Language, Message
from services.sources.frames import interval_frame
from services.timewindow import Window

IDENTITY = ["alertname", "labels_key"]
SEVERITY_ORDER = {"critical": 0, "error": 1, "warning": 2, "info": 3, "none": 4}
SEVERITY_COLORS = {"critical": "#d62728", "error": "#e4572e", "warning": "#ff9f1c", "info": "#2e86de", "none": "#8d99ae"}
_FOREVER = 2**63  # the reach of a period still firing: later than any int64 nanosecond time
_NAT = -(2**63)  # NaT as int64 nanoseconds
_NS_PER_SECOND = 1_000_000_000
_DESCRIBE = ["alertname", "labels", "labels_key", "severity", "cluster", "namespace", "service"]
_DESCRIBED = ["labels", "severity", "cluster", "namespace", "service"]  # read from the alert's first row
_FLAP_COLUMNS = _DESCRIBE + ["transitions", "firings", "median_minutes", "hint"]
_FALSE_COLUMNS = _DESCRIBE + ["count", "median_minutes", "hint"]
HINTS = "hint_messages"  # the attrs key of the flapping and likely-false frames: their hints as messages
_OFFENDER_COLUMNS = _DESCRIBE + ["firings", "firing_minutes", "last_start", "ongoing"]
_OFFENDER_DTYPES = {  # of the columns that are not text
    "labels": "object",
    "firings": "int64",
    "firing_minutes": "float64",
    "last_start": "datetime64[ns, UTC]",
    "ongoing": "bool",
}

Identity = tuple[str, str]


# -- numbers as pandas computes them -----------------------------------------------------------


def _seconds(ns: int) -> float:
    """Timedelta.total_seconds() of `ns` nanoseconds, rounded exactly as pandas rounds it."""
    whole, rest = divmod(ns, _NS_PER_SECOND)
    return whole + rest / _NS_PER_SECOND


def _minutes(ns: Sequence[int] | np.ndarray) -> list[float]:
    """Durations in nanoseconds as minutes: pandas' `.dt.total_seconds() / 60.0`, the same operations."""
    whole, rest = np.divmod(np.asarray(ns, dtype=np.int64), _NS_PER_SECOND)
    return ((whole + rest / _NS_PER_SECOND) / 60.0).tolist()


def _kahan_sum(values: Iterable[float]) -> float:
    """pandas' Cython groupby sum: Kahan-compensated, in row order, skipping NaN."""
    total = compensation = 0.0
    for value in values:
        if value != value:
            continue
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if compensation != compensation:  # an infinite value: keep the infinity, not NaN
            compensation = 0.0
        total = t
    return total


def _group_sums(values: list[float], groups: list[int]) -> list[float]:
    """The sum of `values` per group (`groups`: ids 0..n-1, one per value), as pandas' groupby sums.

    pandas (3.1) adds with numpy's `add.reduceat` when the group ids run in order and no value is
    NaN, and with a Kahan-compensated loop otherwise. The two differ in the last bit, and a sum is
    a sort key (top offenders), so this takes the path pandas would take.
    """
    if not values:
        return []
    in_order = all(a <= b for a, b in pairwise(groups))
    if in_order and not any(v != v for v in values):
        starts = [i for i, group in enumerate(groups) if i == 0 or group != groups[i - 1]]
        return np.add.reduceat(np.array(values, dtype=np.float64), starts).tolist()
    per_group: list[list[float]] = [[] for _ in range(max(groups) + 1)]
    for value, group in zip(values, groups, strict=True):
        per_group[group].append(value)
    return [_kahan_sum(group) for group in per_group]


def _median(values: Sequence[float]) -> float:
    """pandas' median: the middle value, or the mean of the two middle ones; NaN when empty."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return math.nan
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _nanoseconds(column: pd.Series) -> np.ndarray:
    """A datetime column as int64 nanoseconds since the epoch (NaT as the int64 minimum)."""
    return column.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _instant(moment: datetime) -> int:
    return pd.Timestamp(moment).as_unit("ns").value


# -- merging the intervals of each alert -------------------------------------------------------


@dataclass(frozen=True)
class _Intervals:
    """The columns of an interval frame the analysis reads, one list each, in row order."""

    alertname: list[str]
    labels_key: list[str]
    start: list[int]
    reach: list[int]  # end, or _FOREVER while ongoing
    since: list[int]
    described: dict[str, list]  # the _DESCRIBED columns

    @classmethod
    def of(cls, intervals: pd.DataFrame) -> _Intervals:
        ends = _nanoseconds(intervals["end"]).tolist()
        return cls(
            intervals["alertname"].tolist(),
            intervals["labels_key"].tolist(),
            _nanoseconds(intervals["start"]).tolist(),
            [_FOREVER if still else end for end, still in zip(ends, intervals["ongoing"].tolist(), strict=True)],
            _nanoseconds(intervals["since"]).tolist(),
            {column: intervals[column].tolist() for column in _DESCRIBED},
        )


@dataclass(slots=True)
class _Period:
    """One continuous active period of an alert, merged from the intervals that overlap or touch."""

    row: int  # position in the input of its first interval: what describes it
    start: int
    reach: int  # its end, or _FOREVER while still firing
    since: int

    @property
    def ongoing(self) -> bool:
        return self.reach == _FOREVER


def _periods(columns: _Intervals) -> dict[Identity, list[_Period]]:
    """Merged periods of each alert, alerts in sorted order, each one's periods by start."""
    rows_of: dict[Identity, list[int]] = {}
    for row, identity in enumerate(zip(columns.alertname, columns.labels_key, strict=True)):
        rows_of.setdefault(identity, []).append(row)
    # sorted() is stable: intervals with the same start keep their order, as pandas' sort kept them.
    return {identity: _merged(sorted(rows_of[identity], key=columns.start.__getitem__), columns) for identity in sorted(rows_of)}


def _merged(rows: list[int], columns: _Intervals) -> list[_Period]:
    """`rows` (one alert's intervals, by start) as periods; an interval starting at a period's end extends it."""
    periods: list[_Period] = []
    for row in rows:
        start, reach, since = columns.start[row], columns.reach[row], columns.since[row]
        if periods and start <= periods[-1].reach:
            last = periods[-1]
            last.reach, last.since = max(last.reach, reach), min(last.since, since)
        else:
            periods.append(_Period(row, start, reach, since))
    return periods


def merge_overlaps(intervals: pd.DataFrame) -> pd.DataFrame:
    """One row per continuous period per identity, where series overlap or touch.

    Duplicates come from HA Prometheus pairs or re-sent data; counting them twice would make a
    steady alert look like a flapping one.
    """
    if intervals.empty:
        return intervals
    periods = [p for alert in _periods(_Intervals.of(intervals)).values() for p in alert]
    records = intervals.iloc[[p.row for p in periods]].to_dict("records")
    for record, p in zip(records, periods, strict=True):
        record["start"] = pd.Timestamp(p.start, tz="UTC")
        record["end"] = pd.NaT if p.ongoing else pd.Timestamp(p.reach, tz="UTC")
        record["ongoing"] = p.ongoing
        record["since"] = pd.Timestamp(p.since, tz="UTC")
    return interval_frame(records)


# -- per alert statistics ----------------------------------------------------------------------


def durations(intervals: pd.DataFrame, window: Window) -> pd.Series:
    """Active time of each interval inside the window, in minutes."""
    end = intervals["end"].fillna(pd.Timestamp(window.end))
    return (end - intervals["start"]).dt.total_seconds() / 60.0


def most_in_span(times: list, span_minutes: float) -> int:
    """The largest number of `times` inside any span of `span_minutes` (a sliding window)."""
    return _most_in_span(sorted(_instant(t) for t in times), _longest_inside(span_minutes))


def _most_in_span(ordered: list[int], longest: int) -> int:
    """most_in_span() of sorted nanosecond times, `longest` from _longest_inside()."""
    best, first = 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] > longest:
            first += 1
        best = max(best, last - first + 1)
    return best


def _longest_inside(span_minutes: float) -> int:
    """The largest gap in nanoseconds whose total_seconds() is still within `span_minutes`.

    total_seconds() never decreases with the gap, so comparing integer gaps with this decides
    exactly as comparing their seconds with the span did, without a float division per step.
    """
    limit = span_minutes * 60
    if limit != limit:  # NaN: no gap is ever longer
        return 2**64
    inside, outside = -(2**64), 2**64  # _seconds(inside) <= limit < _seconds(outside)
    while outside - inside > 1:
        middle = (inside + outside) // 2
        if _seconds(middle) <= limit:
            inside = middle
        else:
            outside = middle
    return inside


@dataclass(frozen=True)
class _Stats:
    """One alert's periods in the window, summed up."""

    identity: Identity
    row: int  # the input row that describes it: its first interval
    firings: int
    transitions: int  # state changes within the busiest span of `span_minutes`
    firing_minutes: float
    median_minutes: float
    median_gap_minutes: float  # NaN with a single firing
    last_start: int
    ongoing: bool
    contained_minutes: list[float]  # of the firings that started and ended inside the window

    @property
    def alertname(self) -> str:
        return self.identity[0]


def _per_identity(columns: _Intervals, window: Window, span_minutes: float = 60.0) -> list[_Stats]:
    """One entry per alert identity, identities in sorted order.

    `transitions` counts state changes within the busiest span of `span_minutes`: flapping is
    rapid change, and three short firings spread over five hours are sporadic, not flapping.
    """
    window_start, window_end = _instant(window.start), _instant(window.end)
    longest = _longest_inside(span_minutes)
    merged = _periods(columns)
    sizes = [len(periods) for periods in merged.values()]
    # The minutes of every period, and of every gap between an alert's periods: one numpy call each.
    lengths = [(window_end if p.ongoing else p.reach) - p.start for periods in merged.values() for p in periods]
    spaces = [b.start - a.reach for periods in merged.values() for a, b in pairwise(periods)]
    minutes, gaps = _split(_minutes(lengths), sizes), _split(_minutes(spaces), [n - 1 for n in sizes])
    totals = _group_sums([m for alert in minutes for m in alert], [i for i, n in enumerate(sizes) for _ in range(n)])
    stats = []
    for (identity, periods), active, between, total in zip(merged.items(), minutes, gaps, totals, strict=True):
        changes, contained = _inside(periods, active, window_start, window_end)
        stats.append(
            _Stats(
                identity,
                row=periods[0].row,
                firings=len(periods),
                transitions=_most_in_span(changes, longest),
                firing_minutes=total,
                median_minutes=_median(active),
                median_gap_minutes=_median(between),
                last_start=max(p.start for p in periods),
                ongoing=any(p.ongoing for p in periods),
                contained_minutes=contained,
            )
        )
    return stats


def _inside(periods: list[_Period], minutes: list[float], window_start: int, window_end: int) -> tuple[list[int], list[float]]:
    """The state changes inside the window (sorted), and the minutes of the periods that began and ended in it.

    A period starting exactly at the window's start began before it; one ending at its end, or
    still firing, has not ended.
    """
    changes, contained = [], []
    for p, length in zip(periods, minutes, strict=True):
        started, ended = p.start > window_start, not p.ongoing and p.reach < window_end
        if started:
            changes.append(p.start)
        if ended:
            changes.append(p.reach)
        if started and ended:
            contained.append(length)
    return sorted(changes), contained


def _split(values: list[float], sizes: list[int]) -> list[list[float]]:
    """`values` cut into consecutive pieces of `sizes`."""
    out, at = [], 0
    for size in sizes:
        out.append(values[at : at + size])
        at += size
    return out


# -- the tables --------------------------------------------------------------------------------


def _described(columns: _Intervals, stats: list[_Stats]) -> dict[str, list]:
    """The `_DESCRIBE` columns of the alerts in `stats`, read from each one's first input row."""
    rows = [s.row for s in stats]
    identity = {"alertname": [s.identity[0] for s in stats], "labels_key": [s.identity[1] for s in stats]}
    return {c: identity[c] if c in identity else [columns.described[c][row] for row in rows] for c in _DESCRIBE}


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
    columns = _Intervals.of(intervals)
    return _flapping(columns, _per_identity(columns, window, span_minutes), min_transitions)


def _flapping(columns: _Intervals, stats: list[_Stats], min_transitions: int) -> pd.DataFrame:
    flaps = sorted((s for s in stats if s.transitions >= min_transitions), key=lambda s: (-s.transitions, s.alertname))
    if not flaps:
        return pd.DataFrame(columns=_FLAP_COLUMNS)
    table = {
        **_described(columns, flaps),
        "transitions": [s.transitions for s in flaps],
        "firings": [s.firings for s in flaps],
        "median_minutes": [s.median_minutes for s in flaps],
    }
    return _with_hints(table, [_flap_hint(s) for s in flaps])  # the columns of _FLAP_COLUMNS, in order


def _with_hints(table: dict[str, list], hints: list[Message]) -> pd.DataFrame:
    """The table with its "hint" column in English (what the CLI, reports and the model read); the
    messages stay in the frame's attrs for a page to show them in the reader's language (AlertView.hinted)."""
    frame = pd.DataFrame({**table, "hint": [hint.text(Language.EN) for hint in hints]})
    frame.attrs[HINTS] = hints
    return frame


def _flap_hint(stats: _Stats) -> Message:
    gap, median = stats.median_gap_minutes, stats.median_minutes
    keep = _round_up_minutes(gap * 1.5 if not math.isnan(gap) else median * 2, 5)
    return Message.of(
        "alert_hint.flapping",
        transitions=stats.transitions,
        firings=stats.firings,
        duration=_minutes_text(median),
        gap=_minutes_text(gap) if not math.isnan(gap) else "?",
        keep=keep,
    )


def _false_hint(short: list[float], median: float) -> Message:
    return Message.of(
        "alert_hint.likely_false",
        count=len(short),
        duration=_minutes_text(median),
        longest=_minutes_text(max(short)),
        wait=_round_up_minutes(max(short) * 2, 5),
    )


def likely_false(intervals: pd.DataFrame, window: Window, max_minutes: float = 5.0, min_count: int = 3) -> pd.DataFrame:
    """Alerts that repeatedly fired briefly and resolved on their own: no one could have acted."""
    if intervals.empty:
        return pd.DataFrame(columns=_FALSE_COLUMNS)
    columns = _Intervals.of(intervals)
    return _likely_false(columns, _per_identity(columns, window), max_minutes, min_count)


def _likely_false(columns: _Intervals, stats: list[_Stats], max_minutes: float, min_count: int) -> pd.DataFrame:
    found: list[tuple[_Stats, list[float]]] = []
    for s in stats:
        short = [m for m in s.contained_minutes if m <= max_minutes]
        if short and len(short) >= min_count and len(short) >= 0.5 * s.firings:
            found.append((s, short))
    if not found:
        return pd.DataFrame(columns=_FALSE_COLUMNS)
    found.sort(key=lambda pair: (-len(pair[1]), pair[0].alertname))
    medians = [_median(short) for _, short in found]
    table = {
        **_described(columns, [s for s, _ in found]),
        "count": [len(short) for _, short in found],
        "median_minutes": medians,
    }
    hints = [_false_hint(short, median) for (_, short), median in zip(found, medians, strict=True)]
    return _with_hints(table, hints)  # the columns of _FALSE_COLUMNS, in order


def top_offenders(intervals: pd.DataFrame, window: Window, limit: int = 10) -> pd.DataFrame:
    """The noisiest alerts: most firings, then most firing time."""
    if intervals.empty:
        return pd.DataFrame(columns=_OFFENDER_COLUMNS)
    columns = _Intervals.of(intervals)
    return _top_offenders(columns, _per_identity(columns, window), limit)


def _top_offenders(columns: _Intervals, stats: list[_Stats], limit: int) -> pd.DataFrame:
    top = sorted(stats, key=lambda s: (-s.firings, -s.firing_minutes))[:limit]
    table = {
        **_described(columns, top),
        "firings": [s.firings for s in top],
        "firing_minutes": [s.firing_minutes for s in top],
        "last_start": pd.to_datetime([s.last_start for s in top], unit="ns", utc=True),
        "ongoing": [s.ongoing for s in top],
    }
    if not top:  # limit 0: typed empty columns, as the pandas version had them
        table = {c: pd.Series(v, dtype=_OFFENDER_DTYPES.get(c, "str")) for c, v in table.items()}
    return pd.DataFrame(table)  # the columns of _OFFENDER_COLUMNS, in order


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
        return _no_tables()
    return _analyse(_Intervals.of(intervals), window, min_transitions, max_minutes, min_count, limit, span_minutes)


def _no_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(columns=_FLAP_COLUMNS), pd.DataFrame(columns=_FALSE_COLUMNS), pd.DataFrame(columns=_OFFENDER_COLUMNS)


def _analyse(
    columns: _Intervals, window: Window, min_transitions: int, max_minutes: float, min_count: int, limit: int, span_minutes: float
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    stats = _per_identity(columns, window, span_minutes)
    return (
        _flapping(columns, stats, min_transitions),
        _likely_false(columns, stats, max_minutes, min_count),
        _top_offenders(columns, stats, limit),
    )


def firing_now(intervals: pd.DataFrame) -> pd.DataFrame:
    """Alerts active at the window's end, most severe and oldest first."""
    return _firing_now(intervals, _Intervals.of(intervals))


def _firing_now(intervals: pd.DataFrame, columns: _Intervals) -> pd.DataFrame:
    severity, since = columns.described["severity"], columns.since
    active = [row for row, reach in enumerate(columns.reach) if reach == _FOREVER]
    # Stable, and NaT (the int64 minimum) last, as pandas' sort_values.
    active.sort(key=lambda row: (SEVERITY_ORDER.get(severity[row], 9), since[row] == _NAT, since[row]))
    return intervals.take(active).reset_index(drop=True)


def counts_by(intervals: pd.DataFrame, column: str, window: Window) -> pd.DataFrame:
    """Per value of `column`: distinct alerts, firings and firing minutes."""
    out_cols = [column, "alerts", "firings", "firing_minutes"]
    if intervals.empty:
        return pd.DataFrame(columns=out_cols)
    values = intervals[column].tolist()
    names = sorted(set(values))  # the groups of pandas' groupby(sort=True), in its order
    group_of = {value: i for i, value in enumerate(names)}
    groups = [group_of[value] for value in values]
    keys = [name + "|" + key for name, key in zip(intervals["alertname"].tolist(), intervals["labels_key"].tolist(), strict=True)]
    alerts = Counter(group for group, _ in set(zip(groups, keys, strict=True)))
    firings = Counter(groups)
    start, end = _nanoseconds(intervals["start"]), _nanoseconds(intervals["end"])
    totals = _group_sums(_minutes(np.where(end == _NAT, _instant(window.end), end) - start), groups)
    order = sorted(range(len(names)), key=lambda g: -firings[g])  # stable: ties stay in order of value
    table = {
        column: [names[g] for g in order],
        "alerts": [alerts[g] for g in order],
        "firings": [firings[g] for g in order],
        "firing_minutes": [totals[g] for g in order],
    }
    return pd.DataFrame(table)


@dataclass
class AlertView:
    """Everything the pages show about a window's alert intervals."""

    intervals: pd.DataFrame
    firing: pd.DataFrame
    flapping: pd.DataFrame
    likely_false: pd.DataFrame
    offenders: pd.DataFrame

    def hinted(self, lang: Language) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The flapping and likely-false tables with their hints in `lang` (the frames themselves keep English)."""
        return _hinted(self.flapping, lang), _hinted(self.likely_false, lang)


def _hinted(table: pd.DataFrame, lang: Language) -> pd.DataFrame:
    hints = table.attrs.get(HINTS, [])
    shown = table.copy(deep=False)
    shown.attrs = {}  # for the page: Streamlit serialises attrs, and messages are not JSON
    if lang is not Language.EN and len(hints) == len(table):
        shown["hint"] = [hint.text(lang) for hint in hints]
    return shown


def analyse_alerts(intervals: pd.DataFrame, window: Window, settings: AlertSettings) -> AlertView:
    """All of the analysis of a window's intervals, reading the frame's columns once."""
    if intervals.empty:
        return AlertView(intervals, firing_now(intervals), *_no_tables())
    columns = _Intervals.of(intervals)
    noisy, false_alerts, offenders = _analyse(
        columns,
        window,
        settings.flap_min_transitions,
        settings.false_alert_max_minutes,
        settings.false_alert_min_count,
        10,
        settings.flap_span_minutes,
    )
    return AlertView(intervals, _firing_now(intervals, columns), noisy, false_alerts, offenders)


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


def flapping_records(view: AlertView, lang: Language = Language.EN) -> list[FlappingAlert]:
    """The flapping alerts, their hints in `lang` (a shift summary's language; English for the model)."""
    rows = _hinted(view.flapping, lang).to_dict("records")
    return [FlappingAlert(**_who(r), transitions=int(r["transitions"]), hint=r["hint"]) for r in rows]


def likely_false_records(view: AlertView, lang: Language = Language.EN) -> list[LikelyFalseAlert]:
    """The likely-false alerts, their hints in `lang`."""
    rows = _hinted(view.likely_false, lang).to_dict("records")
    return [LikelyFalseAlert(**_who(r), count=int(r["count"]), hint=r["hint"]) for r in rows]
