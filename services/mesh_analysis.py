"""Mesh incidents: p99 and 5xx excursions found in the series a page shows."""

from __future__ import annotations

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
    """Periods where `column` of a service's series is abnormally high."""
    rows = []
    if series is None or series.empty or column not in series:
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    keys = [k for k in EDGE_KEYS if k in series.columns]
    for key, group in series.sort_values("time").groupby(keys):
        labels = dict(zip(keys, key))
        values = group[column]
        baseline = float(values.median())
        if kind == "latency":
            flagged = (values >= LATENCY_FACTOR * baseline) & (values >= LATENCY_FLOOR_MS)
        else:
            flagged = values >= ERROR_RATIO_LIMIT
        gap = group["time"].diff().dt.total_seconds() > step_seconds
        starts = flagged & (~flagged.shift(fill_value=False) | gap)
        run_ids = starts.cumsum().where(flagged)
        for _, part in group.groupby(run_ids):
            if len(part) < MIN_POINTS:
                continue
            peak_at = part[column].idxmax()
            rows.append({
                "kind": kind, "cluster": labels["cluster"], "namespace": labels["namespace"],
                "service": labels["service"], "source_workload": labels.get("source_workload", ""),
                "start": part["time"].iloc[0], "end": part["time"].iloc[-1],
                "peak": float(part[column].max()), "peak_time": part.loc[peak_at, "time"], "baseline": baseline,
            })
    if not rows:
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    return pd.DataFrame(rows, columns=INCIDENT_COLUMNS).sort_values("start", ignore_index=True)


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
