"""Wall time of the alert analysis (`analyse_alerts`, and `counts_by` as the Alerts page calls it).

Cases: the demo scenario's alert intervals for 1 h, 6 h and 24 h windows, and synthetic sets of
2,000 and 20,000 intervals over 24 h (overlapping, ongoing and flapping alerts over a few hundred
identities). Prints the median of --repeat runs after one warm-up, in milliseconds.
`--reference` also times the frozen pre-issue-13 implementation (tests/reference_alert_analysis.py)
on the same inputs. Run by hand: `python benchmarks/alert_analysis.py [--repeat 50] [--reference]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.alerts import analysis  # noqa: E402
from services.config import AlertSettings, SourceSettings  # noqa: E402
from services.sources.base import Filters  # noqa: E402
from services.sources.factory import make_source  # noqa: E402
from services.sources.frames import interval_frame, interval_row  # noqa: E402
from services.timewindow import Window, parse_time  # noqa: E402

DEMO_NOW = "2026-11-03T12:00:00Z"  # a fixed demo clock: the same intervals on every run
COUNT_COLUMNS = ("severity", "cluster", "namespace", "service")
SEVERITIES = ["critical", "warning", "warning", "info"]


def demo_case(hours: int) -> tuple[pd.DataFrame, Window]:
    settings = SourceSettings(demo_now=DEMO_NOW)
    end = parse_time(DEMO_NOW)
    window = Window(end - timedelta(hours=hours), end)
    return make_source(settings).alert_intervals(window, Filters()), window


def synthetic_case(n: int, seed: int = 13) -> tuple[pd.DataFrame, Window]:
    """`n` intervals over 24 h: ~n/10 identities, each a run of firings, some flapping, some ongoing."""
    rng = random.Random(seed)
    end = parse_time(DEMO_NOW)
    window = Window(end - timedelta(hours=24), end)
    rows: list[dict] = []
    identities = max(1, n // 10)
    while len(rows) < n:
        i = rng.randrange(identities)
        labels = {
            "alertname": f"Alert{i % 37}",
            "severity": SEVERITIES[i % len(SEVERITIES)],
            "cluster": f"prod-{i % 3}",
            "namespace": f"ns{i % 11}",
            "service": f"svc{i}",
        }
        at = rng.uniform(-30, 24 * 60)
        for _ in range(rng.randint(1, 12)):  # a burst: short firings with short gaps (flapping when dense)
            start = window.start + timedelta(minutes=max(at, 0.0))
            length = rng.choice([0.5, 1, 2, 4, 15, 60])
            stop = start + timedelta(minutes=length)
            ongoing = stop >= window.end or rng.random() < 0.01
            since = window.start + timedelta(minutes=at) if ongoing else start
            rows.append(interval_row(labels["alertname"], labels, "firing", start, None if ongoing else stop, since))
            at += length + rng.choice([-1, 0, 2, 5, 30])  # -1 overlaps the previous firing, 0 touches it
            if ongoing or at >= 24 * 60 or len(rows) >= n:
                break
    return interval_frame(rows), window


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def timings(module: ModuleType, intervals: pd.DataFrame, window: Window, repeat: int) -> tuple[float, float]:
    settings = AlertSettings()
    whole = median_ms(lambda: module.analyse_alerts(intervals, window, settings), repeat)
    counts = median_ms(lambda: [module.counts_by(intervals, c, window) for c in COUNT_COLUMNS], repeat)
    return whole, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per case (a tenth of it for 20,000)")
    parser.add_argument("--reference", action="store_true", help="also time tests/reference_alert_analysis.py")
    args = parser.parse_args()
    modules = {"now": analysis}
    if args.reference:
        from tests import reference_alert_analysis

        modules["reference"] = reference_alert_analysis
    cases: list[tuple[str, Callable[[], tuple[pd.DataFrame, Window]]]] = [
        ("demo 1h", lambda: demo_case(1)),
        ("demo 6h", lambda: demo_case(6)),
        ("demo 24h", lambda: demo_case(24)),
        ("synthetic 2k", lambda: synthetic_case(2_000)),
        ("synthetic 20k", lambda: synthetic_case(20_000)),
    ]
    header = f"{'case':14s} {'intervals':>9s}"
    for name in modules:
        header += f" {'analyse_alerts ' + name:>24s} {'counts_by x4 ' + name:>22s}"
    print(f"median of {args.repeat} runs (20k: {max(1, args.repeat // 10)}), ms; started {datetime.now():%H:%M:%S}")
    print(header)
    for label, build in cases:
        intervals, window = build()
        repeat = max(1, args.repeat // 10) if len(intervals) > 5_000 else args.repeat
        line = f"{label:14s} {len(intervals):9d}"
        for module in modules.values():
            whole, counts = timings(module, intervals, window, repeat)
            line += f" {whole:24.2f} {counts:22.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
