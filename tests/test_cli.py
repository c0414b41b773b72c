"""`oncall status` and `oncall demo export` as a user runs them."""

import json
import subprocess
from datetime import timedelta

import pytest

from services.timewindow import iso
from tests.conftest import ANCHOR, ROOT, oncall


def status_json(*args, env=None):
    """`oncall status --json` with the demo's clock frozen at the session's anchor."""
    result = oncall("status", "--json", *args, env={"ONCALL_DEMO_NOW": iso(ANCHOR), **(env or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_status_json_shape_on_the_demo(anchor):
    report = status_json("--to", iso(anchor), "--from", iso(anchor - timedelta(hours=3)))
    assert report["source"] == "demo"
    assert report["window"] == {"from": iso(anchor - timedelta(hours=3)), "to": iso(anchor)}
    alerts = report["alerts"]
    firing = {a["alertname"]: a for a in alerts["firing"]}
    assert set(firing) == {"KubePodCrashLooping", "CPUThrottlingHigh"}
    assert firing["KubePodCrashLooping"]["since"] == iso(anchor - timedelta(minutes=35))
    assert firing["KubePodCrashLooping"]["labels"]["namespace"] == "shop"
    assert [(f["alertname"], f["labels"]["service"]) for f in alerts["flapping"]] == [("IstioP99LatencyHigh", "search")]
    assert alerts["flapping"][0]["transitions"] >= 9  # state changes within its busiest hour
    assert alerts["intervals"] > 10
    latency, errors = report["latency"], report["errors"]
    assert [r["p99_ms"] for r in latency] == sorted((r["p99_ms"] for r in latency), reverse=True)
    assert {latency[0]["service"], latency[1]["service"]} <= {"checkout", "payments", "ledger"}
    assert errors[0]["service"] == "inventory" and errors[0]["error_ratio"] > 0.01
    assert set(errors[0]) >= {"service", "namespace", "error_ratio"}


def test_likely_false_over_a_day(anchor):
    report = status_json("--to", iso(anchor), "--from", iso(anchor - timedelta(hours=24)))
    noisy = {a["alertname"]: a for a in report["alerts"]["likely_false"]}
    assert {"ErrorLogRateHigh", "KubeContainerRestarted"} <= set(noisy)
    assert noisy["ErrorLogRateHigh"]["count"] == 6


def test_default_window_is_the_last_hour_of_the_frozen_demo_clock(anchor):
    report = status_json()
    assert report["window"] == {"from": iso(anchor - timedelta(hours=1)), "to": iso(anchor)}


def test_text_output(anchor):
    result = oncall("status", "--to", iso(anchor), env={"ONCALL_DEMO_NOW": iso(anchor)})
    assert result.returncode == 0
    assert "Firing at window end (2)" in result.stdout
    assert "KubePodCrashLooping" in result.stdout


@pytest.mark.integration
def test_status_against_prometheus_gives_the_demo_numbers(prometheus_url, anchor):
    # No alert of the scenario ends in the 5 minutes before this window's end, where a backfilled
    # Prometheus would still see it (no staleness markers).
    window = ["--from", iso(anchor - timedelta(hours=4)), "--to", iso(anchor - timedelta(minutes=4))]
    demo = status_json(*window)
    prom = status_json(*window, "--prometheus-url", prometheus_url)
    assert prom["source"] == prometheus_url
    assert prom["latency"] == demo["latency"]
    assert prom["errors"] == demo["errors"]
    assert [a["alertname"] for a in prom["alerts"]["firing"]] == [a["alertname"] for a in demo["alerts"]["firing"]]
    assert [a["since"] for a in prom["alerts"]["firing"]] == [a["since"] for a in demo["alerts"]["firing"]]


@pytest.mark.integration
def test_prometheus_url_from_the_environment(prometheus_url, anchor):
    report = status_json("--to", iso(anchor), env={"PROMETHEUS_URL": prometheus_url})
    assert report["source"] == prometheus_url


@pytest.mark.parametrize(
    "args, message",
    [
        (["--prometheus-url", "http://127.0.0.1:9"], "Prometheus at http://127.0.0.1:9 is unreachable"),
        (["--from", "2026-11-03T10:00:00Z", "--to", "2026-11-03T09:00:00Z"], "is not before its end"),
        (["--from", "yesterday"], "'yesterday' is not an ISO 8601 time"),
    ],
)
def test_errors_are_one_line_and_non_zero(args, message):
    result = oncall("status", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_configuration_is_named():
    result = oncall("status", env={"ONCALL_TIMEOUT_SECONDS": "soon"})
    assert result.returncode == 2
    assert "ONCALL_TIMEOUT_SECONDS='soon' is not a positive number" in result.stderr


def test_demo_export_writes_openmetrics(tmp_path, anchor):
    out = tmp_path / "demo.om"
    result = oncall("demo", "export", "--end", iso(anchor), "--out", str(out), "--hours", "1")
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# TYPE istio_requests counter") and text.endswith("# EOF\n")
    last_ts = max(int(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("istio_requests_total"))
    assert last_ts == int(anchor.timestamp())


def test_make_run_listens_on_loopback_unless_the_operator_chooses():
    """There is no sign-in without [auth]: the headline command must not listen on every interface."""
    plan = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "--server.address 127.0.0.1" in plan
    chosen = subprocess.run(["make", "-n", "run", "ADDRESS=0.0.0.0"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "--server.address 0.0.0.0" in chosen
