"""Page data preparation vs raw Prometheus query time, on 200 services x 24 h.

Generates a scenario of N services (default 200) with the demo generator (both Istio reporters),
backfills 24 h of it into a real Prometheus with promtool, then for each page and for one
service investigation:
  - page:  the wall time of everything the page computes from the source (queries, parsing,
           frames, alert analysis, incident detection), as the page calls it;
  - raw:   the same HTTP requests replayed with a bare requests session, bodies read but not
           parsed, one after another ("sequential") and four at a time ("parallel", as the
           source issues them).
Median of --repeat runs after one warm-up. Run by hand: `make bench` or
`python benchmarks/page_data.py --services 200`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.alerts.analysis import counts_by  # noqa: E402
from services.config import AlertSettings, SourceSettings  # noqa: E402
from services.mesh.incidents import incidents  # noqa: E402
from services.mesh.investigate import investigate  # noqa: E402
from services.overview import (  # noqa: E402
    analyse_alerts,
    edge_table,
    incident_step,
    mesh_data,
    overview_data,
    top_services,
    worst,
)
from services.sources import openmetrics  # noqa: E402
from services.sources.base import Filters  # noqa: E402
from services.sources.demo_scenario import anchor_for, generate, load_spec  # noqa: E402
from services.sources.prometheus import PrometheusSource  # noqa: E402
from services.timewindow import Window, auto_step, iso, parse_time, utcnow  # noqa: E402
from tests import servers  # noqa: E402

NAMESPACES = ["web", "shop", "payments", "search", "identity", "notify", "batch", "media"]


def make_spec(services: int) -> dict:
    """The demo spec grown to `services` services: a call tree per cluster, the same incidents."""
    spec = load_spec()
    clusters = ["prod-seoul", "prod-tokyo"]
    spec["services"], spec["edges"] = [], []
    for i in range(services):
        cluster = clusters[i % 2]
        name = f"svc-{i:03d}"
        spec["services"].append(
            {
                "cluster": cluster,
                "namespace": NAMESPACES[i % len(NAMESPACES)],
                "name": name,
                "base_ms": 5 + (i * 7) % 40,
                "protocol": "grpc" if i % 5 == 0 else "http",
            }
        )
        if i < 2:
            caller = ["istio-system", "istio-ingressgateway"]
        else:
            parent = max(i - 2 * (1 + (i // 2) % 3), i % 2)  # an earlier service, same cluster
            caller = [NAMESPACES[parent % len(NAMESPACES)], f"svc-{parent:03d}"]
        spec["edges"].append({"cluster": cluster, "from": caller, "to": name, "rps": 5 + i % 50, "call_weight": 0.3})
    spec["incidents"] = [
        {
            "id": "slow",
            "kind": "latency",
            "cluster": "prod-seoul",
            "service": "svc-010",
            "start": -190,
            "end": -150,
            "factor": 20,
        },
        {
            "id": "5xx",
            "kind": "errors",
            "cluster": "prod-seoul",
            "from": "svc-004",
            "to": "svc-010",
            "start": -130,
            "end": -112,
            "ratio_5xx": 0.25,
        },
    ]
    return spec


def backfill(spec: dict, anchor, work: Path, chunk: int = 25) -> Path:
    """Write and backfill in chunks of edges, so no single OpenMetrics file gets huge."""
    data = generate(spec, anchor)
    tsdb = work / "tsdb"
    tsdb.mkdir(parents=True)
    edges = data.edges
    for start in range(0, len(edges), chunk):
        part = data.__class__(
            data.anchor,
            data.times,
            data.interval,
            data.buckets_ms,
            edges[start : start + chunk],
            data.alerts if start == 0 else [],
            data.incidents,
        )
        path = work / f"part-{start}.om"
        with path.open("w") as out:
            openmetrics.write(part, out)
        out_dir = work / f"blocks-{start}"
        servers.backfill(path, out_dir)
        for block in out_dir.iterdir():
            block.rename(tsdb / block.name)
        path.unlink()
    return tsdb


class Recorder:
    """Records every request the source sends, to replay them raw."""

    def __init__(self, session: requests.Session):
        self.calls: list[tuple[str, dict]] = []
        self._send = session.request

        def request(method, url, params=None, **kwargs):
            self.calls.append((url, dict(params or {})))
            return self._send(method, url, params=params, **kwargs)

        session.request = request  # type: ignore[method-assign]


def pages(source: PrometheusSource, window: Window, settings: AlertSettings) -> dict[str, Callable[[], object]]:
    """Each page's data preparation, as the page does it (minus Streamlit's cache and drawing),
    and one investigation: svc-000 waits for svc-004, which waits for svc-010, slowed 20x."""
    step = auto_step(window)
    f = Filters()

    def overview():
        parts = overview_data(source, window, f)
        return (
            analyse_alerts(parts["intervals"], window, settings),
            worst(parts["latency"], "p99"),
            worst(parts["traffic"], "ratio_5xx"),
        )

    def alerts():
        intervals = source.alert_intervals(window, f)
        view = analyse_alerts(intervals, window, settings)
        return view, [counts_by(intervals, c, window) for c in ("severity", "cluster", "namespace", "service")]

    def mesh():
        parts = mesh_data(source, window, step, f)
        return (
            top_services(parts["latency_summary"], "p99", 5),
            incidents(parts["incident_latency"], parts["incident_traffic"], incident_step(step)),
            edge_table(parts["edge_latency_summary"], parts["edge_traffic_summary"]),
            incidents(parts["edge_latency"], parts["edge_traffic"], incident_step(step)),
        )

    def investigation():
        found = investigate(source, window, "svc-000", cluster="prod-seoul", step=step)
        if found.path[-1:] != ["svc-010"]:
            print(f"note: the {window.seconds // 3600} h investigation of svc-000 ends at {found.path}, not svc-010")
        return found

    return {"overview": overview, "alerts": alerts, "mesh": mesh, "investigate": investigation}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def replay(calls: list[tuple[str, dict]], workers: int) -> float:
    session = requests.Session()

    def one(call):
        url, params = call
        return len(session.get(url, params=params, timeout=300).content)

    start = time.perf_counter()
    if workers == 1:
        for call in calls:
            one(call)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, calls))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, help="keep the backfilled data here and reuse it on the next run")
    parser.add_argument("--minutes", type=int, default=30, help="minutes a live 24 h window is followed for")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        tsdb, anchor_file = work / "tsdb", work / "anchor"
        if tsdb.is_dir() and anchor_file.is_file():
            anchor = parse_time(anchor_file.read_text())
            print(f"reusing the backfill in {work} (anchor {anchor_file.read_text()})")
        else:
            anchor = anchor_for(utcnow() - timedelta(minutes=10))
            work.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            backfill(make_spec(args.services), anchor, work)
            anchor_file.write_text(iso(anchor))
            print(f"generated and backfilled {args.services} services x 24 h in {time.perf_counter() - t0:.1f} s")
        with servers.prometheus(tsdb, work / "prom") as server:
            source = PrometheusSource(SourceSettings(prometheus_url=server.url, timeout_seconds=120, max_response_mb=500))
            recorder = Recorder(source.http.session)
            settings = AlertSettings()
            print(
                f"{'window':<8} {'page':<9} {'queries':>7} {'page s':>8} {'raw seq s':>10} {'raw par s':>10} "
                f"{'page/seq':>9} {'page/par':>9}"
            )
            for label, hours in (("1h", 1), ("24h", 24)):
                window = Window(anchor - timedelta(hours=hours), anchor)
                for name, fn in pages(source, window, settings).items():
                    recorder.calls.clear()
                    fn()  # warm-up, and the record of its requests
                    calls = list(recorder.calls)
                    page = statistics.median(timed(fn) for _ in range(args.repeat))
                    seq = statistics.median(replay(calls, 1) for _ in range(args.repeat))
                    par = statistics.median(replay(calls, 4) for _ in range(args.repeat))
                    print(
                        f"{label:<8} {name:<9} {len(calls):>7} {page:>8.3f} {seq:>10.3f} {par:>10.3f} {page / seq:>9.2f} "
                        f"{page / par:>9.2f}"
                    )
            live_refresh(server.url, anchor, settings, args.minutes)


def live_refresh(url: str, anchor, settings: AlertSettings, repeat: int) -> None:
    """A live 24 h window read, then read again a minute later (services.sources.incremental):
    the second read is what each minute costs a dashboard left open; `repeat` minutes go by."""
    print(f"\n{'live 24h':<18} {'first s':>8} {'queries':>7} {'next minute s':>14} {'queries':>7} {'RSS MB':>14}")
    for name in ("overview", "mesh", "investigate"):
        source = PrometheusSource(SourceSettings(prometheus_url=url, timeout_seconds=120, max_response_mb=500))
        recorder = Recorder(source.http.session)
        times, counts, rss = [], [], []
        for minute in range(repeat + 1):
            now = anchor - timedelta(minutes=repeat - minute)
            source.incremental.clock = lambda now=now: now
            recorder.calls.clear()
            times.append(timed(pages(source, Window(now - timedelta(hours=24), now), settings)[name]))
            counts.append(len(recorder.calls))
            rss.append(memory_mb())  # what the kept minutes cost as they go by
        print(
            f"{name:<18} {times[0]:>8.3f} {counts[0]:>7} {statistics.median(times[1:]):>14.3f} {max(counts[1:]):>7} "
            f"{rss[0]:>6.0f} -> {rss[-1]:<6.0f}"
        )


def memory_mb(field: str = "VmRSS", pid: int | str = "self") -> float:
    """A process' memory from /proc (VmRSS: resident now; VmHWM: its peak), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
