"""Investigating a service: symptoms, the walk down its dependencies, the cause, on meshes built for it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from services.config import SourceSettings
from services.mesh.graph import build_graph
from services.mesh.graph_view import to_dot
from services.mesh.investigate import investigate
from services.sources.base import Filters
from services.sources.demo import DemoSource
from services.timewindow import Window, iso
from tests import scenarios as sc
from tests.conftest import ANCHOR, oncall

WINDOW = Window(ANCHOR - timedelta(hours=3), ANCHOR)
CHAIN = [("ingress", "checkout", 20), ("checkout", "payments", 20), ("payments", "fraud-scoring", 20), ("checkout", "cart", 20)]


def source(spec: dict) -> DemoSource:
    return DemoSource(SourceSettings(demo_now=iso(ANCHOR)), spec=spec)


def test_a_slow_service_two_hops_down_is_the_cause():
    spec = sc.mesh(CHAIN, [sc.slow("fraud-scoring", -120, -80, 45)], base_ms={"fraud-scoring": 40})
    found = investigate(source(spec), WINDOW, "checkout", step=60)
    d = found.to_dict()
    assert set(d) >= {"service", "namespace", "window", "symptoms", "likely_cause", "path", "alerts"}
    assert set(d["window"]) == {"from", "to"}
    assert d["path"] == ["checkout", "payments", "fraud-scoring"]
    assert d["likely_cause"]["service"] == "fraud-scoring" and d["likely_cause"]["kind"] == "latency"
    assert d["symptoms"][0]["kind"] == "latency" and set(d["symptoms"][0]) >= {"kind", "start", "end", "peak", "baseline"}
    start = found.symptoms[0].start
    assert ANCHOR - timedelta(minutes=125) <= start <= ANCHOR - timedelta(minutes=115)
    assert "fraud-scoring's own p99 rose" in d["likely_cause"]["evidence"] and d["confidence"] == "high"
    # The deepest degraded service is its own cause.
    assert investigate(source(spec), WINDOW, "fraud-scoring", step=60).to_dict()["path"] == ["fraud-scoring"]


def test_a_callers_circuit_breaker_is_blamed_not_the_caller():
    edges = [("ingress", "web", 50), ("web", "cart", 30), ("web", "search", 30)]
    spec = sc.mesh(edges, [sc.refused("web", "cart", -90, -60, 0.25, "UO", caller_5xx=0.15)])
    web = investigate(source(spec), WINDOW, "web", step=60).to_dict()
    assert web["symptoms"][0]["kind"] == "errors" and web["symptoms"][0]["seen_by"] == "server"  # web answered 500
    cause = web["likely_cause"]
    assert cause["kind"] == "connection_pool" and cause["service"] == "cart" and cause["response_flags"] == ["UO"]
    assert cause["caller"] == "web" and "never reached cart" in cause["evidence"]
    assert web["path"] == ["web", "cart"]
    cart = investigate(source(spec), WINDOW, "cart", step=60).to_dict()  # cart answered fine; its caller saw 503 UO
    assert cart["symptoms"][0]["seen_by"] == "callers" and cart["likely_cause"]["kind"] == "connection_pool"


def test_application_errors_are_followed_down_to_the_failing_service():
    edges = [("ingress", "api", 40), ("api", "orders", 40), ("orders", "stock", 40)]
    answered = [
        sc.failing("istio-ingressgateway", "api", -100, -70, 0.15),  # each caller passes the failure up
        sc.failing("api", "orders", -100, -70, 0.2),
        sc.failing("orders", "stock", -100, -70, 0.3),
    ]
    d = investigate(source(sc.mesh(edges, answered)), WINDOW, "api", step=60).to_dict()
    assert d["path"] == ["api", "orders", "stock"] and d["likely_cause"]["kind"] == "errors"
    assert d["likely_cause"]["service"] == "stock"


def test_a_healthy_service_and_a_service_not_in_the_window():
    spec = sc.mesh(CHAIN, [sc.slow("fraud-scoring", -120, -80, 45)])
    cart = investigate(source(spec), WINDOW, "cart", step=60).to_dict()
    assert cart["healthy"] and cart["symptoms"] == [] and cart["likely_cause"] is None and cart["path"] == ["cart"]
    ghost = investigate(source(spec), WINDOW, "ghost", step=60).to_dict()
    assert not ghost["found"] and ghost["likely_cause"] is None and "no traffic" in ghost["notes"][0]


def test_cycles_and_fan_in_do_not_break_the_walk():
    edges = [("ingress", "a", 20), ("a", "b", 20), ("b", "a", 5), ("b", "c", 20), ("ingress", "d", 20), ("d", "c", 20)]
    spec = sc.mesh(edges, [sc.slow("c", -120, -80, 30)])
    for start in ("a", "b", "d"):
        d = investigate(source(spec), WINDOW, start, step=60).to_dict()
        assert d["likely_cause"]["service"] == "c", start
        assert len(d["path"]) == len(set(d["path"]))  # never walks back round the cycle


def test_one_reporter_only_is_said_and_still_works():
    spec = sc.mesh(CHAIN, [sc.slow("fraud-scoring", -120, -80, 45)], reporters=("destination",))
    d = investigate(source(spec), WINDOW, "checkout", step=60).to_dict()
    assert d["reporters"] == ["destination"] and d["likely_cause"]["service"] == "fraud-scoring"
    assert any("one side only" in n for n in d["notes"])


def test_the_graph_shows_both_reporters_and_escapes_names():
    spec = sc.mesh([("ingress", "web", 50), ("web", 'we"ird', 30)], [sc.refused("web", 'we"ird', -90, -60, 0.25)])
    graph = build_graph(source(spec), WINDOW, Filters())
    edge = next(e for e in graph.edges if e.source_workload == "web")
    assert edge.flags.get("UO", 0) > 0 and edge.client_ratio_5xx > edge.ratio_5xx  # the caller saw what the server never did
    dot = to_dot(graph)
    assert 'we\\"ird' in dot and "->" in dot


@pytest.mark.integration
def test_investigate_cli_on_a_real_prometheus(prometheus_url):
    """The demo backfilled into Prometheus (both reporters): the ledger chain and the cart pool."""
    env = {"PROMETHEUS_URL": prometheus_url}
    window = ["--from", iso(ANCHOR - timedelta(hours=4)), "--to", iso(ANCHOR)]
    slow = json.loads(oncall("investigate", "checkout", "--json", *window, env=env).stdout)
    assert slow["path"] == ["checkout", "payments", "ledger"] and slow["likely_cause"]["kind"] == "latency"
    errors = json.loads(oncall("investigate", "frontend", "--cluster", "prod-seoul", "--json", *window, env=env).stdout)
    assert errors["likely_cause"]["kind"] == "connection_pool" and errors["likely_cause"]["response_flags"][0] == "UO"
    assert errors["reporters"] == ["destination", "source"]
    assert any(a["alertname"] == "Istio5xxRateHigh" for a in errors["alerts"])
    missing = oncall("investigate", "ghost", "--json", *window, env=env)
    assert missing.returncode == 1 and json.loads(missing.stdout)["found"] is False


def test_investigate_cli_on_the_demo_prints_the_conclusion():
    out = oncall(
        "investigate",
        "checkout",
        "--from",
        iso(ANCHOR - timedelta(hours=4)),
        "--to",
        iso(ANCHOR),
        env={"ONCALL_DEMO_NOW": iso(ANCHOR)},
    )
    assert out.returncode == 0, out.stderr
    assert "path: checkout -> payments -> ledger" in out.stdout and "likely cause (high confidence)" in out.stdout


def test_an_unreachable_source_is_unknown_not_no_traffic():
    out = oncall("investigate", "checkout", env={"PROMETHEUS_URL": "http://127.0.0.1:9", "ONCALL_TIMEOUT_SECONDS": "2"})
    assert out.returncode == 1 and "could not be read" in out.stderr and "unreachable" in out.stderr
    assert "no traffic" not in out.stdout + out.stderr and "Traceback" not in out.stderr
