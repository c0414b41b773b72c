"""The Runbooks page, headless: search, index status and rebuild, quality and LLM review."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.knowledge.index import KnowledgeIndex
from tests.fake_openai import fake_openai

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def env(app_env):
    return app_env


def runbooks_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/runbooks.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_search_in_korean_finds_and_marks_the_runbook():
    at = runbooks_page()
    at.text_input(key="kb_query").input("파드가 계속 재시작돼요").run()
    assert not at.exception
    results = [m.value for m in at.markdown if m.value.startswith("**1.")]
    assert results and "kubernetes/KubePodCrashLooping.md" in results[0]
    assert any("<mark>" in h.proto.body for h in at.get("html"))


def test_index_status():
    at = runbooks_page()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Documents"] == "119" and shown["Embedder"] == "use-multilingual-v3"
    skipped = at.dataframe[0].value
    assert "no content (an index page or an empty file)" in set(skipped["reason"])


def test_a_missing_index_is_built_in_the_background_and_rebuilt_from_the_page(monkeypatch, tmp_path):
    monkeypatch.setenv("ONCALL_INDEX_DIR", str(tmp_path / "kb"))
    at = runbooks_page()  # the first view starts the build; the page shows it when done
    assert not [w for w in at.warning if "index" in w.value.lower()] and KnowledgeIndex.exists(tmp_path / "kb")
    assert any("Runbooks: 119 documents indexed." in c.value for c in at.caption)  # the chat panel's state line
    at.button(key="kb_rebuild").click().run()
    assert not at.exception
    assert any(s.value.startswith("Indexed 119 documents") for s in at.success)
    assert KnowledgeIndex.exists(tmp_path / "kb")


def test_an_index_that_cannot_be_built_is_explained(monkeypatch):
    monkeypatch.setenv("ONCALL_INDEX_DIR", "/proc/oncall-no-such-place/kb")
    at = runbooks_page()
    assert not at.exception
    assert any("/proc/oncall-no-such-place" in w.value for w in at.warning)  # names the place, no traceback


def test_quality_report_and_llm_review(monkeypatch):
    with fake_openai() as fake:
        fake.reply = "- **Diagnosis**: add `kubectl get events`."
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        at = runbooks_page()
        findings = next(d.value for d in at.dataframe if "suggestion" in d.value.columns)
        assert "etcd/etcdNoLeader.md" in set(findings["source"])
        at.selectbox(key="kb_review_doc").select("etcdNoLeader (etcd/etcdNoLeader.md)").run()
        at.button(key="kb_review").click().run()
        assert not at.exception
        assert any("kubectl get events" in m.value for m in at.markdown)
        assert "etcdNoLeader" in str(fake.requests[-1]["body"]["messages"])


def test_the_quality_tab_does_not_rescan_the_folders_on_every_view(monkeypatch):
    from services.knowledge import indexing

    scans = []
    original = indexing.check_runbooks
    monkeypatch.setattr(indexing, "check_runbooks", lambda roots: scans.append(1) or original(roots))
    at = runbooks_page()
    at.text_input(key="kb_query").input("etcd has no leader").run()
    at.run()
    assert not at.exception and len(scans) <= 1
