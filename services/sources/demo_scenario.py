"""The bundled demo scenario: raw Istio counters and ALERTS periods, generated deterministically.

The scenario (`data/demo/scenario.json`) places services, call edges, incidents and alerts in
minutes relative to an anchor. `build_scenario(anchor)` turns it into the samples a Prometheus scraping
that mesh every minute would hold: cumulative request counters by response code and cumulative
latency histogram buckets per edge, plus alert periods. The same samples feed the demo source and
the OpenMetrics export, so a Prometheus backfilled from the export answers with the same numbers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from services.config import DATA_DIR

SCENARIO_PATH = DATA_DIR / "demo" / "scenario.json"
BASE_5XX = 0.0008
BASE_4XX = 0.005


@dataclass(frozen=True)
class Edge:
    cluster: str
    source_namespace: str
    source_workload: str
    namespace: str
    service: str
    protocol: str


@dataclass
class EdgeSeries:
    edge: Edge
    # (response_code, grpc_response_status, response_flags) -> cumulative count per sample, as the
    # destination's sidecar reported them
    requests: dict[tuple[str, str, str], np.ndarray]
    # cumulative count per sample and bucket, the last column is +Inf
    buckets: np.ndarray
    duration_sum: np.ndarray
    # the caller's sidecar's view: the same requests plus those it answered itself (503 UO...)
    source_requests: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)
    reporters: tuple[str, ...] = ("destination", "source")

    def requests_for(self, reporter: str) -> dict[tuple[str, str, str], np.ndarray]:
        return self.source_requests if reporter == "source" else self.requests


@dataclass(frozen=True)
class AlertPeriod:
    alertname: str
    labels: dict[str, str]
    start: datetime
    end: datetime | None  # None: still firing at the anchor


@dataclass
class DemoData:
    anchor: datetime
    times: np.ndarray  # epoch seconds of each sample, oldest first
    interval: int
    buckets_ms: list[float]
    edges: list[EdgeSeries]
    alerts: list[AlertPeriod]
    incidents: list[dict] = field(default_factory=list)

    def last_hours(self, hours: float) -> DemoData:
        """The same samples, cut to the last `hours` (plus the rate look-back margin)."""
        keep = self.times >= self.times[-1] - int(hours * 3600) - 3600
        edges = [
            EdgeSeries(
                s.edge,
                {k: v[keep] for k, v in s.requests.items()},
                s.buckets[keep],
                s.duration_sum[keep],
                {k: v[keep] for k, v in s.source_requests.items()},
                s.reporters,
            )
            for s in self.edges
        ]
        return DemoData(self.anchor, self.times[keep], self.interval, self.buckets_ms, edges, self.alerts, self.incidents)


def load_spec(path: Path = SCENARIO_PATH) -> dict:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def anchor_for(now: datetime, interval: int = 60) -> datetime:
    """`now` floored to the scrape interval: the demo's clock."""
    ts = math.floor(now.timestamp() / interval) * interval
    return datetime.fromtimestamp(ts, tz=UTC)


def periods_of(item: dict) -> list[tuple[int, int | None]]:
    """(start, end) minute offsets from explicit `periods` or a `repeat` pattern."""
    if "repeat" in item:
        r = item["repeat"]
        return [(r["first"] + i * r["every"], r["first"] + i * r["every"] + r["duration"]) for i in range(r["count"])]
    if "periods" in item:
        return [(int(s), None if e is None else int(e)) for s, e in item["periods"]]
    return [(int(item["start"]), int(item["end"]))]


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf and scipy is not needed."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def lognormal_cdf(le: np.ndarray, median: np.ndarray, sigma: float) -> np.ndarray:
    z = (np.log(le)[None, :] - np.log(median)[:, None]) / (sigma * math.sqrt(2.0))
    return 0.5 * (1.0 + _erf(z))


@lru_cache(maxsize=4)
def build_scenario(anchor: datetime) -> DemoData:
    """All samples of the scenario up to `anchor` (cached: pages ask many times per minute)."""
    return generate(load_spec(), anchor)


