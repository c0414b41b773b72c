"""Speed as the engineer feels it, in a real Chromium against a real dashboard server.

Measures (median of --repeat, each from the click or keypress to the page showing its charts or
answer with Streamlit idle):
  - start-up: server start -> health check answers -> first Overview chart, in a browser that
    never saw the dashboard (every static file fetched and compiled) and in one that did (a
    server restart: Streamlit's hashed bundles are cached as immutable), alternating by run;
  - Mesh for 1 h and 24 h windows, first visit of the window (not cached: no page showed 24 h
    before, since every page reads the chat's incidents of its window in the background) and
    again (cached); Overview 12 h not cached, 1 h cached and 24 h after Mesh 24 h;
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

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from benchmarks.page_data import backfill, make_spec, memory_mb  # noqa: E402
from services.sources.demo_scenario import anchor_for  # noqa: E402
from services.timewindow import iso, parse_time, utcnow  # noqa: E402
from tests import servers  # noqa: E402

CHART = ".js-plotly-plot .main-svg"
QUIET = 0.3  # no message after a run finished for this long: no rerun followed, the interaction is over


class Wire:
    """What Streamlit's websocket said: when the page last received a message, and when a script
    run last finished (its ForwardMsg "script_finished"). A run may be silent for seconds while
    it computes, and the toolbar's running icon shows only after 500 ms: neither can tell the end."""

    def __init__(self, page) -> None:
        self.finished, self.running = time.perf_counter(), False
        page.on("websocket", lambda ws: ws.on("framereceived", self._seen))

    def _seen(self, frame: object) -> None:
        if not isinstance(frame, bytes):
            return
        msg = ForwardMsg.FromString(frame)
        kind = msg.WhichOneof("type")
        if kind == "session_status_changed":
            self.running = msg.session_status_changed.script_is_running
        elif kind == "script_finished":
            self.finished = time.perf_counter()


def settle(page, wire: Wire, since: float, condition: str, timeout: float = 180) -> float:
    """Seconds from `since` until the last run it caused finished and `condition` (JS) holds,
    whichever is later; the quiet wait that proves no rerun followed is not counted."""
    shown_at: float | None = None
    deadline = since + timeout
    while time.perf_counter() < deadline:
        page.wait_for_timeout(20)  # also lets Playwright deliver the websocket events
        now = time.perf_counter()
        shown = page.evaluate(condition)
        if not shown:
            shown_at = None
        elif shown_at is None:
            shown_at = now
        over = wire.finished > since and not wire.running and now - wire.finished > QUIET
        if shown_at is not None and over:
            return max(wire.finished, shown_at) - since
    raise TimeoutError(f"not settled in {timeout} s: {condition}")


def act(page, wire: Wire, action: Callable[[], None], condition: str) -> float:
    """Seconds from `action` (a click or a keypress) until the page shows `condition` and the run is over."""
    since = time.perf_counter()
    action()
    return settle(page, wire, since, condition)


def load(page, wire: Wire, url: str, condition: str) -> float:
    """Seconds from navigating to `url` until the page shows `condition` and the run is over."""
    since = time.perf_counter()
    page.goto(url)
    return settle(page, wire, since, condition)


def chosen(label: str) -> str:
    """JS: the sidebar's window box shows `label` (a combobox: its input's value, not its text)."""
    return f"[...document.querySelectorAll('[data-testid=stSidebar] input')].some(i => i.value === '{label}')"


def pick_window(page, wire: Wire, label: str, charts: int) -> float:
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Time window").click()
    option = page.get_by_role("option", name=label)
    return act(page, wire, option.click, f"{charts_shown(charts)} && {chosen(label)}")


def charts_shown(n: int) -> str:
    return f"document.querySelectorAll('{CHART}').length >= {n}"


def ask(page, wire: Wire, question: str) -> float:
    before = page.locator("[data-testid='stChatMessage']").count()
    page.get_by_placeholder("Ask about this window").fill(question)
    answered = f"document.querySelectorAll('[data-testid=\"stChatMessage\"]').length >= {before + 2}"
    return act(page, wire, lambda: page.keyboard.press("Enter"), answered)


