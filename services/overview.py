"""What the pages and the CLI show, assembled from a source: one place, no Streamlit."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TypedDict

import pandas as pd

from services.alerts.analysis import analyse_alerts, firing_records, flapping_records, likely_false_records
from services.config import AlertSettings
from services.mesh.incidents import ERROR_RATIO_LIMIT, LATENCY_FLOOR_MS, incidents
from services.sources.base import EDGE_KEYS, P99, SERVICE_KEYS, Filters, Grouping, MetricSource, SourceError, empty_frame
from services.sources.reads import run_all
from services.timewindow import Window, iso, nice_step


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


Key = tuple[str, ...]  # (cluster, namespace, service), and (..., source_workload, source_namespace) for an edge
# A chart is about 900 px wide in the wide layout; a point every 6 px is as fine as the eye reads
# it (24 h -> 10 min), and a finer step multiplies what Prometheus evaluates for nothing seen.
CHART_WIDTH_PX = 900
PX_PER_POINT = 6
# p99 at or above the incident floor means at least 1% of requests were slower than it.
SLOW_SHARE = 0.01
# Incidents are looked for at no coarser than Istio's usual 5-minute rate window, whatever the
# chart's step: a 10-minute incident in a 24 h window still has the two points it needs.
INCIDENT_STEP_MAX = 300


def incident_step(step: int) -> int:
    """The step incidents are found at: the page's, but never coarser than INCIDENT_STEP_MAX."""
    return min(step, INCIDENT_STEP_MAX)


