"""Korean as a first-class UI language: the catalogues, every page in Korean, the language setting,
and the shift summary in Korean."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from services.assistant.context import PANEL_LABELS
from services.config import SourceSettings
from services.i18n import Catalogue, Language, catalogue, placeholders
from services.reports import export
from services.reports import summary as report
from services.sources.base import Filters
from services.sources.demo import DemoSource
from services.storage import Store
from services.timewindow import Window, iso
from tests.conftest import ANCHOR, runtime_for
from tests.fake_openai import fake_openai

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = ["overview", "alerts", "mesh", "runbooks", "triage", "reports", "insights", "prompts"]  # app.py's, in order

# Words that stay as they are in Korean text: products, protocols, units, formats.
TERMS = {
    "Prometheus", "Alertmanager", "Slack", "PromQL", "Envoy", "Istio", "gRPC", "LLM", "OpenAI", "UTC", "ID", "PDF",
    "HTML", "Markdown", "ms", "req", "USD", "UF", "UO", "URX", "UH", "UC", "NR",
}  # fmt: skip
# A chunk holding one of these is a name, a path, a version, a label pair or an environment variable.
IDENTIFIER = re.compile(r"[0-9@/=_.:\[\]{}<>|`]")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
# Widgets whose options are not the dashboard's texts: data (runbook titles, prompt names), and the
# languages, each named in itself so that anyone finds their own.
OWN_OPTIONS = {"kb_review_doc", "prompt_name", "language"}
# Table columns whose cells are the dashboard's own prose (tuning hints, runbook findings, who saw a
# symptom), not data: the checker reads their cells too.
PROSE_COLUMNS = {"hint", "problem", "suggestion", "seen_by"}


@pytest.fixture(autouse=True)
def env(app_env, tmp_path):
    app_env.setenv("ONCALL_DATA_DIR", str(tmp_path))  # no reports, answers or feedback from other tests
    return app_env


def demo_terms() -> set[str]:
    """The names in the demo data: services, namespaces, clusters, workloads, alert names, labels."""
    data = DemoSource(SourceSettings(demo_now=iso(ANCHOR))).data()
    terms: set[str] = set()
    for series in data.edges:
        terms |= {str(value) for value in vars(series.edge).values()}
    for alert in data.alerts:
        terms |= {alert.alertname, *map(str, alert.labels), *map(str, alert.labels.values())}
    return {word for term in terms for word in WORD.findall(term)}


ALLOWED = {t.lower() for t in TERMS | demo_terms()}


def english_words(text: str, data: frozenset[str] = frozenset()) -> list[str]:
    """The English words in `text` that are neither allowed terms, nor `data`, nor part of an identifier."""
    text = re.sub(r"`[^`]*`", " ", text)  # inline code is data (label names, file paths)
    found = []
    for chunk in text.split():
        chunk = chunk.strip("()[]*,.;:!?\"'“”→—–-·")
        if IDENTIFIER.search(chunk):
            continue
        found += [word for word in WORD.findall(chunk) if word.lower() not in ALLOWED | data]
    return found


def shown_texts(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) for every text the page shows the user: headings, captions, Markdown, alerts,
    metric labels and values, widget labels, placeholders, help, options, tab and expander labels,
    dataframe headers and chart axis titles, in the main area and the sidebar. The conversation's
    own messages (questions and answers) are left out: they are in the language they were asked in."""
    said = {m["content"] for m in at.session_state["chat"]} if "chat" in at.session_state else set()
    found: list[tuple[str, str]] = []

    def add(where: str, value: object) -> None:
        if isinstance(value, str) and value.strip() and value not in said:
            found.append((where, value))

    def walk(node) -> None:
        kind = getattr(node, "type", "")
        for child in getattr(node, "children", {}).values():
            walk(child)
        if kind in ("title", "header", "subheader", "caption", "markdown", "error", "warning", "info", "success", "toast"):
            add(kind, node.value)
        if kind == "metric":
            add("metric", node.label)
            add("metric value", node.value)
        for attribute in ("label", "placeholder", "help"):
            add(f"{kind} {attribute}", getattr(node, attribute, None))
        if kind in ("selectbox", "multiselect", "radio") and getattr(node, "key", None) not in OWN_OPTIONS:
            for option in node.options:
                add(f"{kind} option", option)
        if kind == "progress":
            add("progress", node.proto.text)
        if kind == "dataframe":
            config = json.loads(node.proto.columns or "{}")
            for column in node.value.columns:
                add("dataframe header", (config.get(str(column)) or {}).get("label") or str(column))
                if column in PROSE_COLUMNS:
                    for cell in node.value[column]:
                        add(f"dataframe {column}", cell)
        if kind == "plotly_chart":
            layout = json.loads(node.proto.spec).get("layout", {})
            for axis in ("xaxis", "yaxis"):
                add("chart axis", (layout.get(axis, {}).get("title") or {}).get("text"))
            add("chart legend", ((layout.get("legend") or {}).get("title") or {}).get("text"))

    walk(at._tree)
    return found


