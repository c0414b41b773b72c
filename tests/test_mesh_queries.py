"""The Mesh page reads only what it shows, and still finds every incident."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from services.config import SourceSettings
from services.mesh.incidents import ERROR_RATIO_LIMIT, LATENCY_FLOOR_MS, incidents
from services.overview import SLOW_SHARE, chart_step, incident_step, mesh_data, mesh_selection, mesh_summaries
from services.sources.base import SERVICE_KEYS, Filters
from services.sources.demo import DemoSource
from services.sources.prometheus import PrometheusSource
from services.timewindow import Window, auto_step
from tests.conftest import record_queries

KINDS = ["kind", "cluster", "namespace", "service", "source_workload", "start", "end", "peak"]


def everything_at(source, window: Window, step: int, by: str) -> pd.DataFrame:
    """Incidents as the page found them before: every curve of every service (or edge)."""
    return incidents(source.latency_series(window, step, Filters(), by), source.traffic_series(window, step, Filters(), by), step)


def found_by_the_page(parts: dict, step: int, edges: bool = False) -> pd.DataFrame:
    names = ("edge_latency", "edge_traffic") if edges else ("incident_latency", "incident_traffic")
    return incidents(parts[names[0]], parts[names[1]], incident_step(step))


def kinds(found: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(found["kind"], found["service"], strict=True))


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    order = KINDS[:6]
    pd.testing.assert_frame_equal(
        a[KINDS].sort_values(order, ignore_index=True), b[KINDS].sort_values(order, ignore_index=True), check_dtype=False
    )


@pytest.mark.parametrize("hours", [1, 6])
def test_no_incident_is_lost_by_reading_candidates_only(demo_settings, anchor, hours):
    source = DemoSource(demo_settings)
    window = Window(anchor - timedelta(hours=hours), anchor)
    step = auto_step(window)
    parts = mesh_data(source, window, step, Filters(), top_n=2)
    same(found_by_the_page(parts, step), everything_at(source, window, step, "service"))
    same(found_by_the_page(parts, step, edges=True), everything_at(source, window, step, "edge"))
    # Two services per chart: the curves of the others are not read.
    for name, column in (("latency", "p99"), ("traffic", "ratio_5xx")):
        assert len(parts[name].groupby(SERVICE_KEYS)) == 2 and column in parts[name]


def test_a_day_finds_incidents_the_coarse_step_would_miss(demo_settings, anchor):
    """24 h: the chart is drawn every 10 min, incidents are looked for every 5 min."""
    source = DemoSource(demo_settings)
    window = Window(anchor - timedelta(hours=24), anchor)
    step = auto_step(window)
    parts = mesh_data(source, window, step, Filters())
    assert chart_step(window, step) == 600 and incident_step(step) == 300
    found = kinds(found_by_the_page(parts, step))
    assert kinds(everything_at(source, window, step, "service")) <= found
    # The scenario's own incidents: ledger slowed 22x (its callers with it), the cart -> inventory 503 burst.
    assert {("latency", "ledger"), ("latency", "payments"), ("5xx", "inventory")} <= found
    drawn = pd.Series(sorted(parts["latency"]["time"].unique()))
    assert drawn.diff().min() == pd.Timedelta(seconds=600)


@pytest.mark.parametrize("hours", [1, 3, 12, 24])
def test_services_whose_own_peaks_reach_a_limit_are_candidates_through_their_edges(demo_settings, anchor, hours):
    """The candidates come from the edges' peaks alone; a service's own peak over a limit must
    always be among them (its shares are its edges' shares weighted by requests)."""
    source = DemoSource(demo_settings)
    for back in range(0, 24 * 60, 181):
        end = anchor - timedelta(minutes=back)
        window = Window(end - timedelta(hours=hours), end).aligned()
        step = auto_step(window)
        selection = mesh_selection(mesh_summaries(source, window, step, Filters()), 0, ())
        own = source.peak_summary(window, incident_step(step), Filters(), "service", LATENCY_FLOOR_MS)
        slow = set(zip(*(own[own["peak_slow_ratio"] >= SLOW_SHARE][k] for k in SERVICE_KEYS), strict=True))
        failing = set(zip(*(own[own["peak_ratio_5xx"] >= ERROR_RATIO_LIMIT][k] for k in SERVICE_KEYS), strict=True))
        assert slow <= set(selection.slow) and failing <= set(selection.failing), window
        assert len(selection.slow) == len(set(selection.slow)), "a service with several hot edges is read once"


def test_chart_step_follows_the_chart_width():
    day = Window(pd.Timestamp("2026-12-01", tz="UTC").to_pydatetime(), pd.Timestamp("2026-12-02", tz="UTC").to_pydatetime())
    assert chart_step(day, 60) == 600  # 900 px, a point every 6 px: 150 points -> 10 min
    assert chart_step(day, 60, width_px=1800) == 300 and chart_step(day, 60, width_px=300) == 1800
    hour = Window(day.start, day.start + timedelta(hours=1))
    assert chart_step(hour, 60) == 60  # never finer than the page's step


@pytest.mark.integration
def test_on_prometheus_only_p99_and_the_shown_services_are_queried(prometheus_url, demo_settings, anchor):
    prom = PrometheusSource(SourceSettings(prometheus_url=prometheus_url))
    queries = record_queries(prom)
    window = Window(anchor - timedelta(hours=4), anchor - timedelta(minutes=30))  # the latency incident
    step = auto_step(window)
    parts = mesh_data(prom, window, step, Filters(), top_n=3)
    quantiles = [q for q in queries if "histogram_quantile" in q]
    assert quantiles and all(q.startswith("histogram_quantile(0.99,") for q in quantiles)  # never p50 or p90
    curves = [q for q in queries if "histogram_quantile" in q and "rate(" in q]
    assert curves and all("destination_service_name=~" in q for q in curves)  # named services only
    peaks = [q for q in queries if q.startswith("max_over_time(")]
    assert len(peaks) == 2 and all("source_workload" in q for q in peaks)  # by edge only: services' come from them
    demo = DemoSource(demo_settings)
    same(found_by_the_page(parts, step), everything_at(demo, window, incident_step(step), "service"))
    assert {"ledger", "payments", "checkout"} <= set(found_by_the_page(parts, step)["service"])
