"""Shift summaries: content against the demo's incidents in every format, jobs, crashes, CLI, page."""

from __future__ import annotations

import io
import subprocess
import time
import unicodedata
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from services.config import ModelSettings
from services.reports import export
from services.reports import jobs as report_jobs
from services.reports import summary as report
from services.sources.base import Filters
from services.storage import Store
from services.timewindow import Window, iso, utcnow
from tests.conftest import ANCHOR, oncall, require, runtime_for, settings_for
from tests.fake_openai import fake_openai

APP = str(Path(__file__).resolve().parents[1] / "app.py")
NOTES = "Rolled back recommendation to v2.3.\n- [ ] follow up on ledger slowness with the payments team\n"
SHIFT = Window(ANCHOR - timedelta(hours=8), ANCHOR)


@pytest.fixture
def store(tmp_path):
    return Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return unicodedata.normalize("NFKC", " ".join(text.split()))


def expected_facts(text: str, question: bool = True) -> None:
    flat = " ".join(text.split())
    facts = [
        "KubePodCrashLooping",
        "CPUThrottlingHigh",
        "IstioP99LatencyHigh",
        "keep_firing_for",
        "ledger",
        "payments",
        "checkout",
        "inventory",
        "Rolled back recommendation to v2.3",
        "follow up on ledger slowness with the payments team",
    ]
    for fact in facts + (["What is firing now?", "helpful"] if question else []):
        assert fact in flat, fact


@pytest.fixture
def summary(store):
    store.save_answer(
        "req-1",
        "s",
        "What is firing now?",
        "KubePodCrashLooping is firing [1].",
        "alerts",
        "offline",
        iso(SHIFT.start),
        iso(SHIFT.end),
        [],
    )
    store.add_feedback("req-1", "s", "helpful", "right on")
    # Stored answers are matched by when they were asked: put this one inside the shift.
    with store.transaction() as db:
        db.exec_driver_sql("UPDATE answers SET created_at = ?", (iso(ANCHOR - timedelta(hours=1)),))
    return report.build_summary(runtime_for(store=store), SHIFT, Filters(), NOTES, ZoneInfo("Asia/Seoul"))


def test_summary_holds_the_demo_incidents(summary):
    assert {f["alertname"] for f in summary.firing} == {"KubePodCrashLooping", "CPUThrottlingHigh"}
    assert "IstioP99LatencyHigh" in {f["alertname"] for f in summary.flapping}
    assert {("latency", "payments"), ("5xx", "inventory")} <= {(i["kind"], i["service"]) for i in summary.incidents}
    assert summary.questions[0]["rating"] == "helpful"
    assert "follow up on ledger slowness with the payments team" in summary.open_items
    assert any("still firing" in item for item in summary.open_items)


def test_markdown_html_and_pdf_hold_the_same_facts(summary):
    expected_facts(export.to_markdown(summary))
    page = export.to_html(summary)
    expected_facts(page)
    assert "<svg" in page and "<script" not in page and len(page) < 200_000  # the timeline inline, nothing to fetch or run
    expected_facts(pdf_text(export.to_pdf(page)))


def test_an_empty_window_still_gives_valid_documents(store):
    empty = report.build_summary(
        runtime_for(store=store), Window(ANCHOR - timedelta(days=400), ANCHOR - timedelta(days=399)), Filters()
    )
    assert empty.empty
    for text in (export.to_markdown(empty), export.to_html(empty), pdf_text(export.to_pdf(export.to_html(empty)))):
        assert "Nothing happened in this window" in " ".join(text.split())


def test_model_narrative_is_grounded_in_the_facts(store):
    with fake_openai() as fake:
        fake.reply = "Two alerts are still firing [2]; ledger slowed payments [4]."
        narrator = settings_for(ModelSettings("sk-test", fake.url, "narrator", 5))
        summary = report.build_summary(runtime_for(narrator, store=store), SHIFT, Filters(), NOTES)
        sent = fake.requests[-1]["body"]["messages"][1]["content"]
    assert summary.narrative.startswith("Two alerts are still firing [2]") and summary.narrative_mode == "narrator"
    assert "[4] latency on ledger" in sent and "KubePodCrashLooping" in sent


