"""Write the demo scenario as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.

The samples are exactly those the demo source computes from, so a Prometheus backfilled from
this file gives the demo's numbers (bar the 5 minute look-back: backfilled series carry no
staleness markers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import IO

from services.sources.demo_scenario import DemoData, EdgeSeries


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    body = ",".join(f'{k}="{v}"' for k, v in pairs)
    return "{" + body + "}"


def _edge_labels(s: EdgeSeries, cluster_label: str, reporter: str = "destination") -> list[tuple[str, str]]:
    e = s.edge
    return [
        (cluster_label, e.cluster),
        ("connection_security_policy", "mutual_tls"),
        ("destination_service", f"{e.service}.{e.namespace}.svc.cluster.local"),
        ("destination_service_name", e.service),
        ("destination_service_namespace", e.namespace),
        ("destination_workload", e.service),
        ("reporter", reporter),
        ("request_protocol", e.protocol),
        ("source_workload", e.source_workload),
        ("source_workload_namespace", e.source_namespace),
    ]


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def write(data: DemoData, out: IO[str], cluster_label: str = "cluster") -> int:
    """Write every series; returns the number of samples written."""
    times = [str(int(t)) for t in data.times]
    written = 0
    out.write("# TYPE istio_requests counter\n")
    for s in data.edges:
        for reporter in s.reporters:
            base = _edge_labels(s, cluster_label, reporter)
            for (code, status, flags), counter in s.requests_for(reporter).items():
                extra = [("response_code", code), ("response_flags", flags)]
                if status:
                    extra.append(("grpc_response_status", status))
                name = "istio_requests_total" + _labels(sorted(base + extra))
                out.writelines(f"{name} {_number(v)} {t}\n" for v, t in zip(counter, times, strict=False))
                written += len(times)

    out.write("# TYPE istio_request_duration_milliseconds histogram\n")
    bounds = [_number(b) for b in data.buckets_ms] + ["+Inf"]
    for edge_series, reporter in [(e, r) for e in data.edges for r in e.reporters]:
        extra = [("response_code", "200"), ("response_flags", "-")]
        if edge_series.edge.protocol == "grpc":
            extra.append(("grpc_response_status", "0"))
        pairs = sorted(_edge_labels(edge_series, cluster_label, reporter) + extra)
        plain = _labels(pairs)
        bucket_names = ["istio_request_duration_milliseconds_bucket" + _labels(pairs + [("le", b)]) for b in bounds]
        for i, t in enumerate(times):
            for name, value in zip(bucket_names, edge_series.buckets[i], strict=False):
                out.write(f"{name} {_number(value)} {t}\n")
            out.write(f"istio_request_duration_milliseconds_count{plain} {_number(edge_series.buckets[i][-1])} {t}\n")
            out.write(f"istio_request_duration_milliseconds_sum{plain} {_number(edge_series.duration_sum[i])} {t}\n")
        written += len(times) * (len(bounds) + 2)

    written += _write_alerts(data, out)
    out.write("# EOF\n")
    return written


def _write_alerts(data: DemoData, out: IO[str]) -> int:
    """ALERTS{alertstate="firing"} = 1 and ALERTS_FOR_STATE = activation time, each minute active."""
    by_identity: dict[tuple, list] = defaultdict(list)
    for a in data.alerts:
        by_identity[(a.alertname, tuple(sorted(a.labels.items())))].append(a)
    anchor = int(data.anchor.timestamp())
    ts = data.times
    alerts_lines: list[str] = []
    state_lines: list[str] = []
    for (alertname, labels), periods in sorted(by_identity.items()):
        pairs = sorted([("alertname", alertname), *labels])
        firing = _labels(sorted(pairs + [("alertstate", "firing")]))
        plain = _labels(pairs)
        for p in sorted(periods, key=lambda p: p.start):
            start = int(p.start.timestamp())
            end = int(p.end.timestamp()) if p.end is not None else anchor + 1
            active = ts[(ts >= start) & (ts < end)]
            alerts_lines.extend(f"ALERTS{firing} 1 {t}\n" for t in active)
            state_lines.extend(f"ALERTS_FOR_STATE{plain} {start} {t}\n" for t in active)
    out.write("# TYPE ALERTS gauge\n")
    out.writelines(alerts_lines)
    out.write("# TYPE ALERTS_FOR_STATE gauge\n")
    out.writelines(state_lines)
    return len(alerts_lines) + len(state_lines)
