"""Turning raw query answers into the frames of the source interface, shared by both sources."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from services.sources.base import INTERVAL_COLUMNS, TRAFFIC_COLUMNS, empty_frame

SERVICE_LABELS = ("service", "destination_service_name", "app", "container", "job")
HIDDEN_ALERT_LABELS = {"alertname", "alertstate", "__name__"}
TIME_DTYPE = "datetime64[ns, UTC]"


def histogram_quantile(q: float, upper_bounds: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Prometheus' histogram_quantile for rows of cumulative bucket counts.

    `upper_bounds` ends with +Inf; `counts` has shape (rows, buckets). Rows without
    observations give NaN, exactly as Prometheus does.
    """
    counts = np.maximum.accumulate(counts, axis=1)  # Prometheus' ensureMonotonic
    total = counts[:, -1]
    rank = q * total
    reached = counts[:, :-1] >= rank[:, None]
    b = np.where(reached.any(axis=1), reached.argmax(axis=1), counts.shape[1] - 1)
    rows = np.arange(counts.shape[0])
    lower = np.where(b > 0, upper_bounds[np.maximum(b - 1, 0)], 0.0)
    below = np.where(b > 0, counts[rows, np.maximum(b - 1, 0)], 0.0)
    in_bucket = counts[rows, np.minimum(b, counts.shape[1] - 1)] - below
    upper = upper_bounds[np.minimum(b, counts.shape[1] - 1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        value = lower + (upper - lower) * ((rank - below) / in_bucket)
    value = np.where(b == counts.shape[1] - 1, upper_bounds[-2], value)
    return np.where(total > 0, value, np.nan)


def traffic_frame(codes: pd.DataFrame, grpc: pd.DataFrame, keys: list[str], seconds: float | None) -> pd.DataFrame:
    """Rates by response code (and gRPC status) -> rps and error ratios per group.

    `codes` has `keys` + response_code + value; `grpc` has `keys` + grpc_response_status + value.
    Values are per-second rates, or counts over `seconds` when that is given (window summaries).
    """
    columns = keys + (["requests"] if seconds else []) + TRAFFIC_COLUMNS
    if codes.empty:
        return empty_frame(columns)
    code = codes["response_code"].astype(str)
    frame = codes.assign(
        is_5xx=np.where(code.str.startswith("5"), codes["value"], 0.0),
        is_4xx=np.where(code.str.startswith("4"), codes["value"], 0.0),
    )
    out = frame.groupby(keys, as_index=False)[["value", "is_5xx", "is_4xx"]].sum()
    if not grpc.empty:
        status = grpc["grpc_response_status"].astype(str)
        g = grpc.assign(bad=np.where(status != "0", grpc["value"], 0.0))
        g = g.groupby(keys, as_index=False)[["value", "bad"]].sum()
        g["ratio_grpc_error"] = _ratio(g["bad"], g["value"])
        out = out.merge(g[keys + ["ratio_grpc_error"]], on=keys, how="left")
    else:
        out["ratio_grpc_error"] = np.nan
    out["ratio_5xx"] = _ratio(out["is_5xx"], out["value"])
    out["ratio_4xx"] = _ratio(out["is_4xx"], out["value"])
    if seconds:
        out["requests"] = out["value"]
        out["rps"] = out["value"] / seconds
    else:
        out["rps"] = out["value"]
    return out[columns].reset_index(drop=True)


def _ratio(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype(float)


def labels_key(labels: dict[str, str]) -> str:
    """A stable text identity for a label set (alertname excluded)."""
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels) if k not in HIDDEN_ALERT_LABELS)


def service_of(labels: dict[str, str]) -> str:
    for name in SERVICE_LABELS:
        if labels.get(name):
            return labels[name]
    return ""


def interval_row(
    alertname: str,
    labels: dict[str, str],
    state: str,
    start: datetime,
    end: datetime | None,
    since: datetime,
    cluster_label: str = "cluster",
) -> dict:
    shown = {k: v for k, v in labels.items() if k not in HIDDEN_ALERT_LABELS}
    return {
        "alertname": alertname,
        "labels": shown,
        "labels_key": labels_key(shown),
        "severity": shown.get("severity", "none"),
        "cluster": shown.get(cluster_label, ""),
        "namespace": shown.get("namespace", ""),
        "service": service_of(shown),
        "state": state,
        "start": pd.Timestamp(start),
        "end": pd.Timestamp(end) if end is not None else pd.NaT,
        "ongoing": end is None,
        "since": pd.Timestamp(since),
    }


def interval_frame(rows: Iterable[dict]) -> pd.DataFrame:
    rows = list(rows)
    if not rows:
        frame = empty_frame(INTERVAL_COLUMNS)
        for col in ("start", "end", "since"):
            frame[col] = pd.Series(dtype=TIME_DTYPE)
        frame["ongoing"] = pd.Series(dtype=bool)
        return frame
    frame = pd.DataFrame(rows, columns=INTERVAL_COLUMNS)
    for col in ("start", "end", "since"):
        frame[col] = pd.to_datetime(frame[col], utc=True).astype(TIME_DTYPE)  # type: ignore[call-overload]
    frame["ongoing"] = frame["ongoing"].astype(bool)
    return frame.sort_values(["start", "alertname", "labels_key"], ignore_index=True)
