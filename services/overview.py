"""What the pages and the CLI show, assembled from a source: one place, no Streamlit."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TypedDict

import pandas as pd

from services.alerts.analysis import analyse_alerts, firing_records, flapping_records, likely_false_records
from services.config import AlertSettings
from services.sources.base import Filters, MetricSource, SourceError
from services.sources.reads import run_all
from services.timewindow import Window, iso


def read_concurrently(jobs: dict[str, Callable[[], pd.DataFrame]]) -> dict[str, pd.DataFrame | SourceError]:
    """Run a page's reads at once; a read that failed is returned as its SourceError.

    Concurrent reads keep a page close to the slowest query instead of the sum of them, and one
    failed query leaves the page's other parts intact.
    """

    def attempt(job: Callable[[], pd.DataFrame]) -> pd.DataFrame | SourceError:
        try:
            return job()
        except SourceError as exc:
            return exc

    results = run_all([partial(attempt, job) for job in jobs.values()])
    return dict(zip(jobs, results, strict=True))


def overview_data(source: MetricSource, window: Window, filters: Filters) -> dict[str, pd.DataFrame | SourceError]:
    return read_concurrently(
        {
            "intervals": lambda: source.alert_intervals(window, filters),
            "latency": lambda: source.latency_summary(window, filters, "service"),
            "traffic": lambda: source.traffic_summary(window, filters, "service"),
        }
    )


def mesh_data(source: MetricSource, window: Window, step: int, filters: Filters) -> dict[str, pd.DataFrame | SourceError]:
    """Service and edge summaries over the window, and their time series."""
    return read_concurrently(
        {
            "latency_summary": lambda: source.latency_summary(window, filters, "service"),
            "traffic_summary": lambda: source.traffic_summary(window, filters, "service"),
            "latency": lambda: source.latency_series(window, step, filters, "service"),
            "traffic": lambda: source.traffic_series(window, step, filters, "service"),
            "edge_latency_summary": lambda: source.latency_summary(window, filters, "edge"),
            "edge_traffic_summary": lambda: source.traffic_summary(window, filters, "edge"),
            "edge_latency": lambda: source.latency_series(window, step, filters, "edge"),
            "edge_traffic": lambda: source.traffic_series(window, step, filters, "edge"),
        }
    )


class RankedService(TypedDict):
    service: str
    namespace: str
    cluster: str
    value: float


def ranked(frame: pd.DataFrame, column: str, limit: int) -> list[RankedService]:
    """The `limit` worst services by `column`, as records."""
    return [
        RankedService(service=r["service"], namespace=r["namespace"], cluster=r["cluster"], value=float(r[column]))
        for r in worst(frame, column, limit).to_dict("records")
    ]


def worst(frame: pd.DataFrame, column: str, limit: int | None = None) -> pd.DataFrame:
    """Rows with a value in `column`, highest first."""
    out = frame.dropna(subset=[column]).sort_values([column, "service"], ascending=[False, True], ignore_index=True)
    return out if limit is None else out.head(limit)


def _number(value: float, digits: int) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def status_report(source: MetricSource, window: Window, filters: Filters, settings: AlertSettings) -> dict:
    """The overview of a window in the shape `oncall status --json` prints."""
    parts = overview_data(source, window, filters)
    intervals, latency_summary, traffic_summary = parts["intervals"], parts["latency"], parts["traffic"]
    for part in (intervals, latency_summary, traffic_summary):
        if isinstance(part, SourceError):
            raise part
    assert isinstance(intervals, pd.DataFrame) and isinstance(latency_summary, pd.DataFrame)
    assert isinstance(traffic_summary, pd.DataFrame)
    view = analyse_alerts(intervals, window, settings)
    latency = worst(latency_summary, "p99")
    errors = worst(traffic_summary, "ratio_5xx")
    return {
        "window": window.to_dict(),
        "source": source.name,
        "alerts": {
            "firing": [
                {"alertname": r["alertname"], "labels": r["labels"], "since": iso(r["since"].to_pydatetime())}
                for r in firing_records(view)
            ],
            "flapping": [
                {"alertname": r["alertname"], "labels": r["labels"], "transitions": r["transitions"], "hint": r["hint"]}
                for r in flapping_records(view)
            ],
            "likely_false": [
                {"alertname": r["alertname"], "labels": r["labels"], "count": r["count"], "hint": r["hint"]}
                for r in likely_false_records(view)
            ],
            "intervals": len(view.intervals),
        },
        "latency": [
            {"service": r["service"], "namespace": r["namespace"], "cluster": r["cluster"], "p99_ms": _number(r["p99"], 1)}
            for r in latency.to_dict("records")
        ],
        "errors": [
            {
                "service": r["service"],
                "namespace": r["namespace"],
                "cluster": r["cluster"],
                "error_ratio": _number(r["ratio_5xx"], 6),
                "requests": int(r["requests"]),
            }
            for r in errors.to_dict("records")
        ],
    }


def top_services(summary: pd.DataFrame, column: str, limit: int) -> list[tuple[str, str, str]]:
    """(cluster, namespace, service) of the `limit` worst services by `column`."""
    rows = worst(summary, column, limit)
    return list(zip(rows["cluster"], rows["namespace"], rows["service"], strict=False))


def edge_table(latency: pd.DataFrame, traffic: pd.DataFrame) -> pd.DataFrame:
    """Per edge over the window: request rate, p99 and error ratios, busiest first."""
    keys = ["cluster", "source_namespace", "source_workload", "namespace", "service"]
    table = traffic.merge(latency[keys + ["p99"]], on=keys, how="outer")
    return table.sort_values(["rps", "service"], ascending=[False, True], ignore_index=True)


def series_label(frame: pd.DataFrame) -> pd.Series:
    """A legend label per row: cluster/namespace/service, with the caller for edges."""
    label = frame["cluster"] + "/" + frame["namespace"] + "/" + frame["service"]
    if "source_workload" in frame:
        label = frame["source_workload"] + " → " + label
    return label
