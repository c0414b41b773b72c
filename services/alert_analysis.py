"""Alert analysis: pure functions over the interval frames the sources return.

An alert's identity is its name plus its label set (`labels_key`). Intervals are clipped to the
window by the sources; an interval that starts exactly at the window's start began before it.
"""

from __future__ import annotations

import math

import pandas as pd

from services.sources.frames import interval_frame
from services.timewindow import Window

IDENTITY = ["alertname", "labels_key"]
SEVERITY_ORDER = {"critical": 0, "error": 1, "warning": 2, "info": 3, "none": 4}
_DESCRIBE = ["alertname", "labels", "labels_key", "severity", "cluster", "namespace", "service"]


def merge_overlaps(intervals: pd.DataFrame) -> pd.DataFrame:
    """One row per continuous period per identity, where series overlap or touch.

    Duplicates come from HA Prometheus pairs or re-sent data; counting them twice would make a
    steady alert look like a flapping one.
    """
    if intervals.empty:
        return intervals
    rows = []
    far = pd.Timestamp.max.tz_localize("UTC")
    for _, group in intervals.sort_values("start").groupby(IDENTITY, sort=False):
        current = None
        for row in group.to_dict("records"):
            row_end = far if row["ongoing"] else row["end"]
            if current is not None and row["start"] <= current["_end"]:
                if row_end > current["_end"]:
                    current.update(end=row["end"], ongoing=row["ongoing"], _end=row_end)
                current["since"] = min(current["since"], row["since"])
                continue
            if current is not None:
                rows.append(current)
            current = {**row, "_end": row_end}
        rows.append(current)
    return interval_frame([{k: v for k, v in r.items() if k != "_end"} for r in rows])


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


def _per_identity(intervals: pd.DataFrame, window: Window) -> pd.DataFrame:
    """One row per alert identity with transition counts and firing-duration statistics."""
    frame = intervals.assign(
        _minutes=durations(intervals, window),
        _started=intervals["start"] > pd.Timestamp(window.start),
        _ended=~intervals["ongoing"] & (intervals["end"] < pd.Timestamp(window.end)),
    )
    rows = []
    for _, group in frame.sort_values("start").groupby(IDENTITY, sort=False):
        first = group.iloc[0]
        resolved = group[group["_ended"] & group["_started"]]
        starts, ends = group["start"].iloc[1:].reset_index(drop=True), group["end"].iloc[:-1].reset_index(drop=True)
        gaps = ((starts - ends).dt.total_seconds() / 60.0).dropna()
        rows.append({
            **{c: first[c] for c in _DESCRIBE},
            "firings": len(group),
            "transitions": int(group["_started"].sum() + group["_ended"].sum()),
            "firing_minutes": float(group["_minutes"].sum()),
            "median_minutes": float(group["_minutes"].median()),
            "resolved": resolved,
            "median_gap_minutes": float(gaps.median()) if len(gaps) else math.nan,
            "last_start": group["start"].max(),
            "ongoing": bool(group["ongoing"].any()),
        })
    return pd.DataFrame(rows)


def _minutes_text(minutes: float) -> str:
    if minutes < 1:
        return f"{minutes * 60:.0f}s"
    if minutes < 90:
        return f"{minutes:.0f}m" if minutes == int(minutes) else f"{minutes:.1f}m"
    return f"{minutes / 60:.1f}h"


def _round_up_minutes(minutes: float, floor: int = 1) -> int:
    return max(floor, int(math.ceil(minutes)))


def flapping(intervals: pd.DataFrame, window: Window, min_transitions: int = 6) -> pd.DataFrame:
    """Alerts that changed state at least `min_transitions` times inside the window."""
    columns = _DESCRIBE + ["transitions", "firings", "median_minutes", "hint"]
    if intervals.empty:
        return pd.DataFrame(columns=columns)
    stats = _per_identity(merge_overlaps(intervals), window)
    flaps = stats[stats["transitions"] >= min_transitions].copy()
    if flaps.empty:
        return pd.DataFrame(columns=columns)
    flaps["hint"] = [_flap_hint(r) for r in flaps.to_dict("records")]
    return flaps.sort_values(["transitions", "alertname"], ascending=[False, True], ignore_index=True)[columns]


def _flap_hint(row: dict) -> str:
    gap = row["median_gap_minutes"]
    keep = _round_up_minutes(gap * 1.5 if not math.isnan(gap) else row["median_minutes"] * 2, 5)
    return (
        f"{row['transitions']} state changes ({row['firings']} firings of about "
        f"{_minutes_text(row['median_minutes'])}, {_minutes_text(gap) if not math.isnan(gap) else '?'} apart): "
        f"add hysteresis with `keep_firing_for: {keep}m` on the rule, or resolve below a lower "
        f"threshold than the one that fires; if the signal is noisy, compute it over a longer range."
    )


def likely_false(
    intervals: pd.DataFrame, window: Window, max_minutes: float = 5.0, min_count: int = 3
) -> pd.DataFrame:
    """Alerts that repeatedly fired briefly and resolved on their own: no one could have acted."""
    columns = _DESCRIBE + ["count", "median_minutes", "hint"]
    if intervals.empty:
        return pd.DataFrame(columns=columns)
    stats = _per_identity(merge_overlaps(intervals), window)
    rows = []
    for r in stats.to_dict("records"):
        resolved = r["resolved"]
        short = resolved[resolved["_minutes"] <= max_minutes]
        if len(short) < min_count or len(short) < 0.5 * r["firings"]:
            continue
        longest = float(short["_minutes"].max())
        median = float(short["_minutes"].median())
        hint = (
            f"{len(short)} firings of {_minutes_text(median)} (longest {_minutes_text(longest)}) that "
            f"resolved by themselves: raise `for:` to {_round_up_minutes(longest * 2, 5)}m so blips "
            f"this short never notify, or evaluate over a longer range (e.g. [10m] instead of [1m])."
        )
        rows.append({**{c: r[c] for c in _DESCRIBE}, "count": len(short), "median_minutes": median, "hint": hint})
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows).sort_values(["count", "alertname"], ascending=[False, True], ignore_index=True)[columns]


def top_offenders(intervals: pd.DataFrame, window: Window, limit: int = 10) -> pd.DataFrame:
    """The noisiest alerts: most firings, then most firing time."""
    columns = _DESCRIBE + ["firings", "firing_minutes", "last_start", "ongoing"]
    if intervals.empty:
        return pd.DataFrame(columns=columns)
    stats = _per_identity(merge_overlaps(intervals), window)
    stats = stats.sort_values(["firings", "firing_minutes"], ascending=False, ignore_index=True)
    return stats.head(limit)[columns]
