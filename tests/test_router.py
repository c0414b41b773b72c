"""The question router: the labelled set offline, the model router and its fallback, the CLI."""

import json
from pathlib import Path

from services.assistant.router import route, route_offline
from services.timewindow import parse_time
from tests.conftest import chat_model, oncall
from tests.fake_openai import fake_openai

SETS = sorted((Path(__file__).resolve().parents[1] / "data" / "eval").glob("router*.jsonl"))
CASES = [json.loads(line) for path in SETS for line in path.read_text(encoding="utf-8").splitlines()]
KEYS = ("action_type", "from_datetime", "to_datetime")


def test_labelled_sets_offline_by_category():
    """Every category of every labelled set (written apart from the rules) is routed right."""
    assert len(CASES) >= 500
    assert {c["q"][0] >= "가" for c in CASES} == {True, False}  # Korean and English
    by_category: dict[str, list] = {}
    for case in CASES:
        got = route_offline(case["q"], parse_time(case["now"])).to_dict()
        by_category.setdefault(case.get("category", "-"), []).append(
            (case["q"], got) if got != {k: case[k] for k in KEYS} else None
        )
    wrong = {c: [m for m in misses if m] for c, misses in by_category.items()}
    assert {"compact_units", "fractions", "named_time", "open_range", "topic_report", "typos_mixed"} <= set(by_category)
    for category, misses in by_category.items():
        assert 1 - len(wrong[category]) / len(misses) >= 0.95, (category, wrong[category])


def test_topic_with_report_is_that_topic_and_a_time_of_day_composes():
    now = parse_time("2023-12-02T19:37:00+09:00")  # the original design's own examples
    yesterday_now = route_offline("어제 현재시각에 있었던 얼럿들을 정리해 봐", now).to_dict()
    assert yesterday_now == {
        "action_type": "alerts",
        "from_datetime": "2023-12-01T18:37:00+09:00",
        "to_datetime": "2023-12-01T19:37:00+09:00",
    }
    assert route_offline("11월 3일 오전 8시에 있었던 얼럿들을 정리해 봐", now).to_dict() == {
        "action_type": "alerts",
        "from_datetime": "2023-11-03T07:00:00+09:00",
        "to_datetime": "2023-11-03T08:00:00+09:00",
    }
    assert route_offline("error report", now).action_type == "istio_http_errors"
    assert route_offline("전체 리포트", now).action_type == "summary"


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
