"""The package as a team installs it: a wheel (not editable) in a fresh venv, run from a directory
outside the checkout, with nothing of the checkout on the path."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from services.reports.export import CHROMIUM_ARGS
from tests.conftest import require
from tests.servers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
COMMANDS = {
    "status",
    "demo",
    "ask",
    "report",
    "eval",
    "data",
    "prompts",
    "investigate",
    "triage",
    "route",
    "serve",
    "worker",
    "health",
    "kb",
}
# What a checkout has and a wheel is not built from (the copy keeps pip's build/ and egg-info out of it).
NOT_SOURCE = (".git", ".venv", ".streamlit", "var", "build", "*.egg-info", "__pycache__", ".*_cache")


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} exited {result.returncode}: {result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """(the venv's bin folder, an empty working folder, a user's environment) after `pip install` of the wheel."""
    work = tmp_path_factory.mktemp("package")
    started = time.monotonic()
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", source, "-w", work / "dist", cwd=work)
    wheel = next((work / "dist").glob("oncall_dashboard-*.whl"))
    built = time.monotonic()
    run(sys.executable, "-m", "venv", work / "venv", cwd=work)
    pip = [work / "venv" / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run(*pip, "--require-hashes", "-r", ROOT / "requirements.lock", cwd=work)
    run(*pip, "--no-deps", wheel, cwd=work)
    print(
        f"\nwheel built in {built - started:.0f} s, venv with the locked dependencies and the wheel in {time.monotonic() - built:.0f} s"
    )
    home = work / "cwd"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR")}
    env["PATH"] = f"{work / 'venv' / 'bin'}:/usr/bin:/bin"
    yield work / "venv" / "bin", home, env
    shutil.rmtree(work / "venv")  # 1.2 GB; pytest keeps the last three runs' folders


def test_the_installed_package_runs_the_cli_and_the_dashboard(installed, tmp_path):
    """One test, so that xdist's workers do not each build a venv."""
    bin_dir, cwd, env = installed
    check_the_cli(bin_dir, cwd, env)
    check_oncall_serve(bin_dir, cwd, env, tmp_path / "serve.log")


def check_the_cli(bin_dir: Path, cwd: Path, env: dict[str, str]) -> None:
    """Every command is there, and they run on the bundled data."""
    usage = run(bin_dir / "oncall", "--help", cwd=cwd, env=env)
    assert set(re.search(r"\{([a-z,]+)\}", usage)[1].split(",")) == COMMANDS, usage

    status = json.loads(run(bin_dir / "oncall", "status", "--json", cwd=cwd, env=env))  # the bundled demo scenario
    assert status["source"] == "demo"
    assert {"KubePodCrashLooping", "CPUThrottlingHigh"} <= {a["alertname"] for a in status["alerts"]["firing"]}
    assert status["latency"] and status["errors"]  # the demo's mesh series

    routed = json.loads(run(bin_dir / "oncall", "route", "what's firing", cwd=cwd, env=env))
    assert routed["action_type"] == "alerts"

    checked = json.loads(run(bin_dir / "oncall", "kb", "check", "--json", cwd=cwd, env=env))  # bundled runbooks
    assert checked["documents"] >= 100  # ours and the vendored prometheus-operator runbooks

    prompts = run(bin_dir / "oncall", "prompts", "list", cwd=cwd, env=env)  # bundled prompts, stored in the database
    assert "assistant_system" in prompts and "router" in prompts
    # What the dashboard writes goes to the working folder, never into site-packages.
    assert (cwd / "var" / "oncall.db").is_file()
    site = Path(run(bin_dir / "python", "-c", "import services; print(services.__file__)", cwd=cwd, env=env).strip()).parents[1]
    assert site.is_relative_to(bin_dir.parent) and not (site / "var").exists()
    assert {"router.jsonl", "retrieval.jsonl", "answers.jsonl"} <= {p.name for p in (site / "data" / "eval").iterdir()}


def check_oncall_serve(bin_dir: Path, cwd: Path, env: dict[str, str], log: Path) -> None:
    """The dashboard from the installed app.py, pages and components, until SIGTERM."""
    require(CHROMIUM)
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen([bin_dir / "oncall", "serve", "--port", str(port)], cwd=cwd, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if requests.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            pytest.fail(f"oncall serve did not answer: {log.read_text()[-2000:]}")
        assert '<div id="root">' in requests.get(url, timeout=5).text

        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(url)
            # The overview of the bundled demo, drawn by the installed app.py, pages and components.
            page.wait_for_function(
                "document.querySelector('.js-plotly-plot .main-svg') !== null"
                " || document.querySelector(\"[data-testid='stException']\") !== null",
                timeout=60000,
            )
            errors = page.locator("[data-testid='stException']")
            assert errors.count() == 0, errors.first.inner_text()
            assert page.get_by_text("KubePodCrashLooping").count() >= 1
            assert page.get_by_role("button", name="Deploy").count() == 0  # served with the viewers' toolbar
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert server.returncode == 0, log.read_text()[-2000:]
