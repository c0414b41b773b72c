"""Mesh incidents: p99 and 5xx excursions found in the series a page shows."""

from __future__ import annotations

from typing import TypedDict

import pandas as pd

from services.sources.base import EDGE_KEYS

INCIDENT_COLUMNS = ["kind", "cluster", "namespace", "service", "source_workload", "start", "end", "peak", "peak_time", "baseline"]

# p99 counts as an incident when it is this many times its median over the window and at least
# this high; error ratios above the limit count whatever their baseline.
LATENCY_FACTOR = 3.0
LATENCY_FLOOR_MS = 250.0
ERROR_RATIO_LIMIT = 0.02
MIN_POINTS = 2


def excursions(series: pd.DataFrame | None, column: str, kind: str, step_seconds: int) -> pd.DataFrame:
    """Periods where `column` of a service's (or an edge's) series is abnormally high."""
    if series is None or series.empty or column not in series:
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    keys = [k for k in EDGE_KEYS if k in series.columns]
    frame = series.sort_values(keys + ["time"], ignore_index=True)
    group = frame.groupby(keys, sort=False).ngroup()
    values = frame[column]
    baseline = values.groupby(group).transform("median")
    if kind == "latency":
        flagged = (values >= LATENCY_FACTOR * baseline) & (values >= LATENCY_FLOOR_MS)
    else:
        flagged = values >= ERROR_RATIO_LIMIT
    same_series = group.eq(group.shift())
    contiguous = same_series & (frame["time"].diff().dt.total_seconds() <= step_seconds)
    starts = flagged & ~(flagged.shift(fill_value=False) & contiguous)
    run = starts.cumsum()[flagged]
    hits = frame[flagged].assign(baseline=baseline[flagged], _run=run)
    if hits.empty:
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    runs = hits.groupby("_run", sort=False)
    out = runs.agg(
        **{k: (k, "first") for k in keys},
        start=("time", "min"),
        end=("time", "max"),
        peak=(column, "max"),
        baseline=("baseline", "first"),
        points=("time", "size"),
    )
    out["peak_time"] = hits.loc[runs[column].idxmax().to_numpy(), "time"].to_numpy()
    out = out[out["points"] >= MIN_POINTS].assign(kind=kind)
    if "source_workload" not in out:
        out["source_workload"] = ""
    return out[INCIDENT_COLUMNS].sort_values("start", ignore_index=True)


def incidents(latency: pd.DataFrame | None, traffic: pd.DataFrame | None, step_seconds: int) -> pd.DataFrame:
    """Latency (p99) and 5xx excursions of every service (or edge), oldest first.

    A series that failed to load is passed as None and contributes nothing.
    """
    parts = [
        excursions(latency, "p99", "latency", step_seconds),
        excursions(traffic, "ratio_5xx", "5xx", step_seconds),
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(["start", "kind"], ignore_index=True)


def format_peak(kind: str, value: float) -> str:
    """An incident's value as people read it: milliseconds for latency, a percentage for errors."""
    return f"{value:,.0f} ms" if kind == "latency" else f"{value:.1%}"


class Incident(TypedDict):
    kind: str  # "latency" or "5xx"
    cluster: str
    namespace: str
    service: str
    source_workload: str
    start: pd.Timestamp
    end: pd.Timestamp
    peak: float
    peak_time: pd.Timestamp
    baseline: float


def incident_records(frame: pd.DataFrame) -> list[Incident]:
    return [Incident(**r) for r in frame[INCIDENT_COLUMNS].to_dict("records")]  # type: ignore[typeddict-item]