def test_a_job_runs_in_the_background_and_is_found_after_a_reload(store):
    job = report_jobs.start(runtime_for(store=store), SHIFT, Filters(), NOTES, ZoneInfo("UTC"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and store.report(job)["status"] != "done":
        time.sleep(0.2)
    reloaded = Store.open(store.url)  # what a reloaded page sees
    row = next(r for r in report_jobs.jobs(reloaded) if r["id"] == job)
    assert row["status"] == "done" and row["progress"] == 1.0
    expected_facts(reloaded.report(job)["markdown"], question=False)


def test_a_job_asked_in_korean_is_written_in_korean_by_any_worker(store):
    """The language travels with the job: a worker elsewhere (here: claimed by run_next) writes it alike."""
    runtime = runtime_for(store=store)
    job = store.create_report(iso(SHIFT.start), iso(SHIFT.end), NOTES, {"tz": "Asia/Seoul", "language": "ko"})
    assert report_jobs.run_next(runtime) == job
    done = store.report(job)
    assert done["status"] == "done" and done["markdown"].startswith("# 교대 요약") and "## 인수인계 메모" in done["markdown"]
    assert done["markdown"].splitlines()[0].endswith("(Asia/Seoul)")  # the asker's time zone, not the worker's


def test_a_job_whose_worker_died_is_marked_failed(store):
    job = store.create_report(iso(SHIFT.start), iso(SHIFT.end), "")
    store.update_report(
        job, status="running", progress=0.4, message="reading mesh series", heartbeat=iso(ANCHOR - timedelta(minutes=10))
    )
    row = next(r for r in report_jobs.jobs(store) if r["id"] == job)
    assert row["status"] == "failed" and row["message"].startswith("the worker stopped (no heartbeat for")


def test_a_job_no_worker_claimed_says_so(store):
    """ONCALL_REPORT_WORKER=external and no `oncall worker` running: the job fails, naming the cause."""
    stuck = store.create_report(iso(SHIFT.start), iso(SHIFT.end), "")
    fresh = store.create_report(iso(SHIFT.start), iso(SHIFT.end), "")
    with store.transaction() as db:
        db.exec_driver_sql("UPDATE reports SET heartbeat = ? WHERE id = ?", (iso(utcnow() - timedelta(minutes=11)), stuck))
    rows = {r["id"]: r for r in report_jobs.jobs(store)}
    assert rows[stuck]["status"] == "failed" and "is `oncall worker` running?" in rows[stuck]["message"]
    assert rows[fresh]["status"] == "queued"  # waiting, not yet a problem


def test_report_cli_in_three_formats(tmp_path):
    env = {"ONCALL_DEMO_NOW": iso(ANCHOR), "ONCALL_DATA_DIR": str(tmp_path)}
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    for fmt in ("md", "html", "pdf"):
        out = tmp_path / f"shift.{fmt}"
        result = oncall("report", "--format", fmt, "--out", str(out), "--notes", str(notes), env=env)
        assert result.returncode == 0, result.stderr
        text = pdf_text(out.read_bytes()) if fmt == "pdf" else out.read_text()
        assert "KubePodCrashLooping" in text and "follow up on ledger slowness" in " ".join(text.split())


def test_reports_page_generates_and_offers_downloads(app_env, tmp_path):
    app_env.setenv("ONCALL_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/reports.py").run()
    at.text_area(key="report_notes").input(NOTES).run()
    at.button(key="report_generate").click().run()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not at.get("download_button"):
        time.sleep(0.5)
        at.run()
    assert not at.exception
    assert len(at.get("download_button")) == 2  # Markdown and HTML; PDF is prepared on request
    assert any("follow up on ledger slowness" in m.value for m in at.markdown)


def test_an_unreachable_prometheus_is_named_and_the_summary_still_produced(store):
    unreachable = settings_for(prometheus_url="http://127.0.0.1:9", timeout_seconds=1)
    summary = report.build_summary(runtime_for(unreachable, store=store), SHIFT, Filters(), NOTES)
    assert any(p.startswith("alerts: Prometheus at http://127.0.0.1:9 is unreachable") for p in summary.problems)
    markdown = export.to_markdown(summary)
    assert "Some data could not be read" in markdown and "follow up on ledger slowness" in markdown
    assert "0 firings" not in markdown and "nothing is firing" not in markdown.lower() and "**Unknown**" in markdown


KOREAN_NOTES = "결제 지연: ledger 커넥션 풀이 포화되어 v2.3으로 롤백했습니다.\n- [ ] 내일 오전 결제팀과 원인 분석하기\n"


def pdf_font_names(data: bytes) -> set[str]:
    """The embedded fonts' names without the subset tag. Chromium embeds Noto CJK (CFF outlines)
    as Type 3 fonts, which `pdffonts` lists as [none]; their FontDescriptor still has the name."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            for part in (font, *(d.get_object() for d in font.get("/DescendantFonts", []))):
                if "/FontDescriptor" in part:
                    names.add(str(part["/FontDescriptor"].get_object()["/FontName"]).split("+")[-1])
    return names


def test_korean_notes_print_in_a_hangul_font_and_read_back_intact(store, tmp_path):
    require("pdftotext")
    summary = report.build_summary(runtime_for(store=store), SHIFT, Filters(), KOREAN_NOTES, ZoneInfo("Asia/Seoul"))
    page = export.to_html(summary)
    pdf = tmp_path / "shift.pdf"
    pdf.write_bytes(export.to_pdf(page))
    # The Korean face the stylesheet names, not boxes from a Latin-only font (nor the Japanese face).
    assert "NotoSansCJKkr-Regular" in pdf_font_names(pdf.read_bytes())
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(unicodedata.normalize("NFC", text).split())
    assert "결제 지연: ledger 커넥션 풀이 포화되어 v2.3으로 롤백했습니다." in flat
    assert "내일 오전 결제팀과 원인 분석하기" in flat


def test_the_questions_table_says_no_feedback_and_shortens_answers_after_a_word(store):
    answer = "Checkout waits on ledger, whose connection pool to the payments database is saturated. " * 6
    store.save_answer("req-2", "s", "Why is checkout slow?", answer, "mesh", "offline", iso(SHIFT.start), iso(SHIFT.end), [])
    with store.transaction() as db:
        db.exec_driver_sql("UPDATE answers SET created_at = ?", (iso(ANCHOR - timedelta(hours=1)),))
    markdown = export.to_markdown(report.build_summary(runtime_for(store=store), SHIFT, Filters(), ""))
    row = next(line for line in markdown.splitlines() if line.startswith("| Why is checkout slow?"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2] == "no feedback" and "None" not in row
    shown = cells[1]
    assert shown.endswith("…") and len(shown) <= 301
    kept = shown.removesuffix("…")
    assert answer.startswith(kept) and answer[len(kept)] in " ,."  # whole words only
    assert kept.endswith("ledger, whose")  # the last whole word within 300 characters; "connection" did not fit
