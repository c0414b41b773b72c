"""The Prometheus source against a real Prometheus backfilled with the demo: same numbers."""

from __future__ import annotations

import http.server
import json
import threading
import time
from datetime import timedelta

import pandas as pd
import pytest
import requests

from services.config import SourceSettings
from services.sources.base import EDGE_KEYS, SERVICE_KEYS, Filters, SourceError
from services.sources.demo import DemoSource
from services.sources.prometheus import PrometheusSource
from services.timewindow import Window

pytestmark = pytest.mark.integration

# Backfilled series carry no staleness markers: Prometheus sees an ended alert for up to 5 more
# minutes, so its intervals may end that much later than the demo's.
LOOKBACK = pd.Timedelta(minutes=5)


@pytest.fixture(scope="module")
def sources(prometheus_url, demo_settings):
    return DemoSource(demo_settings), PrometheusSource(SourceSettings(prometheus_url=prometheus_url))


def windows(anchor):
    return [
        Window(anchor - timedelta(hours=1), anchor),
        Window(anchor - timedelta(hours=4), anchor - timedelta(minutes=30)),  # the latency incident
        Window(anchor - timedelta(hours=5), anchor - timedelta(hours=2) + timedelta(seconds=37)),  # unaligned end
    ]


def assert_same(demo: pd.DataFrame, prom: pd.DataFrame, keys: list[str]) -> None:
    assert not demo.empty
    assert len(demo) == len(prom)
    merged = demo.merge(prom, on=keys, suffixes=("_demo", "_prom"), validate="one_to_one")
    assert len(merged) == len(demo), "the two sources returned different groups or times"
    for col in demo.columns:
        if col in keys:
            continue
        pd.testing.assert_series_equal(merged[f"{col}_demo"], merged[f"{col}_prom"], check_names=False, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("by", ["service", "edge"])
def test_latency_and_traffic_series_match_the_demo(sources, anchor, by):
    demo, prom = sources
    keys = ["time"] + (SERVICE_KEYS if by == "service" else EDGE_KEYS)
    for window in windows(anchor):
        for step in (60, 300):
            assert_same(demo.latency_series(window, step, Filters(), by), prom.latency_series(window, step, Filters(), by), keys)
            assert_same(demo.traffic_series(window, step, Filters(), by), prom.traffic_series(window, step, Filters(), by), keys)


def test_window_summaries_match_and_find_the_incident(sources, anchor):
    demo, prom = sources
    window = windows(anchor)[1]
    lat_demo, lat_prom = demo.latency_summary(window, Filters(), "service"), prom.latency_summary(window, Filters(), "service")
    assert_same(lat_demo, lat_prom, SERVICE_KEYS)
    assert_same(demo.traffic_summary(window, Filters(), "edge"), prom.traffic_summary(window, Filters(), "edge"), EDGE_KEYS)
    worst = lat_prom.sort_values("p99", ascending=False)["service"].head(3).tolist()
    assert set(worst) == {"checkout", "payments", "ledger"}


def test_filters_narrow_both_sources_alike(sources, anchor):
    demo, prom = sources
    window = windows(anchor)[0]
    filters = Filters(clusters=("prod-tokyo",), namespaces=("shop", "search"))
    d, p = demo.traffic_summary(window, filters, "service"), prom.traffic_summary(window, filters, "service")
    assert_same(d, p, SERVICE_KEYS)
    assert set(p["cluster"]) == {"prod-tokyo"} and set(p["namespace"]) == {"shop", "search"}


def test_alert_intervals_match_within_the_lookback(sources, anchor):
    demo, prom = sources
    window = Window(anchor - timedelta(hours=4), anchor - timedelta(minutes=3))
    d = demo.alert_intervals(window, Filters())
    p = prom.alert_intervals(window, Filters())
    key = ["alertname", "labels_key", "start"]
    merged = d.merge(p, on=key, how="outer", suffixes=("_demo", "_prom"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key]
    ended = merged[~merged["ongoing_demo"]]
    late = ended["end_prom"].fillna(pd.Timestamp(window.end)) - ended["end_demo"]
    assert ((late >= pd.Timedelta(0)) & (late <= LOOKBACK)).all()
    # Alerts firing since before the window: ALERTS_FOR_STATE gives the true start.
    still = merged[merged["ongoing_demo"]]
    assert (still["since_demo"] == still["since_prom"]).all()
    assert "CPUThrottlingHigh" in set(still["alertname"])


def test_label_values_and_status(sources):
    demo, prom = sources
    assert prom.label_values("cluster") == demo.label_values("cluster") == ["prod-seoul", "prod-tokyo"]
    # The backfill holds the last hours only; the demo's 24 h include one more namespace (batch).
    assert {"web", "shop", "payments", "search", "identity", "notify"} <= set(prom.label_values("namespace"))
    assert set(prom.label_values("namespace")) <= set(demo.label_values("namespace"))
    status = prom.status()
    assert status.ok and "2." in status.detail


def test_a_window_with_no_data_is_empty_not_an_error(sources, anchor):
    _, prom = sources
    past = Window(anchor - timedelta(days=30), anchor - timedelta(days=29))
    assert prom.latency_series(past, 300, Filters(), "service").empty
    assert prom.traffic_summary(past, Filters(), "service").empty
    assert prom.alert_intervals(past, Filters()).empty


def test_unknown_cluster_label_gives_no_clusters(prometheus_url, anchor):
    prom = PrometheusSource(SourceSettings(prometheus_url=prometheus_url, cluster_label="kube_cluster"))
    assert prom.label_values("cluster") == []
    summary = prom.traffic_summary(windows(anchor)[0], Filters(), "service")
    assert set(summary["cluster"]) == {""}


class _Handler(http.server.BaseHTTPRequestHandler):
    delay = 0.0
    status = 200
    body = b"{}"

    def do_GET(self):  # noqa: N802
        time.sleep(self.delay)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_server():
    """A loopback HTTP server whose behaviour a test sets: slow, failing, or not Prometheus."""
    servers = []

    def start(delay=0.0, status=200, body=b"{}"):
        handler = type("H", (_Handler,), {"delay": delay, "status": status, "body": body})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def test_unreachable_prometheus_names_the_url(anchor):
    prom = PrometheusSource(SourceSettings(prometheus_url="http://127.0.0.1:9"))
    with pytest.raises(SourceError, match=r"127\.0\.0\.1:9 is unreachable"):
        prom.latency_summary(windows(anchor)[0], Filters(), "service")
    status = prom.status()
    assert not status.ok and "unreachable" in status.detail


def test_slow_prometheus_times_out_with_a_clear_message(fake_server, anchor):
    url = fake_server(delay=3)
    prom = PrometheusSource(SourceSettings(prometheus_url=url, timeout_seconds=0.5))
    with pytest.raises(SourceError, match=r"did not answer within 0\.5 s"):
        prom.alert_intervals(windows(anchor)[0], Filters())


def test_prometheus_error_message_is_passed_on(fake_server, anchor):
    body = json.dumps(
        {"status": "error", "errorType": "execution", "error": "query processing would load too many samples"}
    ).encode()
    prom = PrometheusSource(SourceSettings(prometheus_url=fake_server(status=422, body=body)))
    with pytest.raises(SourceError, match="HTTP 422: query processing would load too many samples"):
        prom.traffic_series(windows(anchor)[0], 60, Filters(), "service")


def test_a_server_that_is_not_prometheus(fake_server, anchor):
    prom = PrometheusSource(SourceSettings(prometheus_url=fake_server(body=b"<html>login</html>")))
    with pytest.raises(SourceError, match="did not answer with the Prometheus HTTP API"):
        prom.latency_summary(windows(anchor)[0], Filters(), "service")


class _CountingProxy(http.server.BaseHTTPRequestHandler):
    """Forwards GETs to the real Prometheus, 50 ms slower, and counts requests in flight."""

    upstream = ""
    lock = threading.Lock()
    in_flight = 0
    peak = 0
    total = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.total += 1
            cls.peak = max(cls.peak, cls.in_flight)
        try:
            time.sleep(0.05)
            upstream = requests.get(cls.upstream + self.path, timeout=30)
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(upstream.content)
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def log_message(self, *args):
        return


def test_reads_from_several_sessions_keep_at_most_four_queries_in_flight(prometheus_url, anchor):
    from services.overview import mesh_data, overview_data

    handler = type("Proxy", (_CountingProxy,), {"upstream": prometheus_url, "lock": threading.Lock()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prom = PrometheusSource(SourceSettings(prometheus_url=f"http://127.0.0.1:{server.server_port}"))
    window = windows(anchor)[0]
    results: list[dict] = []

    def session(page):
        results.append(page())

    pages = [lambda: mesh_data(prom, window, 60, Filters())] * 2 + [lambda: overview_data(prom, window, Filters())]
    threads = [threading.Thread(target=session, args=(page,)) for page in pages]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        server.shutdown()
    assert len(results) == 3 and all(not isinstance(part, SourceError) for r in results for part in r.values())
    assert handler.total >= 2 * 18 + 7  # every query of two Mesh pages (18 each) and one Overview was sent
    assert 2 <= handler.peak <= 4  # concurrent, and never more than the bound, however many sessions


class _Misbehaving(http.server.BaseHTTPRequestHandler):
    """Drips its answer a byte at a time, or answers far too much, or answers malformed JSON."""

    mode = "drip"

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        try:
            if self.mode == "drip":
                for byte in b'{"status": "success", "data": {"resultType": "vector", "result": []}}':
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
            elif self.mode == "huge":
                chunk = b" " * 1_000_000
                self.wfile.write(b'{"status": "success", "data": {"result": [')
                for _ in range(300):
                    self.wfile.write(chunk)
            elif self.mode == "wrong-shape":
                self.wfile.write(b'{"status": "success", "data": {"resultType": "vector", "result": [{"metric": 3}]}}')
            else:
                self.wfile.write(
                    b'{"status": "success", "data": {"resultType": "matrix", "result": '
                    b'[{"metric": {}, "values": [["x", "y", "z"]]}]}}'
                )
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up, as it should

    def log_message(self, *args):
        return


@pytest.fixture
def misbehaving():
    started = []

    def start(mode):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("M", (_Misbehaving,), {"mode": mode}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in started:
        server.shutdown()


def test_a_dripping_server_is_cut_at_the_overall_deadline(misbehaving, anchor):
    prom = PrometheusSource(SourceSettings(prometheus_url=misbehaving("drip"), timeout_seconds=2))
    started = time.monotonic()
    with pytest.raises(SourceError, match="did not answer within 2 s"):
        prom.query("up", anchor)
    assert time.monotonic() - started < 5  # the read timeout alone would wait ~20 s for the whole answer


def test_a_huge_answer_is_refused_without_reading_it_all(misbehaving, anchor):
    import resource

    prom = PrometheusSource(SourceSettings(prometheus_url=misbehaving("huge"), max_response_mb=5, timeout_seconds=30))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(SourceError, match="more than the 5 MB cap"):
        prom.query("up", anchor)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB: nowhere near the 300 MB sent


@pytest.mark.parametrize("mode", ["wrong-shape", "bad-samples"])
def test_malformed_answers_are_a_clear_error(misbehaving, anchor, mode):
    prom = PrometheusSource(SourceSettings(prometheus_url=misbehaving(mode)))
    window = Window(anchor - timedelta(hours=1), anchor)
    with pytest.raises(SourceError, match="Prometheus"):
        prom.latency_series(window, 60, Filters(), "service")
