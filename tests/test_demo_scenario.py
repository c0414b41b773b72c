"""The bundled demo scenario holds the incidents it promises, deterministically."""

from datetime import timedelta

import pandas as pd

from services.mesh.incidents import incidents
from services.sources import openmetrics
from services.sources.base import Filters
from services.sources.demo import DemoSource
from services.sources.demo_scenario import build_scenario, generate, load_spec
from services.timewindow import Window


def test_scenario_size_and_shape(anchor):
    data = build_scenario(anchor)
    services = {(s.edge.cluster, s.edge.service) for s in data.edges}
    assert len({name for _, name in services}) >= 12
    assert {c for c, _ in services} == {"prod-seoul", "prod-tokyo"}
    assert len({s.edge.namespace for s in data.edges}) >= 4
    assert data.times[-1] - data.times[0] >= 24 * 3600


def test_same_anchor_same_samples(anchor):
    spec = load_spec()
    a, b = generate(spec, anchor), generate(spec, anchor)
    assert all((x.buckets == y.buckets).all() for x, y in zip(a.edges, b.edges, strict=False))
    assert a.alerts == b.alerts


def test_openmetrics_export_is_deterministic_and_terminated(anchor, tmp_path):
    data = build_scenario(anchor).last_hours(1)
    paths = [tmp_path / "a.om", tmp_path / "b.om"]
    for path in paths:
        with path.open("w") as out:
            openmetrics.write(data, out)
    text = paths[0].read_text()
    assert text == paths[1].read_text()
    assert text.endswith("# EOF\n")
    assert 'ALERTS{alertname="KubePodCrashLooping",alertstate="firing"' in text


def test_latency_incident_is_caused_by_a_slow_dependency(anchor, demo_settings):
    source = DemoSource(demo_settings)
    window = Window(anchor - timedelta(hours=4), anchor)
    edges = source.latency_series(window, 120, Filters(), "edge")
    traffic = source.traffic_series(window, 120, Filters(), "edge")
    found = incidents(edges, traffic, 120)
    latency = found[found["kind"] == "latency"]
    # payments is slow because its call to ledger is: the edge payments -> ledger shows it.
    assert ("payments", "ledger") in set(zip(latency["source_workload"], latency["service"], strict=False))
    assert ("checkout", "payments") in set(zip(latency["source_workload"], latency["service"], strict=False))
    peak = latency[latency["service"] == "payments"].iloc[0]
    assert peak["peak"] > 5 * peak["baseline"]


def test_5xx_bursts_are_on_their_edges_only(anchor, demo_settings):
    source = DemoSource(demo_settings)
    window = Window(anchor - timedelta(hours=4), anchor - timedelta(hours=1))
    found = incidents(None, source.traffic_series(window, 60, Filters(), "edge"), 60)
    # inventory answering 503s to cart, and frontend answering 500 to the ingress while its own
    # sidecar refuses its calls to cart (503 UO, seen only from the caller's side)
    assert list(zip(found["source_workload"], found["service"], strict=False)) == [
        ("cart", "inventory"),
        ("istio-ingressgateway", "frontend"),
    ]
    assert found["peak"].iloc[0] > 0.2
    caller_view = incidents(None, source.traffic_series(window, 60, Filters(), "edge", "source"), 60)
    assert ("frontend", "cart") in set(zip(caller_view["source_workload"], caller_view["service"], strict=False))
    assert ("frontend", "cart") not in set(zip(found["source_workload"], found["service"], strict=False))


def test_alert_story(anchor, demo_settings):
    source = DemoSource(demo_settings)
    day = source.alert_intervals(Window(anchor - timedelta(hours=24), anchor), Filters())
    names = set(day["alertname"])
    assert {"ErrorLogRateHigh", "KubeJobFailed", "KubeContainerRestarted", "CPUThrottlingHigh"} <= names
    firing = day[day["ongoing"]]
    assert "KubePodCrashLooping" in set(firing["alertname"])
    flappy = day[(day["alertname"] == "IstioP99LatencyHigh") & (day["service"] == "search")]
    assert len(flappy) >= 6
    short = day[~day["ongoing"] & ((day["end"] - day["start"]) <= pd.Timedelta(minutes=3))]
    assert short["alertname"].value_counts().max() >= 3
