"""Two dashboard replicas on one real PostgreSQL, driven in a real browser, as a team runs them:
each with its own data folder (no shared disk), one `oncall worker` for shift summaries."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.storage import Store
from services.timewindow import iso
from tests import servers
from tests.conftest import ANCHOR, KEEP, ROOT, require
from tests.fake_openai import fake_openai

pytestmark = pytest.mark.browser


def runbook(folder: Path, alert: str, meaning: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = f"# {alert}\n\n## Meaning\n\n{meaning}\n\n## Mitigation\n\nDrain the consumers and restart them.\n"
    (folder / f"{alert}.md").write_text(text, encoding="utf-8")


def ask_and_rate(browser, url: str, question: str) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1800})
    page.goto(url)
    page.get_by_placeholder("Ask about this window").fill(question)
    page.keyboard.press("Enter")
    page.wait_for_selector(".st-key-fb_helpful_1 button", timeout=90000).click()
    page.get_by_text("Feedback: Helpful").wait_for(timeout=30000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_two_replicas_share_feedback_audit_jobs_and_the_runbook_index(postgres_url, tmp_path):
    require(servers.CHROMIUM)
    runbooks = tmp_path / "runbooks"
    runbook(runbooks, "LedgerPoolSaturated", "The ledger service's database connection pool is full.")
    base = {k: v for k, v in os.environ.items() if k in KEEP or not k.startswith(("PROMETHEUS_", "ALERTMANAGER_", "ONCALL_"))}
    with fake_openai() as fake:
        fake.reply = "Two alerts are firing; start with the ledger connection pool [1]."
        env = {
            **base,
            "ONCALL_DB_URL": postgres_url,
            "ONCALL_REPORT_WORKER": "external",
            "ONCALL_RUNBOOK_DIRS": str(runbooks),
            "ONCALL_DEMO_NOW": iso(ANCHOR),
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": fake.url,
        }
        replica = {name: {**env, "ONCALL_DATA_DIR": str(tmp_path / name)} for name in ("a", "b")}
        worker_log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "worker", "--poll", "0.5"],
            cwd=ROOT,
            env={**env, "ONCALL_DATA_DIR": str(tmp_path / "worker")},
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        try:
            with (
                servers.streamlit(ROOT, replica["a"], tmp_path / "a.log") as a,
                servers.streamlit(ROOT, replica["b"], tmp_path / "b.log") as b,
                servers.chromium() as browser,
            ):
                check_feedback_and_audit_from_both(browser, a.url, b.url, postgres_url)
                check_a_summary_queued_on_one_is_run_once_and_shown_on_both(browser, a.url, b.url, postgres_url, worker.pid)
                check_a_rebuild_on_one_reaches_the_other(browser, a.url, b.url, runbooks)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            worker_log.close()
        assert worker.returncode == 0, (tmp_path / "worker.log").read_text()[-2000:]


def check_feedback_and_audit_from_both(browser, a: str, b: str, db: str) -> None:
    ask_and_rate(browser, a, "What is firing now?")
    ask_and_rate(browser, b, "Why is checkout slow?")
    store = Store.open(db)
    rows = store.feedback_rows()
    assert sorted(r["question"] for r in rows) == ["What is firing now?", "Why is checkout slow?"]
    assert len({r["session"] for r in rows}) == 2 and {r["rating"] for r in rows} == {"helpful"}
    audited = {r["request_id"] for r in store.audit_rows()}
    assert {r["request_id"] for r in rows} <= audited  # each replica's model call audited


def check_a_summary_queued_on_one_is_run_once_and_shown_on_both(browser, a: str, b: str, db: str, worker_pid: int) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1800})
    page.goto(f"{a}/reports")
    page.get_by_role("button", name="Generate shift summary").click()
    page.get_by_role("button", name="HTML").first.wait_for(timeout=120000)  # done, listed where it was asked
    other = browser.new_page(viewport={"width": 1600, "height": 1800})
    other.goto(f"{b}/reports")
    other.get_by_role("button", name="HTML").first.wait_for(timeout=60000)  # and on the other replica
    for shown in (page, other):
        assert shown.locator("[data-testid='stException']").count() == 0
        shown.close()
    jobs = Store.open(db).reports()
    assert len(jobs) == 1 and jobs[0]["status"] == "done"
    assert jobs[0]["worker"].split(":")[1] == str(worker_pid)  # run by the worker, not by a web replica


def check_a_rebuild_on_one_reaches_the_other(browser, a: str, b: str, runbooks: Path) -> None:
    runbook(runbooks, "ZebraQueueStalled", "The zebra ingestion queue stopped draining; consumers are stuck.")
    page = browser.new_page(viewport={"width": 1600, "height": 1800})
    page.goto(f"{a}/runbooks")
    page.get_by_role("tab", name="Index").click(timeout=90000)
    page.get_by_role("button", name="Rebuild index").click()
    page.get_by_text(re.compile(r"Indexed \d+ documents in \d+ chunks")).wait_for(timeout=120000)  # the rebuild's own message
    page.close()
    other = browser.new_page(viewport={"width": 1600, "height": 1800})
    other.goto(f"{b}/runbooks")
    deadline = time.monotonic() + 60
    while True:  # the other replica checks for a newer index every few seconds
        box = other.locator(".st-key-kb_query input")
        box.fill("zebra ingestion queue stopped draining")
        box.press("Enter")
        other.wait_for_timeout(1500)
        if other.get_by_text("ZebraQueueStalled").count() or time.monotonic() > deadline:
            break
        box.fill("")
        box.press("Enter")
        other.wait_for_timeout(3000)
    assert other.get_by_text("ZebraQueueStalled").count() >= 1
    assert other.locator("[data-testid='stException']").count() == 0
    other.close()
