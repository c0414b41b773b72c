"""Mesh incidents: p99 and 5xx excursions found in the series a page shows."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
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
    """Periods where `column` of a service's (or an edge's) series is abnormally high.

    A period is a run of flagged points of one series no more than a step apart; it needs
    MIN_POINTS. Found with arrays over all series at once: on every rerun of the Mesh page and
    for every chat question, grouped aggregations per run cost more than the rest of the page."""
    if series is None or series.empty or column not in series:
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    keys = [k for k in EDGE_KEYS if k in series.columns]
    frame = series.sort_values(keys + ["time"], ignore_index=True)
    group = frame.groupby(keys, sort=False).ngroup().to_numpy()
    values = frame[column].to_numpy(dtype=float)
    baseline = frame[column].groupby(group).transform("median").to_numpy(dtype=float)
    if kind == "latency":
        flagged = (values >= LATENCY_FACTOR * baseline) & (values >= LATENCY_FLOOR_MS)
    else:
        flagged = values >= ERROR_RATIO_LIMIT
    times = frame["time"]
    seconds = times.to_numpy(dtype="datetime64[s]").astype(np.int64)
    contiguous = np.zeros(len(frame), dtype=bool)
    contiguous[1:] = (group[1:] == group[:-1]) & (np.diff(seconds) <= step_seconds)
    previous = np.concatenate([[False], flagged[:-1]])
    starts = flagged & ~(previous & contiguous)
    hits = np.flatnonzero(flagged)
    run_starts = np.flatnonzero(starts[hits])  # positions in `hits` where a run begins
    run_ends = np.append(run_starts[1:], len(hits))[: len(run_starts)]
    rows = []
    for begin, end in zip(run_starts, run_ends, strict=True):
        if end - begin < MIN_POINTS:
            continue
        run = hits[begin:end]
        top = run[int(np.argmax(values[run]))]
        first = run[0]
        rows.append((first, run[-1], top, values[top], baseline[first]))
    if not rows:
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    first, last, top, peak, base = (np.array(c) for c in zip(*rows, strict=True))
    out = frame.loc[first, keys].reset_index(drop=True)
    if "source_workload" not in out:
        out["source_workload"] = ""
    out = out.assign(
        kind=kind,
        start=times.iloc[first].to_numpy(),
        end=times.iloc[last].to_numpy(),
        peak=peak,
        peak_time=times.iloc[top].to_numpy(),
        baseline=base,
    )
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
