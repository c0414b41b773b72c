"""Each page, headless with Streamlit's AppTest, on the demo and on a real or broken Prometheus."""

from __future__ import annotations

import base64
import html
import json
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.config import SourceSettings
from services.sources.base import Filters
from services.sources.demo import DemoSource
from services.timewindow import Window, iso
from tests.conftest import ANCHOR

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("PROMETHEUS_URL", "ALERTMANAGER_URL", "ONCALL_STEP_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONCALL_DEMO_NOW", iso(ANCHOR))


def open_page(page: str | None = None, preset: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    if page:
        at.switch_page(page).run()
    if preset:
        at.selectbox(key="preset").select(preset).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frames(at: AppTest) -> list:
    return [d.value.data if hasattr(d.value, "data") else d.value for d in at.dataframe]


def test_overview_on_the_demo():
    at = open_page()
    shown = metrics(at)
    assert shown["Firing now"] == "2"
    # The source's own numbers (not the CLI's rounded ones, which would round twice).
    source, window = DemoSource(SourceSettings(demo_now=iso(ANCHOR))), Window(ANCHOR - timedelta(hours=1), ANCHOR)
    errors = source.traffic_summary(window, Filters(), "service").sort_values("ratio_5xx", ascending=False)
    assert errors["service"].iloc[0] == "recommendation"  # crash-looping for the last 35 minutes
    assert shown["Worst 5xx ratio"] == f"{errors['ratio_5xx'].iloc[0]:.2%}"
    assert shown["Worst p99"] == f"{source.latency_summary(window, Filters(), 'service')['p99'].max():,.0f} ms"
    assert charts(at) == 1
    assert "KubePodCrashLooping" in " ".join(m.value for m in at.markdown)
    offenders = frames(at)[0]
    assert offenders["alertname"].iloc[0] == "IstioP99LatencyHigh"
    assert not at.error


def test_overview_worst_p99_over_the_incident():
    at = open_page(preset="Last 6 hours")
    source = DemoSource(SourceSettings(demo_now=iso(ANCHOR)))
    worst = source.latency_summary(Window(ANCHOR - timedelta(hours=6), ANCHOR), Filters(), "service").sort_values("p99").iloc[-1]
    assert worst["service"] == "checkout"  # it waited for ledger through payments
    assert metrics(at)["Worst p99"] == f"{worst['p99']:,.0f} ms"
    assert "checkout" in " ".join(c.value for c in at.caption)


def test_alerts_page_flapping_and_likely_false():
    at = open_page("pages/alerts.py", preset="Last 24 hours")
    assert charts(at) == 1
    tables = frames(at)
    flapping = next(t for t in tables if "transitions" in t.columns)
    # Flapping is rapid change: the search p99 alert changes state 10 times within an hour, while
    # the repeated short alerts spread over the day are only likely false.
    assert flapping["alertname"].iloc[0] == "IstioP99LatencyHigh" and flapping["service"].iloc[0] == "search"
    assert flapping["transitions"].iloc[0] == 10
    assert "ErrorLogRateHigh" not in set(flapping["alertname"])
    assert "keep_firing_for" in flapping["hint"].iloc[0]
    likely = next(t for t in tables if "count" in t.columns)
    assert {"ErrorLogRateHigh", "KubeContainerRestarted"} <= set(likely["alertname"])
    assert "raise `for:`" in likely["hint"].iloc[0]


def test_alerts_page_severity_filter_narrows_the_tables():
    at = open_page("pages/alerts.py", preset="Last 6 hours")
    at.multiselect(key="sev").select("critical").run()
    assert not at.exception
    firing = next(t for t in frames(at) if "since" in t.columns) if any("since" in t.columns for t in frames(at)) else None
    assert firing is None  # nothing critical is still firing
    by_severity = next(t for t in frames(at) if "severity" in t.columns and "firings" in t.columns)
    assert by_severity["severity"].tolist() == ["critical"]


def test_mesh_page_charts_incidents_and_edges():
    at = open_page("pages/mesh.py", preset="Last 6 hours")
    assert charts(at) == 2
    tables = frames(at)
    found = next(t for t in tables if "peak" in t.columns)
    assert {("latency", "payments"), ("5xx", "inventory")} <= set(zip(found["kind"], found["service"], strict=False))
    edges = next(t for t in tables if "incident" in t.columns)
    flagged = set(zip(edges[edges["incident"]]["source_workload"], edges[edges["incident"]]["service"], strict=False))
    assert ("cart", "inventory") in flagged and ("payments", "ledger") in flagged
    assert ("istio-ingressgateway", "frontend") in flagged  # frontend answered 500 while its calls to cart overflowed
    assert ("frontend", "auth") not in flagged and ("frontend", "catalog") not in flagged


def chart_series(at: AppTest) -> list[list[str]]:
    """The legend names of each plotly chart on the page."""
    return [[trace.get("name") for trace in json.loads(c.proto.spec)["data"]] for c in at.get("plotly_chart")]


def test_mesh_page_top_n_and_picked_services():
    at = open_page("pages/mesh.py", preset="Last 6 hours")
    at.slider(key="top_n").set_value(2).run()
    p99, errors = chart_series(at)
    assert set(p99) == {"prod-seoul/shop/checkout", "prod-seoul/payments/payments"}  # the ledger incident
    assert "prod-seoul/shop/inventory" in errors  # the 503 burst: top by its own measure
    at.multiselect(key="picked").select("prod-seoul/payments/ledger").run()
    assert not at.exception
    assert chart_series(at) == [["prod-seoul/payments/ledger"], ["prod-seoul/payments/ledger"]]


def test_custom_range_with_from_after_to_is_explained_and_the_page_still_works():
    at = open_page()
    at.selectbox(key="preset").select("Custom range").run()
    start = ANCHOR.replace(tzinfo=None)
    at.datetime_input(key="custom_from").set_value(start).run()
    at.datetime_input(key="custom_to").set_value(start - timedelta(hours=1)).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "is not before its end" in errors and "Showing the last hour instead" in errors
    assert metrics(at)["Firing now"] == "2" and charts(at) == 1


@pytest.mark.parametrize("page", [None, "pages/alerts.py", "pages/mesh.py"])
def test_unreachable_prometheus_is_named_and_the_page_still_renders(monkeypatch, page):
    monkeypatch.setenv("PROMETHEUS_URL", "http://127.0.0.1:9")
    at = open_page(page)
    messages = " ".join(e.value for e in at.error) + " ".join(e.value for e in at.sidebar.error)
    assert "http://127.0.0.1:9 is unreachable" in messages
    assert at.title  # the page itself rendered


def test_bad_configuration_falls_back_to_the_demo(monkeypatch):
    monkeypatch.setenv("ONCALL_STEP_SECONDS", "abc")
    at = open_page()
    assert "ONCALL_STEP_SECONDS='abc' is not a positive number" in " ".join(e.value for e in at.error)
    assert metrics(at)["Firing now"] == "2"


@pytest.mark.integration
@pytest.mark.parametrize("page", [None, "pages/alerts.py", "pages/mesh.py"])
def test_pages_on_a_real_prometheus(monkeypatch, prometheus_url, page):
    monkeypatch.setenv("PROMETHEUS_URL", prometheus_url)
    at = open_page(page, preset="Last 3 hours")
    assert not at.error, [e.value for e in at.error]
    assert "Prometheus 2." in " ".join(s.value for s in at.sidebar.success)
    assert charts(at) >= 1


@pytest.mark.integration
def test_alerts_page_shows_alertmanager(monkeypatch, alertmanager_url):
    monkeypatch.setenv("ALERTMANAGER_URL", alertmanager_url)
    at = open_page("pages/alerts.py")
    assert "Alertmanager" in " ".join(s.value for s in at.sidebar.success)
    assert any("Silences" in m.value for m in at.markdown)


def test_auto_refresh_says_when_it_last_read():
    at = open_page("pages/alerts.py")
    assert not any(c.value.startswith("Auto-refresh every") for c in at.caption)
    at.toggle(key="auto_refresh").set_value(True).run()
    assert not at.exception
    assert at.radio(key="refresh_every").value == "1 min"
    assert any(c.value.startswith("Auto-refresh every 60 s · updated ") for c in at.caption)
    assert charts(at) == 1 and at.selectbox(key="preset").value == "Last 1 hour"


@pytest.mark.integration
def test_unknown_cluster_label_is_named_in_the_sidebar(monkeypatch, prometheus_url):
    monkeypatch.setenv("PROMETHEUS_URL", prometheus_url)
    monkeypatch.setenv("ONCALL_CLUSTER_LABEL", "kube_cluster")
    at = open_page()
    captions = " ".join(w.value for w in at.sidebar.warning)
    assert "No clusters found on the mesh metrics (label `kube_cluster`, set ONCALL_CLUSTER_LABEL)" in captions


@pytest.mark.integration
def test_a_window_without_data_says_so(monkeypatch, prometheus_url):
    monkeypatch.setenv("PROMETHEUS_URL", prometheus_url)
    at = open_page()
    at.selectbox(key="preset").select("Custom range").run()
    month_ago = (ANCHOR - timedelta(days=30)).replace(tzinfo=None)
    at.datetime_input(key="custom_from").set_value(month_ago).run()
    at.datetime_input(key="custom_to").set_value(month_ago + timedelta(hours=2)).run()
    assert not at.exception and not at.error
    assert "No alerts in this window" in " ".join(i.value for i in at.info)
    assert metrics(at)["Worst p99"] == "no data"


def shown_graph(at: AppTest) -> str:
    """The service graph as the page shows it: the SVG laid out on the server, its text unescaped."""
    url = at.get("image")[0].proto.imgs[0].url
    assert url.startswith("data:image/svg+xml;base64,"), url[:40]
    return html.unescape(base64.b64decode(url.split(",", 1)[1]).decode())


def test_mesh_page_graph_and_the_chosen_services_investigation():
    at = open_page("pages/mesh.py", preset="Last 6 hours")
    graph = shown_graph(at)
    assert "<title>prod-seoul/web/frontend</title>" in graph  # the unhealthiest services by default
    assert "frontend" in graph and "p99" in graph  # node labels
    at.selectbox(key="graph_service").select("prod-seoul/shop/checkout").run()
    assert not at.exception
    cause = " ".join(e.value for e in at.error)
    assert "Likely cause" in cause and "ledger" in cause and "checkout → payments → ledger" in cause
    focused = shown_graph(at)
    assert "<title>prod-seoul/payments/ledger</title>" in focused and 'stroke="#1f77b4"' in focused  # the path, highlighted
    at.selectbox(key="graph_service").select("prod-seoul/notify/notification").run()
    assert any("looks healthy" in s.value for s in at.success)


def test_without_graphviz_on_the_server_the_browser_lays_the_graph_out(monkeypatch, tmp_path):
    from services.mesh import graph_render

    monkeypatch.setenv("PATH", str(tmp_path))  # a server without Debian's graphviz
    graph_render.clear()
    try:
        at = open_page("pages/mesh.py", preset="Last 6 hours")
    finally:
        graph_render.clear()
    assert not at.get("image")
    dot = at.get("graphviz_chart")[0].proto.spec
    assert "digraph mesh" in dot and '"prod-seoul/web/frontend"' in dot