def generate(spec: dict, anchor: datetime) -> DemoData:
    interval = int(spec["scrape_interval_seconds"])
    minutes = int(spec["history_hours"] * 60 + spec["margin_minutes"])
    n = minutes * 60 // interval + 1
    times = int(anchor.timestamp()) - interval * np.arange(n - 1, -1, -1, dtype=np.int64)
    offsets = (times - int(anchor.timestamp())) / 60.0  # minutes relative to the anchor
    rng = np.random.default_rng(spec["seed"])
    hour_of_day = (times % 86400) / 3600.0
    diurnal = 1.0 + 0.35 * np.sin(2 * math.pi * (hour_of_day - 9.0) / 24.0)

    def active(item: dict) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        for start, end in periods_of(item):
            mask |= (offsets >= start) & (offsets < (end if end is not None else 1))
        return mask

    services = {(s["cluster"], s["name"]): s for s in spec["services"]}
    own_ms = {}
    for key, svc in services.items():
        noise = np.exp(rng.normal(0.0, 0.06, n))
        own_ms[key] = svc["base_ms"] * (0.9 + 0.1 * diurnal) * noise
    for inc in spec["incidents"]:
        if inc["kind"] == "latency":
            key = (inc["cluster"], inc["service"])
            own_ms[key] = np.where(active(inc), own_ms[key] * inc["factor"], own_ms[key])

    children: dict[tuple[str, str], list[dict]] = {}
    for e in spec["edges"]:
        children.setdefault((e["cluster"], e["from"][1]), []).append(e)

    medians: dict[tuple[str, str], np.ndarray] = {}

    def median_ms(key: tuple[str, str], calling: frozenset = frozenset()) -> np.ndarray:
        """A service's median latency: its own work plus the calls it waits for (a cycle is cut)."""
        if key not in medians:
            total = own_ms[key].copy()
            for e in children.get(key, []):
                child = (e["cluster"], e["to"])
                if child not in calling | {key}:
                    total += e.get("call_weight", 0.0) * median_ms(child, calling | {key})
            medians[key] = total
        return medians[key]

    le = np.array(spec["buckets_ms"], dtype=float)
    sigma = float(spec["latency_sigma"])
    edges: list[EdgeSeries] = []
    for e in spec["edges"]:
        dest = services[(e["cluster"], e["to"])]
        edge = Edge(e["cluster"], e["from"][0], e["from"][1], dest["namespace"], dest["name"], dest["protocol"])
        per_sample = e["rps"] * interval * diurnal * np.exp(rng.normal(0.0, 0.05, n))
        ratio_5xx = np.full(n, BASE_5XX)
        caller_5xx = np.zeros(n)  # the destination answers 500 itself: its own call was refused
        rejected: dict[str, np.ndarray] = {}  # the caller's sidecar answered 503 with this flag
        for inc in spec["incidents"]:
            here = (inc["cluster"], inc.get("from"), inc.get("to"))
            if inc["kind"] == "errors" and here == (e["cluster"], e["from"][1], e["to"]):
                ratio_5xx = np.where(active(inc), inc["ratio_5xx"], ratio_5xx)
            elif inc["kind"] == "client_errors" and here == (e["cluster"], e["from"][1], e["to"]):
                flag = inc.get("flags", "UO")
                rejected[flag] = rejected.get(flag, np.zeros(n)) + np.where(active(inc), inc["ratio"], 0.0)
            elif inc["kind"] == "client_errors" and (inc["cluster"], inc["from"]) == (e["cluster"], e["to"]):
                caller_5xx = caller_5xx + np.where(active(inc), inc.get("caller_5xx", 0.0), 0.0)
        ratio_4xx = np.full(n, dest.get("ratio_4xx", BASE_4XX))
        grpc_unknown = np.full(n, 0.001)
        warmup = float(rng.integers(500, 5000))  # counters look long-running
        median = median_ms((e["cluster"], e["to"]))

        def counter(parts: np.ndarray, warmup: float = warmup) -> np.ndarray:
            # Round the running total, not each step, so the counter never drifts.
            return np.round(np.cumsum(parts, axis=0) + warmup * parts[0])

        if edge.protocol == "grpc":
            requests = {
                ("200", "0", "-"): counter(per_sample * (1 - ratio_5xx - ratio_4xx - grpc_unknown)),
                ("200", "2", "-"): counter(per_sample * grpc_unknown),
                ("200", "5", "-"): counter(per_sample * ratio_4xx),
                ("503", "14", "UF"): counter(per_sample * ratio_5xx),
            }
        else:
            requests = {
                ("200", "", "-"): counter(per_sample * (1 - ratio_5xx - ratio_4xx - caller_5xx)),
                ("404", "", "-"): counter(per_sample * ratio_4xx),
                ("503", "", "UF"): counter(per_sample * ratio_5xx * 0.8),
                ("500", "", "-"): counter(per_sample * (ratio_5xx * 0.2 + caller_5xx)),
            }
        # What the caller's sidecar reported: every request the destination answered (with no
        # flag of its own: it got an HTTP answer), plus the ones it refused itself, which never
        # reached the destination.
        source_requests: dict[tuple[str, str, str], np.ndarray] = {}
        for (code, status, _flags), values in requests.items():
            answered = (code, status, "-")
            source_requests[answered] = source_requests[answered] + values if answered in source_requests else values
        for flag, ratio in rejected.items():
            source_requests[("503", "14" if edge.protocol == "grpc" else "", flag)] = counter(per_sample * ratio)
        fractions = lognormal_cdf(le, median, sigma)  # (n, buckets)
        finite = counter(per_sample[:, None] * fractions)
        total: np.ndarray = np.sum(list(requests.values()), axis=0)
        buckets = np.concatenate([np.minimum(finite, total[:, None]), total[:, None]], axis=1)
        mean = median * math.exp(sigma**2 / 2)
        duration_sum = np.round(np.cumsum(per_sample * mean) + warmup * per_sample[0] * mean[0], 3)
        reporters = tuple(spec.get("reporters", ("destination", "source")))
        edges.append(EdgeSeries(edge, requests, buckets, duration_sum, source_requests, reporters))

    alerts = []
    for a in spec["alerts"]:
        for start, end in periods_of(a):
            alerts.append(
                AlertPeriod(
                    a["alertname"],
                    dict(a["labels"]),
                    anchor + timedelta(minutes=start),
                    None if end is None else anchor + timedelta(minutes=end),
                )
            )
    return DemoData(anchor, times, interval, list(spec["buckets_ms"]), edges, alerts, spec["incidents"])
