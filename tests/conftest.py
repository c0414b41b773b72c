"""Shared fixtures: a fixed demo clock, and a real Prometheus backfilled with the demo."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from services.auth import Actor, operator
from services.config import ModelSettings, Settings, SourceSettings, load_settings
from services.llm.client import ChatModel
from services.runtime import Runtime, build_runtime
from services.sources.demo_scenario import anchor_for
from services.storage import Store
from services.timewindow import iso, utcnow
from tests import postgres, servers

ROOT = Path(__file__).resolve().parents[1]
# The app's database and default index live here during tests, not in the checkout's var/; each
# xdist worker has its own (workers inherit the controller's environment).
if os.environ.get("PYTEST_XDIST_WORKER") or "ONCALL_DATA_DIR" not in os.environ:
    os.environ["ONCALL_DATA_DIR"] = tempfile.mkdtemp(prefix=f"oncall-test-data-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
KEEP = ("ONCALL_DATA_DIR",)
# The demo's "now" for the whole session: a Prometheus backfilled with the export at this anchor
# must agree with the demo source frozen at it.
ANCHOR = anchor_for(utcnow() - timedelta(minutes=20))
BACKFILL_HOURS = 6


def require(*binaries: str) -> None:
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: `make test` installs them (scripts/install-system-deps.sh)")


SERVER_FIXTURES = {
    "prometheus_url",
    "alertmanager_url",
    "hostile_prometheus",
    "busy_alertmanager",
    "failing_prometheus",
    "postgres_url",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Classify every test for `make test-fast`: integration (real servers), browser, slow (CLI round trips)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SERVER_FIXTURES:
            item.add_marker(pytest.mark.integration)
        if item.module is not None and item.module.__name__.endswith("test_browser"):
            item.add_marker(pytest.mark.browser)
        function = getattr(item, "function", None)
        try:
            source = inspect.getsource(function) if function else ""
        except (OSError, TypeError):
            source = ""
        if "to_pdf(" in source:
            item.add_marker(pytest.mark.browser)
        if "oncall(" in source or "kb(" in source or "AppTest.from_file(APP" in source and "time.sleep" in source:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def anchor():
    return ANCHOR


@pytest.fixture(scope="session")
def demo_settings() -> SourceSettings:
    return SourceSettings(demo_now=iso(ANCHOR))


def settings_for(model: ModelSettings | None = None, **sources: object) -> Settings:
    """The demo frozen at the session's anchor (or the given source settings), the test data dir."""
    base = load_settings({"ONCALL_DATA_DIR": os.environ["ONCALL_DATA_DIR"]}, ROOT / "tests" / "no-secrets.toml")
    return replace(base, sources=SourceSettings(**{"demo_now": iso(ANCHOR), **sources}), model=model)  # type: ignore[arg-type]


def runtime_for(
    settings: Settings | None = None, index: object = None, store: Store | None = None, actor: Actor | None = None
) -> Runtime:
    """What a page or the CLI builds, with the given runbook index (and database); the CLI's operator
    acts unless `actor` says who."""
    built = build_runtime(settings or settings_for(), index_loader=lambda: index, actor=actor or operator())  # type: ignore[arg-type,return-value]
    if store is not None:
        built.store = store
        if built.model is not None:
            built.model = replace(built.model, store=store)
    return built


def chat_model(url: str, name: str, timeout: float = 5) -> ChatModel:
    """A model at `url` (the fake OpenAI server) whose prompts and audit rows use the test database."""
    return ChatModel(ModelSettings("sk-test", url, name, timeout), default_store())


def record_queries(source) -> list[str]:
    """Every PromQL query a PrometheusSource sends from now on, in order (a live list)."""
    queries: list[str] = []
    lock = threading.Lock()
    send = source.http.session.request

    def request(method, url, params=None, **kwargs):
        with lock:
            queries.append(str((params or {}).get("query", "")))
        return send(method, url, params=params, **kwargs)

    source.http.session.request = request
    return queries


def default_store() -> Store:
    """The database the app and the CLI use during the tests."""
    return Store.open(settings_for().storage.db_url)


def oncall(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the CLI as a user would, in a clean environment plus `env`."""
    base = {k: v for k, v in os.environ.items() if k in KEEP or not k.startswith(("PROMETHEUS_", "ALERTMANAGER_", "ONCALL_"))}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory) -> str:
    """A real Prometheus on loopback holding the demo scenario's last hours."""
    require(servers.PROMETHEUS, servers.PROMTOOL)
    work = tmp_path_factory.mktemp("prometheus")
    export = work / "demo.om"
    oncall("demo", "export", "--end", iso(ANCHOR), "--out", str(export), "--hours", str(BACKFILL_HOURS), check=True)
    servers.backfill(export, work / "tsdb")
    with servers.prometheus(work / "tsdb", work) as server:
        yield server.url


@pytest.fixture(scope="session")
def alertmanager_url(tmp_path_factory) -> str:
    require(servers.ALERTMANAGER)
    with servers.alertmanager(tmp_path_factory.mktemp("alertmanager")) as server:
        yield server.url


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    with postgres.postgres_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server_url) -> str:
    """A fresh database on the session's real PostgreSQL."""
    return postgres.new_database(postgres_server_url)


@pytest.fixture(autouse=True)
def navigation_like_the_server(monkeypatch):
    """Keep AppTest on st.navigation across reruns, as the server does.

    The server decides at its first st.navigation call that `pages/` is not an old-style
    multipage folder and remembers it; AppTest forgets before every run, so each rerun would
    start the page file alone and go through the rerun in components.state.current_view, which
    drops the button click that caused the run.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="session")
def bundled_index_dir(tmp_path_factory, pytestconfig):
    """The default runbook index (bundled folders), built once for the session.

    The build is incremental, so it starts from the index the last run left in pytest's cache
    (the unchanged runbooks are not embedded again) and leaves its result there for the next run.
    """
    from services.knowledge import indexing

    directory = tmp_path_factory.mktemp("kb") / "index"
    cached = pytestconfig.cache.mkdir("bundled-index")
    if any(cached.iterdir()):
        shutil.copytree(cached, directory)
    indexing.build_index(settings_for().knowledge, index_dir=directory)
    staging = Path(tempfile.mkdtemp(dir=cached.parent))
    shutil.copytree(directory, staging, dirs_exist_ok=True)
    shutil.rmtree(cached, ignore_errors=True)
    try:
        staging.rename(cached)
    except OSError:  # another xdist worker stored its copy first: either one is complete
        shutil.rmtree(staging)
    return directory


@pytest.fixture
def app_env(monkeypatch, bundled_index_dir):
    """A clean environment for the app: the demo at the session's anchor and the bundled index."""
    for name in (
        "PROMETHEUS_URL",
        "ALERTMANAGER_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "SLACK_WEBHOOK_URL",
        "ONCALL_RUNBOOK_DIRS",
        "ONCALL_STEP_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONCALL_DEMO_NOW", iso(ANCHOR))
    monkeypatch.setenv("ONCALL_INDEX_DIR", str(bundled_index_dir))
    # Local use without sign-in, where the operator opted in to silences and Slack posts.
    monkeypatch.setenv("ONCALL_ALLOW_ANONYMOUS_ACTIONS", "true")
    return monkeypatch
