"""Speed as the engineer feels it, in a real Chromium against a real dashboard server.

Measures (median of --repeat, each from the click or keypress to the page showing its charts or
answer with Streamlit idle):
  - start-up: server start -> health check answers -> first Overview chart;
  - Mesh and Overview for 1 h and 24 h windows, first visit of the window (not cached) and again
    (cached);
  - the first and the later offline chat answers on Overview and on Mesh 24 h;
  - --sessions browser tabs opening Mesh 24 h at once: wall time until all show charts, and the
    server's peak memory (VmHWM).
On the demo by default; with --services N, on N services x 24 h backfilled into a real Prometheus
(reused from --work when it is younger than --max-age-minutes, since windows end at now).
Run by hand: `python benchmarks/browser.py [--services 200 --work /tmp/bench200]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.page_data import backfill, make_spec  # noqa: E402
from services.sources.demo_scenario import anchor_for  # noqa: E402
from services.timewindow import iso, parse_time, utcnow  # noqa: E402
from tests import servers  # noqa: E402

CHART = ".js-plotly-plot .main-svg"
# Streamlit's toolbar shows one of these while a script runs.
RUNNING = "[data-testid^='stStatusWidgetRunning'], [data-testid='stStatusWidgetNewYearsIcon']"
IDLE = f'!document.querySelector("{RUNNING}")'


def peak_rss_mb(pid: int) -> float:
    """The process' peak resident memory (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_idle(page, condition: str, timeout_ms: int = 120_000) -> None:
    """Until `condition` (JS) holds and Streamlit runs no script, seen twice 100 ms apart."""
    for _ in range(2):
        page.wait_for_function(f"({condition}) && {IDLE}", timeout=timeout_ms, polling=50)
        page.wait_for_timeout(100)


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def chosen(label: str) -> str:
    """JS: the sidebar's window box shows `label` (a combobox: its input's value, not its text)."""
    return f"[...document.querySelectorAll('[data-testid=stSidebar] input')].some(i => i.value === '{label}')"


def pick_window(page, label: str, charts: int) -> None:
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Time window").click()
    page.get_by_role("option", name=label).click()
    wait_idle(page, f"document.querySelectorAll('{CHART}').length >= {charts} && {chosen(label)}")


def ask(page, question: str) -> None:
    before = page.locator("[data-testid='stChatMessage']").count()
    page.get_by_placeholder("Ask about this window").fill(question)
    page.keyboard.press("Enter")
    wait_idle(page, f"document.querySelectorAll('[data-testid=\"stChatMessage\"]').length >= {before + 2}")


@contextmanager
def dashboard(env: dict[str, str], work: Path) -> Iterator[tuple[servers.Server, float, float]]:
    """The server, with (seconds from start to health, seconds from start to spawn)."""
    started = time.perf_counter()
    with servers.streamlit(ROOT / "app.py", ROOT, env, work / "streamlit.log") as server:
        health = time.perf_counter() - started
        yield server, health, started


