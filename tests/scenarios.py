"""Meshes for tests, in the demo scenario's format: chains, fan-in, a cycle, one reporter, a missing service.

`mesh(edges, ...)` gives a spec for `DemoSource(spec=...)` (and `openmetrics.write` for a real
Prometheus). Times are minutes relative to the anchor; every service is in namespace `ns` of
cluster `c1` unless named "namespace/name".
"""

from __future__ import annotations

from services.sources.demo_scenario import load_spec

BASE = {
    k: v
    for k, v in load_spec().items()
    if k in ("seed", "margin_minutes", "scrape_interval_seconds", "latency_sigma", "buckets_ms")
}


def _split(name: str) -> tuple[str, str]:
    namespace, _, service = name.rpartition("/")
    return namespace or "ns", service


def mesh(
    edges: list[tuple[str, str, float]],
    incidents: list[dict] | None = None,
    base_ms: dict[str, float] | None = None,
    reporters: tuple[str, ...] = ("destination", "source"),
    hours: float = 6,
) -> dict:
    """A spec: `edges` are (caller, callee, rps); a caller named "ingress" is the ingress gateway."""
    names = {n for a, b, _ in edges for n in (a, b) if n != "ingress"}
    services = [
        {
            "cluster": "c1",
            "namespace": _split(n)[0],
            "name": _split(n)[1],
            "base_ms": (base_ms or {}).get(n, 20),
            "protocol": "http",
        }
        for n in sorted(names)
    ]
    spec_edges = []
    for caller, callee, rps in edges:
        source = ["istio-system", "istio-ingressgateway"] if caller == "ingress" else list(_split(caller))
        spec_edges.append({"cluster": "c1", "from": source, "to": _split(callee)[1], "rps": rps, "call_weight": 1.0})
    return {
        **BASE,
        "history_hours": hours,
        "services": services,
        "edges": spec_edges,
        "incidents": [{"cluster": "c1", **i} for i in incidents or []],
        "alerts": [],
        "reporters": list(reporters),
    }


def slow(service: str, start: int, end: int, factor: float) -> dict:
    return {"kind": "latency", "service": _split(service)[1], "start": start, "end": end, "factor": factor}


def failing(caller: str, callee: str, start: int, end: int, ratio: float) -> dict:
    """The callee answers `ratio` 5xx to that caller."""
    return {"kind": "errors", "from": _split(caller)[1], "to": _split(callee)[1], "start": start, "end": end, "ratio_5xx": ratio}


def refused(caller: str, callee: str, start: int, end: int, ratio: float, flags: str = "UO", caller_5xx: float = 0.0) -> dict:
    """The caller's own sidecar answers `ratio` of its calls with 503 `flags`; it answers 500 itself for `caller_5xx`."""
    return {
        "kind": "client_errors",
        "from": _split(caller)[1],
        "to": _split(callee)[1],
        "start": start,
        "end": end,
        "ratio": ratio,
        "flags": flags,
        "caller_5xx": caller_5xx,
    }
