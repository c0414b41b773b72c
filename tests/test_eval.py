"""`oncall eval`: the labelled sets scored offline, the judge with a model, feedback exported as cases."""

import json

from services.assistant.evaluation import export_not_helpful, judge
from services.storage import Store
from services.timewindow import iso
from tests.conftest import ANCHOR, chat_model, oncall
from tests.fake_openai import fake_openai


def test_eval_cli_scores_the_sets(tmp_path, bundled_index_dir):
    env = {"ONCALL_DEMO_NOW": iso(ANCHOR), "ONCALL_DATA_DIR": str(tmp_path), "ONCALL_INDEX_DIR": str(bundled_index_dir)}
    result = oncall("eval", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["router_cases"] >= 40 and report["router_accuracy"] >= 0.95
    assert set(report["retrieval"]) == {"en", "ko", "en (sections)", "ko (sections)"}
    assert all(report["retrieval"][lang]["recall_at_5"] >= 0.97 for lang in ("en", "ko"))
    assert all(report["retrieval"][f"{lang} (sections)"]["recall_at_5"] >= 0.85 for lang in ("en", "ko"))
    assert report["answer_cases"] >= 10 and report["answer_fact_recall"] >= 0.9
    assert report["judge"] is None  # no model configured


def test_judge_grades_with_the_model():
    with fake_openai() as fake:
        fake.reply = json.dumps({"groundedness": 4, "relevance": 5, "reason": "cites [1]"})
        grade = judge("what is firing?", "KubePodCrashLooping [1]", "[1] panel: firing", chat_model(fake.url, "judge", 5))
        request = fake.requests[-1]["body"]
    assert grade["groundedness"] == 4 and grade["relevance"] == 5
    assert (
        request["response_format"] == {"type": "json_object"} and "KubePodCrashLooping [1]" in request["messages"][1]["content"]
    )
    with fake_openai() as fake:
        fake.reply = "five stars"
        assert judge("q", "a", "c", chat_model(fake.url, "judge", 5)) is None


def test_not_helpful_answers_become_new_cases(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.save_answer("r1", "s", "why is ledger slow?", "I don't know.", "istio_p99_latency", "offline", "f", "t", [])
    store.add_feedback("r1", "s", "not_helpful", "it should have looked at the DB")
    store.save_answer("r2", "s", "what is firing?", "X [1]", "alerts", "offline", "f", "t", [])
    store.add_feedback("r2", "s", "helpful")
    out = tmp_path / "cases.jsonl"
    assert export_not_helpful(store, out) == 1
    case = json.loads(out.read_text())
    assert case["q"] == "why is ledger slow?" and case["expected"] == [] and case["comment"] == "it should have looked at the DB"