def prometheus_env(args: argparse.Namespace, stack: ExitStack) -> dict[str, str]:
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-browser-"))
    anchor_file, tsdb = work / "anchor", work / "tsdb"
    fresh = anchor_file.is_file() and utcnow() - parse_time(anchor_file.read_text()) < timedelta(minutes=args.max_age_minutes)
    if not (fresh and tsdb.is_dir()):
        shutil.rmtree(tsdb, ignore_errors=True)
        anchor_file.unlink(missing_ok=True)
        anchor = anchor_for(utcnow())
        t0 = time.perf_counter()
        backfill(make_spec(args.services), anchor, work)
        anchor_file.write_text(iso(anchor))
        print(f"backfilled {args.services} services x 24 h in {time.perf_counter() - t0:.0f} s")
    server = stack.enter_context(servers.prometheus(tsdb, work / "prom"))
    return {"PROMETHEUS_URL": server.url}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, help="N services in a real Prometheus (default: the demo)")
    parser.add_argument("--work", help="keep the backfill here and reuse it")
    parser.add_argument("--max-age-minutes", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=10)
    args = parser.parse_args()

    results: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        results.setdefault(name, []).append(seconds)
        print(f"  {name}: {seconds:.2f}", flush=True)

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "ALERTMANAGER_", "ONCALL_", "OPENAI_"))}
        env = {**base, "ONCALL_DATA_DIR": tmp, **(prometheus_env(args, stack) if args.services else {})}
        browser = stack.enter_context(servers.chromium())
        with dashboard({**env, "ONCALL_DATA_DIR": str(Path(tmp) / "concurrent")}, Path(tmp)) as (server, _, _):
            concurrent(browser, server, note, args.sessions)
        for run in range(args.repeat):
            data_dir = Path(tmp) / f"run-{run}"
            data_dir.mkdir()
            with dashboard({**env, "ONCALL_DATA_DIR": str(data_dir)}, data_dir) as (server, health, started):
                one_run(browser, server, health, started, note)
    print(f"{'interaction':40} {'median s':>9} {'min':>7} {'max':>7}  n")
    for name, values in results.items():
        print(f"{name:40} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f}  {len(values)}")


def one_run(browser, server: servers.Server, health: float, started: float, note: Callable[[str, float], None]) -> None:
    """The interactions, in order, on a fresh server (so "not cached" is the first read)."""
    page = browser.new_page(viewport={"width": 1600, "height": 1800}, timezone_id="Asia/Seoul")
    page.goto(server.url)
    wait_idle(page, f"document.querySelectorAll('{CHART}').length >= 1")
    note("start -> health", health)
    note("health -> first Overview chart", time.perf_counter() - started - health)
    note("first chat answer (Overview)", timed(lambda: ask(page, "What is firing now?")))
    note("later chat answer (Overview)", timed(lambda: ask(page, "Which service is slowest?")))
    note("Overview 24 h, not cached", timed(lambda: pick_window(page, "Last 24 hours", 1)))
    note("Overview 1 h, cached", timed(lambda: pick_window(page, "Last 1 hour", 1)))

    def open_mesh() -> None:
        page.goto(f"{server.url}/mesh")
        wait_idle(page, f"document.querySelectorAll('{CHART}').length >= 2")

    note("Mesh 1 h, not cached (with page load)", timed(open_mesh))
    note("Mesh 24 h, not cached", timed(lambda: pick_window(page, "Last 24 hours", 2)))
    note("Mesh 1 h, cached", timed(lambda: pick_window(page, "Last 1 hour", 2)))
    note("Mesh 24 h, cached", timed(lambda: pick_window(page, "Last 24 hours", 2)))
    note("later chat answer (Mesh 24 h)", timed(lambda: ask(page, "Why is the slowest service slow?")))
    page.close()


def concurrent(browser, server: servers.Server, note: Callable[[str, float], None], sessions: int) -> None:
    """On a fresh server, `sessions` tabs (each its own Streamlit session) on Mesh switch to 24 h at once."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1400}) for _ in range(sessions)]
    tabs = [c.new_page() for c in contexts]
    for tab in tabs:
        tab.goto(f"{server.url}/mesh")
    for tab in tabs:
        wait_idle(tab, f"document.querySelectorAll('{CHART}').length >= 2")
    start = time.perf_counter()
    for tab in tabs:  # click all, then wait for all: the server serves them concurrently
        tab.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Time window").click()
        tab.get_by_role("option", name="Last 24 hours").click()
    for tab in tabs:
        wait_idle(tab, f"document.querySelectorAll('{CHART}').length >= 2 && {chosen('Last 24 hours')}")
    note(f"{sessions} sessions switch Mesh to 24 h at once", time.perf_counter() - start)
    note(f"server peak RSS after {sessions} sessions (MB)", peak_rss_mb(server.process.pid))
    for c in contexts:
        c.close()


if __name__ == "__main__":
    main()
