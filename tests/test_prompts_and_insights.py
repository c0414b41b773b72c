"""The Prompts page and CLI (versions, diff, rollback, try it) and the Insights page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.storage import AuditRecord
from tests.conftest import default_store, oncall
from tests.fake_openai import fake_openai

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def env(app_env, tmp_path):
    app_env.setenv("ONCALL_DATA_DIR", str(tmp_path))  # a fresh database per test
    return app_env


def page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_edit_diff_save_and_rollback_a_prompt():
    at = page("prompts")
    at.selectbox(key="prompt_name").select("router").run()
    original = default_store().prompt("router")["text"]
    at.text_area(key="prompt_text_router_1").input(original + "\nPrefer the last 6 hours when unsure.").run()
    assert any("+Prefer the last 6 hours when unsure." in c.value for c in at.code)
    assert not [t for t in at.text_input if t.key == "prompt_author"]  # the author is who is signed in, not a text box
    at.text_input(key="prompt_note").input("default window").run()
    at.button(key="prompt_save").click().run()
    latest = default_store().prompt("router")
    assert (latest["version"], latest["author"], latest["note"]) == (2, "anonymous", "default window")
    at.button(key="rollback_1").click().run()
    latest = default_store().prompt("router")
    assert (latest["version"], latest["text"], latest["note"]) == (3, original, "rollback to v1")


def test_try_it_runs_the_draft_on_the_current_window(app_env):
    with fake_openai() as fake:
        app_env.setenv("OPENAI_API_KEY", "sk-test")
        app_env.setenv("OPENAI_BASE_URL", fake.url)
        fake.script = [{"content": "Draft says: two alerts are firing [1]."}]
        at = page("prompts")
        draft = default_store().prompt("assistant_system")["text"] + "\nStart every answer with 'Draft says:'."
        at.text_area(key="prompt_text_assistant_system_1").input(draft).run()
        at.button(key="prompt_try").click().run()
        assert not at.exception
        system = fake.requests[-1]["body"]["messages"][0]["content"]
    assert "Start every answer with 'Draft says:'." in system
    assert any("Draft says: two alerts are firing" in m.value for m in at.markdown)
    assert default_store().prompt("assistant_system")["version"] == 1  # trying does not save


def test_prompts_cli_round_trip(tmp_path):
    env = {"ONCALL_DATA_DIR": str(tmp_path)}
    new = tmp_path / "router.md"
    new.write_text("Route questions. Reply with JSON.\n")
    assert oncall("prompts", "set", "router", str(new), "--author", "carol", env=env).stdout.strip() == "router v2"
    assert oncall("prompts", "show", "router", env=env).stdout == "Route questions. Reply with JSON.\n"
    assert "Reply with one JSON object" in oncall("prompts", "show", "router", "--version", "1", env=env).stdout
    assert oncall("prompts", "rollback", "router", "1", "--author", "carol", env=env).stdout.strip() == "router v3 (= v1)"
    listing = oncall("prompts", "list", env=env).stdout
    assert "router" in listing and "v3" in listing and "rollback to v1" in listing
    missing = oncall("prompts", "rollback", "router", "9", "--author", "carol", env=env)
    assert missing.returncode == 1 and missing.stderr.strip() == "oncall: error: prompt router has no version 9"


def test_insights_page_shows_feedback_and_cost():
    store = default_store()
    store.save_answer("r1", "s", "What is firing?", "a", "alerts", "gpt-4o-mini", "f", "t", [])
    store.add_feedback("r1", "s", "helpful")
    store.audit(
        AuditRecord(
            "r1", "s", "alerts", "assistant_system", "assistant_system@v1", "gpt-4o-mini", 1000, 200, 0.00027, 850.0, "ok"
        )
    )
    at = page("insights")
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"Answers": "1", "Ratings": "1", "Helpful": "100%", "Model cost": "$0.00"}
    assert len(at.get("plotly_chart")) == 2
    slowest = next(d.value for d in at.dataframe if "latency_ms" in d.value.columns)
    assert slowest["request_id"].tolist() == ["r1"]