def untranslated(at: AppTest, data: tuple[str, ...] = ()) -> list[str]:
    """Texts that equal an English catalogue value (one Korean says differently) or hold English words
    that are not the page's `data` (names and notes stored in the database)."""
    texts = catalogue().texts
    english_only = {value for key, value in texts[Language.EN].items() if texts[Language.KO].get(key) != value}
    known = frozenset(word.lower() for value in data for word in WORD.findall(value))
    problems = []
    for where, value in shown_texts(at):
        if value in english_only:
            problems.append(f"{where}: {value!r} is English catalogue text")
        elif words := english_words(value, known):
            problems.append(f"{where}: {value!r} has English {words}")
    return problems


def korean_app(page: str | None = None, preset: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.context = {"locale": "ko-KR", "timezone": "Asia/Seoul"}
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    if preset:
        at.selectbox(key="preset").select(preset).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


# --- the catalogues ------------------------------------------------------------------------------


def test_both_catalogues_have_the_same_keys_and_placeholders():
    assert catalogue().problems() == []
    assert len(catalogue().texts[Language.KO]) > 300


def test_a_missing_or_mismatched_key_is_a_problem_and_falls_back_to_english(caplog):
    made = Catalogue(
        {
            Language.EN: {"a.title": "Alerts", "a.count": "{count} alerts", "a.gone": "Gone"},
            Language.KO: {"a.title": "얼럿", "a.count": "얼럿 {n}개", "a.extra": "추가"},
        }
    )
    assert made.problems() == [
        "ko lacks a.gone",
        "ko has a.extra, which en lacks",
        "ko a.count: placeholders ['n'], en has ['count']",
    ]
    assert made.text("a.gone", Language.KO) == "Gone" and "has no 'a.gone'" in caplog.text
    with pytest.raises(KeyError):
        made.text("a.nowhere", Language.EN)


def test_every_key_the_code_names_is_in_the_catalogue():
    """Literal keys in the code (t("..."), text("...")); keys built at run time are met by the page tests."""
    literal = re.compile(r"""\b(?:t|text)\(\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"[,)]""")
    files = [
        ROOT / "app.py",
        *(ROOT / "pages").glob("*.py"),
        *(ROOT / "components").glob("*.py"),
        *(ROOT / "services").rglob("*.py"),
    ]
    used = {key for path in files for key in literal.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 200
    assert sorted(used - catalogue().texts[Language.EN].keys()) == []


def test_placeholders_are_named_fields():
    assert placeholders("{count} alerts on {service}") == {"count", "service"}
    assert placeholders("no fields") == set()


def test_locale_picks_the_language():
    assert Language.from_locale("ko-KR") is Language.KO and Language.from_locale("ko") is Language.KO
    for other in ("en-US", "ja-JP", "", None):
        assert Language.from_locale(other) is Language.EN


# --- the checker ---------------------------------------------------------------------------------


def test_the_checker_catches_english_that_bypasses_the_catalogue():
    def page() -> None:
        import streamlit as st

        st.title("개요")
        st.caption("Something")
        st.caption("KubePodCrashLooping `warning` 05-12 18:25부터 — cluster=prod-seoul, p99 320 ms")

    at = AppTest.from_function(page).run()
    assert untranslated(at) == ["caption: 'Something' has English ['Something']"]
    assert english_words("Slack에 게시") == [] and english_words("최악 5xx 비율") == []
    assert english_words("Post to Slack") == ["Post", "to"]


# --- every page in Korean ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "preset"),
    # Each page as it opens, and the longer windows that fill the tables (flapping, incidents).
    [(page, None) for page in PAGES] + [("overview", "Last 6 hours"), ("alerts", "Last 24 hours"), ("mesh", "Last 6 hours")],
)
def test_every_page_in_korean_shows_no_english(page, preset):
    at = korean_app(page, preset)
    assert at.title[0].value == catalogue().text(f"{page}.title", Language.KO)
    # The prompts' authors and notes, and who saves, are data (the anonymous local user here).
    stored = [v[field] for v in prompt_versions() for field in ("author", "note")] if page == "prompts" else []
    assert untranslated(at, (*stored, "anonymous")) == []


def prompt_versions() -> list[dict]:
    store = Store.open(runtime_for().settings.storage.db_url)
    return [v for name in store.prompt_names() for v in store.prompt_versions(name)]


def test_every_tab_of_the_runbooks_page_and_its_index_table_in_korean():
    at = korean_app("runbooks")
    assert [t.label for t in at.tabs] == ["검색", "인덱스", "품질"]
    headers = json.loads(at.dataframe[0].proto.columns)
    assert {headers[c]["label"] for c in ("root", "path", "reason")} == {"폴더", "파일", "사유"}


def test_the_sidebar_in_korean_with_a_custom_range_and_auto_refresh():
    at = korean_app()
    at.selectbox(key="preset").select("Custom range").run()
    at.toggle(key="auto_refresh").set_value(True).run()
    assert not at.exception
    assert at.radio(key="refresh_every").options == ["30초", "1분", "5분"]
    assert any(c.value.startswith("60초마다 자동 새로고침") for c in at.caption)
    assert untranslated(at) == []


def test_the_chat_panel_in_korean_with_an_answer_feedback_and_an_escalation():
    at = korean_app()
    at.chat_input(key="chat_input").set_value("지금 뭐가 울리고 있어?").run()
    assert not at.exception, [e.message for e in at.exception]
    assert {b.label for b in at.button if b.key and b.key.startswith("fb_")} == {"해결됨", "도움됨", "도움 안 됨", "관련 없음"}
    assert untranslated(at, cited(at)) == []
    at.button(key="fb_helpful_1").click().run()
    at.button(key="escalate_1").click().run()
    assert any(c.value == "피드백: 도움됨" for c in at.caption)
    assert any("온콜 대시보드에서 에스컬레이션" in c.value for c in at.code)
    assert untranslated(at, cited(at)) == []


def cited(at: AppTest) -> tuple[str, ...]:
    """The answers' runbook sources: files and sections (the panels of facts the assistant read are
    the dashboard's own labels, and must be in Korean)."""
    return tuple(
        part
        for m in at.session_state["chat"]
        for c in m.get("meta", {}).get("citations", [])
        if c["source"] not in PANEL_LABELS
        for part in (c["source"], c["section"] or "")
    )


def sources_list(at: AppTest) -> list[str]:
    """The lines of the "Sources (n)" expanders."""
    return [m.value for e in at.expander if e.label.startswith("출처") for m in e.markdown]


# --- the prose the services write ----------------------------------------------------------------


def test_alert_tuning_hints_in_korean():
    at = korean_app("alerts", "Last 24 hours")
    hints = [value for where, value in shown_texts(at) if where == "dataframe hint"]
    assert any("keep_firing_for" in h for h in hints) and any("`for:`" in h for h in hints), hints
    assert all("히스테리시스" in h or "저절로 해소" in h for h in hints)
    assert untranslated(at) == []


@pytest.mark.parametrize(
    # The crash-looping service (its own errors), and one whose walk goes down its dependencies.
    ("service", "steps"),
    [("recommendation", False), ("checkout", True)],
)
def test_an_investigation_on_the_mesh_page_in_korean(service, steps):
    at = korean_app("mesh", "Last 6 hours")
    label = next(o for o in at.selectbox(key="graph_service").options if o.endswith(f"/{service}"))
    at.selectbox(key="graph_service").select(label).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(e.value.startswith("**추정 원인**") for e in at.error)
    assert any(m.value.startswith("- ") for m in at.markdown) is steps
    assert untranslated(at) == []


def test_runbook_findings_in_korean():
    at = korean_app("runbooks")
    findings = [value for where, value in shown_texts(at) if where in ("dataframe problem", "dataframe suggestion")]
    assert findings  # the bundled runbooks have findings to show
    assert untranslated(at) == []


def test_the_index_steps_are_in_the_catalogue():
    """The index reports its steps by code (services/knowledge/index.py); the Runbooks page shows them."""
    source = (ROOT / "services" / "knowledge" / "index.py").read_text(encoding="utf-8")
    steps = set(re.findall(r"""progress\([^\n]*,\s*"([a-z_]+)"\)""", source))
    assert steps == {"embedding"}
    for step in steps:
        assert catalogue().text(f"index_step.{step}", Language.KO) != catalogue().text(f"index_step.{step}", Language.EN)


def test_a_proposed_silence_and_the_sources_in_korean(monkeypatch, alertmanager_url):
    monkeypatch.setenv("ALERTMANAGER_URL", alertmanager_url)
    with fake_openai() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        call = {
            "name": "create_silence",
            "arguments": {"matchers": {"alertname": "KubePodCrashLooping"}, "duration_minutes": 30, "comment": "롤백 중"},
        }
        fake.script = [{"content": "no JSON here"}, {"tool_calls": [call]}, {"content": "30분 사일런스를 제안했습니다 [1]."}]
        at = korean_app()
        at.chat_input(key="chat_input").set_value("크래시 루프 얼럿을 30분 동안 사일런스해줘").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(c.value.startswith("작업 내용: 지금 발생 중인 얼럿") for c in at.caption), [c.value for c in at.caption]
    assert untranslated(at, cited(at)) == []


def test_the_sources_list_names_the_panels_in_korean():
    at = korean_app()
    at.chat_input(key="chat_input").set_value("지금 뭐가 울리고 있어?").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = sources_list(at)
    assert any("얼럿: 범위 끝 시점에 발생 중" in line for line in shown), shown
    assert not any(label in line for line in shown for label in PANEL_LABELS)
    assert untranslated(at, cited(at)) == []


def test_checkpoint_questions_are_asked_in_the_ui_language():
    at = korean_app()
    assert at.button(key="checkpoint_0").label == "얼럿 요약"
    at.button(key="checkpoint_0").click().run()
    assert at.session_state["chat"][0]["content"] == "이 기간의 얼럿과 관련된 클러스터, 서비스를 요약해줘."


def test_feedback_buttons_are_laid_out_two_a_row():
    """Four buttons in one row of the narrow panel shrink to a letter each: two rows of two instead."""
    at = korean_app()
    at.chat_input(key="chat_input").set_value("what is firing?").run()

    def buttons(block) -> list[str]:
        return [c.key for c in block.children.values() if c.type == "button" and (c.key or "").startswith("fb_")]

    rows = []

    def walk(node) -> None:
        children = getattr(node, "children", {}).values()
        columns = [c for c in children if c.type == "column"]
        if any(buttons(c) for c in columns):
            rows.append([buttons(c) for c in columns])
        for child in children:
            walk(child)

    walk(at._tree)
    assert rows == [[["fb_resolved_1"], ["fb_helpful_1"]], [["fb_not_helpful_1"], ["fb_not_relevant_1"]]]


# --- the language setting ------------------------------------------------------------------------


def nav_titles(at: AppTest) -> list[str]:
    """The navigation's page titles (AppTest keeps what st.navigation registered)."""
    return [info["page_name"] for info in at._registered_pages.values()]


@pytest.mark.parametrize("locale", ["en-US", "de-DE", None])
def test_english_is_the_default_when_the_browser_is_not_korean(locale):
    at = AppTest.from_file(APP, default_timeout=90)
    at.context = {"locale": locale}
    at.run()
    assert at.selectbox(key="language").value == Language.EN
    assert at.title[0].value == "Overview" and nav_titles(at)[:3] == ["Overview", "Alerts", "Mesh"]
    # The pages the Korean tests open are all of app.py's.
    assert [info["url_pathname"] or "overview" for info in at._registered_pages.values()] == PAGES


def test_a_korean_browser_gets_korean_and_switching_in_the_sidebar_switches_the_page():
    at = korean_app("alerts")
    assert at.selectbox(key="language").value == Language.KO
    assert at.title[0].value == "얼럿" and "시간 범위" in [s.label for s in at.sidebar.selectbox]
    assert nav_titles(at) == ["개요", "얼럿", "메시", "런북", "로그 트리아지", "교대 요약", "인사이트", "프롬프트"]
    at.selectbox(key="preset").select("Last 6 hours").run()
    at.selectbox(key="language").select(Language.EN).run()
    assert not at.exception
    assert at.title[0].value == "Alerts" and nav_titles(at)[1] == "Alerts"
    assert at.selectbox(key="preset").value == "Last 6 hours"  # the window survives the switch
    at.selectbox(key="language").select(Language.KO).run()
    assert at.title[0].value == "얼럿" and at.selectbox(key="preset").value == "Last 6 hours"


# --- the shift summary ---------------------------------------------------------------------------


def test_a_shift_summary_in_korean_has_korean_headings_and_framing(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    shift = Window(ANCHOR - timedelta(hours=8), ANCHOR)
    summary = report.build_summary(
        runtime_for(store=store), shift, Filters(), "- [ ] 결제팀과 원인 분석", ZoneInfo("Asia/Seoul"), language=Language.KO
    )
    markdown = export.to_markdown(summary)
    for heading in (
        "# 교대 요약",
        "## 요약",
        "## 얼럿",
        "### 계속 발생 중",
        "### 플래핑",
        "## 메시 인시던트",
        "## 인수인계 메모",
        "## 미결 항목",
    ):
        assert f"\n{heading}" in f"\n{markdown}", heading
    assert "| 얼럿 | 심각도 | 서비스 | 클러스터 | 발생 시작 |" in markdown
    assert summary.narrative.startswith("이번 교대 근무 중: 얼럿") and "인수인계 시점 발생 중:" in summary.narrative
    assert any("계속 발생 중" in item for item in summary.open_items) and "결제팀과 원인 분석" in summary.open_items
    for english in (
        "Shift summary",
        "Still firing",
        "Handover notes",
        "The shift saw",
        "still firing on",
        "state changes",
        "hysteresis",
    ):
        assert english not in markdown, english
    assert summary.flapping and all("상태가" in f["hint"] for f in summary.flapping)  # the tuning hints too
    page = export.to_html(summary)
    assert '<html lang="ko">' in page and "<h2>얼럿</h2>\n<svg" in page and "<title>교대 요약" in page


def test_a_shift_summary_is_english_by_default(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    summary = report.build_summary(runtime_for(store=store), Window(ANCHOR - timedelta(hours=1), ANCHOR), Filters())
    markdown = export.to_markdown(summary)
    assert summary.language is Language.EN and markdown.startswith("# Shift summary") and "## Open items" in markdown


def test_progress_messages_are_in_the_summary_language(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    steps: list[str] = []
    report.build_summary(
        runtime_for(store=store),
        Window(ANCHOR - timedelta(hours=1), ANCHOR),
        Filters(),
        progress=lambda fraction, what: steps.append(what),
        language=Language.KO,
    )
    assert steps == ["얼럿 읽는 중", "메시 시계열 읽는 중", "질문과 피드백 읽는 중", "요약문 작성 중", "완료"]


def test_the_reports_page_in_korean_lists_a_job(tmp_path):
    at = korean_app("reports")
    at.button(key="report_generate").click().run()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not at.get("download_button"):
        time.sleep(0.5)
        at.run()
    assert not at.exception
    assert at.expander[0].label.endswith("· 완료") and at.button(key="make_pdf_1").label == "PDF 준비"
