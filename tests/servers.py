"""Real Prometheus, Alertmanager and Streamlit processes on loopback, and Chromium, for tests and benchmarks.

Binaries come from Debian (`make test` installs them); each server gets its own temp dir and a
free port, and is stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import requests

ROOT = Path(__file__).resolve().parents[1]

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PROMETHEUS = "prometheus"
PROMTOOL = "promtool"
ALERTMANAGER = "prometheus-alertmanager"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def backfill(openmetrics_file: Path, tsdb_dir: Path) -> None:
    """promtool into an empty dir (it refuses to mix with an old one)."""
    shutil.rmtree(tsdb_dir, ignore_errors=True)
    tsdb_dir.mkdir(parents=True)
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics_file), str(tsdb_dir)],
        check=True,
        capture_output=True,
        text=True,
    )


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


def _wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 60, path: str = "/-/ready") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def _serve(name: str, work: Path, config_text: str, args: list[str]) -> Iterator[Server]:
    """Start a server on a free loopback port with `--config.file`; stop it by PID after use."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / f"{name}.yml"
    config.write_text(config_text)
    port = free_port()
    log = work / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*args, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield Server(url, process, log)
    finally:
        _stop(process)


def prometheus(tsdb_dir: Path, work: Path):
    """Prometheus serving `tsdb_dir`, with no scrape targets (the data is all backfilled)."""
    return _serve(
        "prometheus",
        work,
        "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
        [PROMETHEUS, f"--storage.tsdb.path={tsdb_dir}", "--storage.tsdb.retention.time=3650d", "--query.max-samples=500000000"],
    )


def alertmanager(work: Path):
    """Alertmanager with one receiver that sends nowhere, and no cluster peers."""
    return _serve(
        "alertmanager",
        work,
        "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
        [ALERTMANAGER, f"--storage.path={work / 'data'}", "--cluster.listen-address="],
    )


@contextmanager
def streamlit(cwd: Path, env: Mapping[str, str], log: Path, port: int | None = None) -> Iterator[Server]:
    """The dashboard as `make run` starts it (components.server), headless, on `port` (a free one
    by default); `cwd` is where it reads `.streamlit/` (config.toml, secrets.toml). Stopped by PID."""
    port = port or free_port()
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "components.server",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=cwd,
            env={**env, "PYTHONPATH": path},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log, path="/_stcore/health")
        yield Server(url, process, log)
    finally:
        _stop(process)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (sync API), launched with the PDF export's own flags."""
    from playwright.sync_api import sync_playwright

    from services.reports.export import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