@contextmanager
def dashboard(env: dict[str, str], work: Path) -> Iterator[tuple[servers.Server, float, float]]:
    """The server, with (seconds from start to health, seconds from start to spawn)."""
    started = time.perf_counter()
    with servers.streamlit(ROOT, env, work / "streamlit.log") as server:
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
        returning = browser.new_context(**PAGE)  # one browser profile across server restarts: its HTTP cache stays
        with dashboard({**env, "ONCALL_DATA_DIR": str(Path(tmp) / "concurrent")}, Path(tmp)) as (server, _, _):
            concurrent(browser, server, note, args.sessions)
            visit = returning.new_page()
            load(visit, Wire(visit), server.url, charts_shown(1))
            visit.close()
        for run in range(args.repeat):
            data_dir = Path(tmp) / f"run-{run}"
            data_dir.mkdir()
            context, seen = (returning, "returning browser") if run % 2 else (browser.new_context(**PAGE), "first visit")
            with dashboard({**env, "ONCALL_DATA_DIR": str(data_dir)}, data_dir) as (server, health, started):
                one_run(context, seen, server, health, started, note)
            if context is not returning:
                context.close()
    print(f"{'interaction':40} {'median s':>9} {'min':>7} {'max':>7}  n")
    for name, values in results.items():
        print(f"{name:40} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f}  {len(values)}")


PAGE = {"viewport": {"width": 1600, "height": 1800}, "timezone_id": "Asia/Seoul"}


def one_run(
    context, seen: str, server: servers.Server, health: float, started: float, note: Callable[[str, float], None]
) -> None:
    """The interactions, in order, on a fresh server (so "not cached" is the first read); `seen`
    says whether the browser (`context`) visited the dashboard before."""
    page = context.new_page()
    wire = Wire(page)
    navigated = time.perf_counter()
    first = load(page, wire, server.url, charts_shown(1))
    note("start -> health", health)
    note(f"health -> first Overview chart ({seen})", navigated + first - started - health)
    note("first chat answer (Overview)", ask(page, wire, "What is firing now?"))
    note("later chat answer (Overview)", ask(page, wire, "Which service is slowest?"))
    # Any page reads the chat's incidents of its window in the background, so the first visit
    # of a window on Mesh comes before any page shows that window.
    note("Mesh 1 h (with page load, incidents prefetched)", load(page, wire, f"{server.url}/mesh", charts_shown(2)))
    note("Mesh 24 h, not cached", pick_window(page, wire, "Last 24 hours", 2))
    note("Mesh 1 h, cached", pick_window(page, wire, "Last 1 hour", 2))
    note("Mesh 24 h, cached", pick_window(page, wire, "Last 24 hours", 2))
    note("later chat answer (Mesh 24 h)", ask(page, wire, "Why is the slowest service slow?"))
    note("Overview 1 h, cached (with page load)", load(page, wire, server.url, charts_shown(1)))
    note("Overview 12 h, not cached", pick_window(page, wire, "Last 12 hours", 1))
    note("Overview 24 h, after Mesh 24 h", pick_window(page, wire, "Last 24 hours", 1))
    note("later chat answer (Overview 24 h)", ask(page, wire, "Which service has the most 5xx errors?"))
    page.close()


def concurrent(browser, server: servers.Server, note: Callable[[str, float], None], sessions: int) -> None:
    """On a fresh server, `sessions` tabs (each its own Streamlit session) on Mesh switch to 24 h
    at once: the seconds until the last one shows its charts, and the server's peak memory."""
    tabs = [browser.new_context(viewport={"width": 1400, "height": 1400}).new_page() for _ in range(sessions)]
    wires = [Wire(tab) for tab in tabs]
    for tab, wire in zip(tabs, wires, strict=True):
        load(tab, wire, f"{server.url}/mesh", charts_shown(2))
    start = time.perf_counter()
    for tab in tabs:  # pick in every tab, then wait for all: the server serves them concurrently
        tab.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Time window").click()
        tab.get_by_role("option", name="Last 24 hours").click()
    done = [
        start + settle(tab, wire, start, f"{charts_shown(2)} && {chosen('Last 24 hours')}")
        for tab, wire in zip(tabs, wires, strict=True)
    ]
    note(f"{sessions} sessions switch Mesh to 24 h at once (last one done)", max(done) - start)
    note(f"server peak RSS after {sessions} sessions (MB)", memory_mb("VmHWM", server.process.pid))
    for tab in tabs:
        tab.context.close()


if __name__ == "__main__":
    main()
