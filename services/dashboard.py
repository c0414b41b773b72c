"""What the pages and the CLI show, assembled from a source: one place, no Streamlit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from services import alert_analysis as aa
from services.config import Settings
from services.sources.alertmanager import AlertmanagerClient
from services.sources.base import Filters, MetricSource
from services.sources.demo import DemoSource
from services.sources.prometheus import PrometheusSource
from services.timewindow import Window, iso, parse_time, utcnow


def make_source(settings: Settings) -> MetricSource:
    """Prometheus when PROMETHEUS_URL is set, otherwise the bundled demo."""
    return PrometheusSource(settings) if settings.prometheus_url else DemoSource(settings)


def now_for(settings: Settings) -> datetime:
    """The dashboard's "now": real time, or the frozen demo clock (ONCALL_DEMO_NOW) on the demo."""
    if settings.demo_now and not settings.prometheus_url:
        return parse_time(settings.demo_now)
    return utcnow()


def make_alertmanager(settings: Settings) -> AlertmanagerClient | None:
    return AlertmanagerClient(settings) if settings.alertmanager_url else None


@dataclass
class AlertView:
    intervals: pd.DataFrame
    firing: pd.DataFrame
    flapping: pd.DataFrame
    likely_false: pd.DataFrame
    offenders: pd.DataFrame


def analyse_alerts(intervals: pd.DataFrame, window: Window, settings: Settings) -> AlertView:
    return AlertView(
        intervals=intervals,
        firing=aa.firing_now(intervals),
        flapping=aa.flapping(intervals, window, settings.flap_min_transitions),
        likely_false=aa.likely_false(
            intervals, window, settings.false_alert_max_minutes, settings.false_alert_min_count
        ),
        offenders=aa.top_offenders(intervals, window),
    )


def worst(frame: pd.DataFrame, column: str, limit: int | None = None) -> pd.DataFrame:
    """Rows with a value in `column`, highest first."""
    out = frame.dropna(subset=[column]).sort_values([column, "service"], ascending=[False, True], ignore_index=True)
    return out if limit is None else out.head(limit)


def _number(value: float, digits: int) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def status_report(source: MetricSource, window: Window, filters: Filters, settings: Settings) -> dict:
    """The overview of a window in the shape `oncall status --json` prints."""
    view = analyse_alerts(source.alert_intervals(window, filters), window, settings)
    latency = worst(source.latency_summary(window, filters, "service"), "p99")
    errors = worst(source.traffic_summary(window, filters, "service"), "ratio_5xx")
    return {
        "window": window.to_dict(),
        "source": source.name,
        "alerts": {
            "firing": [
                {"alertname": r["alertname"], "labels": r["labels"], "since": iso(r["since"].to_pydatetime())}
                for r in view.firing.to_dict("records")
            ],
            "flapping": [
                {"alertname": r["alertname"], "labels": r["labels"], "transitions": int(r["transitions"]), "hint": r["hint"]}
                for r in view.flapping.to_dict("records")
            ],
            "likely_false": [
                {"alertname": r["alertname"], "labels": r["labels"], "count": int(r["count"]), "hint": r["hint"]}
                for r in view.likely_false.to_dict("records")
            ],
            "intervals": len(view.intervals),
        },
        "latency": [
            {"service": r["service"], "namespace": r["namespace"], "cluster": r["cluster"], "p99_ms": _number(r["p99"], 1)}
            for r in latency.to_dict("records")
        ],
        "errors": [
            {
                "service": r["service"], "namespace": r["namespace"], "cluster": r["cluster"],
                "error_ratio": _number(r["ratio_5xx"], 6), "requests": int(r["requests"]),
            }
            for r in errors.to_dict("records")
        ],
    }


def top_services(summary: pd.DataFrame, column: str, limit: int) -> list[tuple[str, str, str]]:
    """(cluster, namespace, service) of the `limit` worst services by `column`."""
    rows = worst(summary, column, limit)
    return list(zip(rows["cluster"], rows["namespace"], rows["service"]))


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