def chart_step(window: Window, step: int, width_px: int = CHART_WIDTH_PX) -> int:
    """Seconds between a chart's points: one per PX_PER_POINT pixels, never finer than `step`."""
    return max(step, nice_step(window.seconds / max(width_px // PX_PER_POINT, 1)))


def mesh_summaries(source: MetricSource, window: Window, step: int, filters: Filters) -> dict[str, pd.DataFrame | SourceError]:
    """The Mesh page's first, cheap reads: latency and traffic over the window per service and
    edge (rankings and the edge table; the service graph asks the same, so through the shared
    cache it reads them once), and each edge's peaks (incident candidates, see mesh_selection)."""
    return read_concurrently(
        {
            "latency_summary": lambda: source.latency_summary(window, filters, "service"),
            "traffic_summary": lambda: source.traffic_summary(window, filters, "service"),
            "edge_latency_summary": lambda: source.latency_summary(window, filters, "edge"),
            "edge_traffic_summary": lambda: source.traffic_summary(window, filters, "edge"),
            "edge_peaks": lambda: source.peak_summary(window, incident_step(step), filters, "edge", LATENCY_FLOOR_MS),
        }
    )


@dataclass(frozen=True)
class MeshSelection:
    """Which curves the Mesh page reads: the shown services, and those whose peaks may be incidents."""

    latency: tuple[Key, ...] = ()  # drawn on the p99 chart
    errors: tuple[Key, ...] = ()  # drawn on the 5xx chart
    slow: tuple[Key, ...] = ()  # services whose p99 may have crossed the incident floor
    failing: tuple[Key, ...] = ()  # services whose 5xx ratio crossed the incident limit
    slow_edges: tuple[Key, ...] = ()
    failing_edges: tuple[Key, ...] = ()

    def candidates(self) -> MeshSelection:
        """The incident candidates only: what incidents depend on, whichever services are drawn."""
        return replace(self, latency=(), errors=())


def _flagged(peaks: pd.DataFrame | SourceError, column: str, limit: float, keys: list[str]) -> tuple[Key, ...]:
    """`keys` of the rows whose peak reached `limit` (a service once however many of its edges did)."""
    if isinstance(peaks, SourceError) or peaks.empty:
        return ()
    hit = peaks[peaks[column] >= limit]
    return tuple(sorted(set(zip(*(hit[k] for k in keys), strict=True))))


def mesh_selection(parts: dict[str, pd.DataFrame | SourceError], top_n: int, picked: tuple[Key, ...]) -> MeshSelection:
    """The picked services (or the top N by p99 and by 5xx ratio) and the incident candidates.

    A candidate had, at some step of the window, at least 1% of its requests slower than the
    latency floor (p99 over it) or a 5xx ratio over the limit; only a candidate can hold an
    incident, so only candidates' curves are read at the incident step, the rest never.

    A service's candidates come from its edges' peaks, which the edge table needs anyway: at
    each step a service's slow and 5xx shares are its edges' shares weighted by their requests,
    never above the highest of them. So a service none of whose edges reached a limit did not
    reach it either, and no incident is lost; a service whose edges did may still not (its curve
    is read and says so). One peak read less than asking the services too."""
    by_p99, by_5xx, edge_peaks = parts["latency_summary"], parts["traffic_summary"], parts["edge_peaks"]

    def shown(summary: pd.DataFrame | SourceError, column: str) -> tuple[Key, ...]:
        if picked:
            return tuple(sorted(picked))
        return tuple(top_services(summary, column, top_n)) if not isinstance(summary, SourceError) else ()

    return MeshSelection(
        latency=shown(by_p99, "p99"),
        errors=shown(by_5xx, "ratio_5xx"),
        slow=_flagged(edge_peaks, "peak_slow_ratio", SLOW_SHARE, SERVICE_KEYS),
        failing=_flagged(edge_peaks, "peak_ratio_5xx", ERROR_RATIO_LIMIT, SERVICE_KEYS),
        slow_edges=_flagged(edge_peaks, "peak_slow_ratio", SLOW_SHARE, EDGE_KEYS),
        failing_edges=_flagged(edge_peaks, "peak_ratio_5xx", ERROR_RATIO_LIMIT, EDGE_KEYS),
    )


def _only(frame: pd.DataFrame, chosen: tuple[Key, ...], keys: list[str]) -> pd.DataFrame:
    wanted = set(chosen)
    return frame[[k in wanted for k in zip(*(frame[c] for c in keys), strict=True)]].reset_index(drop=True)


def mesh_curves(
    source: MetricSource, window: Window, step: int, filters: Filters, selection: MeshSelection
) -> dict[str, pd.DataFrame | SourceError]:
    """The Mesh page's curves: the shown services at the chart's step, and the incident
    candidates (services and edges) at the incident step, each read for those services only."""
    coarse, fine = chart_step(window, step), incident_step(step)

    def read(chosen: tuple[Key, ...], by: Grouping, what: str, at: int) -> Callable[[], pd.DataFrame]:
        keys = SERVICE_KEYS if by == "service" else EDGE_KEYS

        def job() -> pd.DataFrame:
            if not chosen:  # no service: no query (an empty name filter would read them all)
                return empty_frame(["time", *keys, "p99" if what == "latency" else "ratio_5xx"])
            narrowed = replace(filters, services=tuple(sorted({k[2] for k in chosen})))
            if what == "latency":
                frame = source.latency_series(window, at, narrowed, by, quantiles=P99)
            else:
                frame = source.traffic_series(window, at, narrowed, by)
            return _only(frame, chosen, keys)

        return job

    return read_concurrently(
        {
            "latency": read(selection.latency, "service", "latency", coarse),
            "traffic": read(selection.errors, "service", "traffic", coarse),
            "incident_latency": read(selection.slow, "service", "latency", fine),
            "incident_traffic": read(selection.failing, "service", "traffic", fine),
            "edge_latency": read(selection.slow_edges, "edge", "latency", fine),
            "edge_traffic": read(selection.failing_edges, "edge", "traffic", fine),
        }
    )


def mesh_incidents(
    source: MetricSource, window: Window, step: int, filters: Filters, selection: MeshSelection
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The incidents of the services and of the edges, found on the candidates' curves (through
    services.sources.cache.derived the shared cache keeps them for the page's reruns and the
    chat). A candidate's curve that could not be read raises its SourceError."""
    curves = mesh_curves(source, window, step, filters, selection.candidates())
    parts = [curves[name] for name in ("incident_latency", "incident_traffic", "edge_latency", "edge_traffic")]
    for part in parts:
        if isinstance(part, SourceError):
            raise part
    latency, traffic, edge_latency, edge_traffic = (p for p in parts if isinstance(p, pd.DataFrame))
    fine = incident_step(step)
    return incidents(latency, traffic, fine), incidents(edge_latency, edge_traffic, fine)


def mesh_data(
    source: MetricSource, window: Window, step: int, filters: Filters, top_n: int = 5
) -> dict[str, pd.DataFrame | SourceError]:
    """Both Mesh page phases at once, for the benchmark and tests (the page calls each phase itself)."""
    summaries = mesh_summaries(source, window, step, filters)
    return {**summaries, **mesh_curves(source, window, step, filters, mesh_selection(summaries, top_n, ()))}


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
