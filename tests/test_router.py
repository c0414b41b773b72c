"""The question router: the labelled set offline, the model router and its fallback, the CLI."""

import json
from pathlib import Path

from services.assistant.router import route, route_offline
from services.timewindow import parse_time
from tests.conftest import chat_model, oncall
from tests.fake_openai import fake_openai

SET = Path(__file__).resolve().parents[1] / "data" / "eval" / "router.jsonl"
CASES = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]
KEYS = ("action_type", "from_datetime", "to_datetime")


def test_labelled_set_offline():
    assert len(CASES) >= 40
    assert {c["q"][0] >= "가" for c in CASES} == {True, False}  # Korean and English
    wrong = []
    for case in CASES:
        got = route_offline(case["q"], parse_time(case["now"])).to_dict()
        if got != {k: case[k] for k in KEYS}:
            wrong.append((case["q"], got))
    accuracy = 1 - len(wrong) / len(CASES)
    assert accuracy >= 0.95, wrong


def test_model_router_is_used_when_its_answer_is_valid():
    now = parse_time("2026-11-21T15:30:00+09:00")
    answer = {"action_type": "alerts", "from_datetime": "2026-11-21T10:00:00+09:00", "to_datetime": "2026-11-21T11:00:00+09:00"}
    with fake_openai() as fake:
        fake.script = [{"content": json.dumps(answer)}]
        found, mode = route(
            "오전 10시에서 11시 사이 얼럿, token=ghp_abcdefghijklmnopqrstuvwxyz0123", now, chat_model(fake.url, "router-model", 5)
        )
        request = fake.requests[-1]["body"]
    assert (found.to_dict(), mode) == (answer, "model")
    assert request["temperature"] == 0 and request["seed"] == 0 and request["response_format"] == {"type": "json_object"}
    assert "NOW: 2026-11-21T15:30:00+09:00" in json.dumps(request["messages"], ensure_ascii=False)
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123" not in json.dumps(request["messages"])


def test_invalid_model_answers_fall_back_to_the_rules():
    now = parse_time("2026-11-21T15:30:00+09:00")
    bad_answers = [
        {"content": "sure! the window is the last hour"},  # not JSON
        {
            "content": json.dumps(
                {
                    "action_type": "weather",
                    "from_datetime": "2026-11-21T14:30:00+09:00",
                    "to_datetime": "2026-11-21T15:30:00+09:00",
                }
            )
        },
        {
            "content": json.dumps(
                {
                    "action_type": "alerts",
                    "from_datetime": "2026-11-21T05:30:00+00:00",
                    "to_datetime": "2026-11-21T06:30:00+00:00",
                }
            )
        },  # other offset
        {
            "content": json.dumps(
                {
                    "action_type": "alerts",
                    "from_datetime": "2026-11-21T16:00:00+09:00",
                    "to_datetime": "2026-11-21T15:00:00+09:00",
                }
            )
        },
        {"status": 500},
    ]
    expected = route_offline("지난 3시간 얼럿", now).to_dict()
    with fake_openai() as fake:
        for bad in bad_answers:
            fake.script = [bad, bad, bad]  # the client retries server errors
            found, mode = route("지난 3시간 얼럿", now, chat_model(fake.url, "router-model", 5))
            assert (found.to_dict(), mode) == (expected, "offline"), bad


def test_route_cli_single_and_batch(tmp_path):
    one = oncall("route", "11월 3일 오전 8시 얼럿", "--now", "2026-11-21T15:30:00+09:00")
    assert json.loads(one.stdout) == {
        "action_type": "alerts",
        "from_datetime": "2026-11-03T07:00:00+09:00",
        "to_datetime": "2026-11-03T08:00:00+09:00",
    }
    batch = tmp_path / "in.jsonl"
    batch.write_text(
        "\n".join(json.dumps({"q": c["q"], "now": c["now"]}, ensure_ascii=False) for c in CASES[:10]), encoding="utf-8"
    )
    lines = oncall("route", "--batch", str(batch)).stdout.splitlines()
    assert [json.loads(line) for line in lines] == [{k: c[k] for k in KEYS} for c in CASES[:10]]
