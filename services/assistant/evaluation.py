"""`oncall eval`: the labelled sets (router, retrieval, answers) run through the assistant.

With a model configured, the answers are also graded by the model (LLM-as-judge) for
groundedness and relevance. Answers rated Not helpful can be exported as new cases to label.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from services.assistant.answers import ask, prepare
from services.assistant.offline import language as offline_language
from services.assistant.router import route
from services.config import DATA_DIR
from services.knowledge.recall import load_cases, score
from services.llm.client import ChatModel, ModelError, complete
from services.llm.prompts import render
from services.runtime import Runtime
from services.storage import Store
from services.timewindow import parse_time

SETS = DATA_DIR / "eval"
KEYS = ("action_type", "from_datetime", "to_datetime")
# Sets about the bundled runbooks (the onepage collection has its own index: benchmarks/kb.py).
RETRIEVAL_SETS = {"retrieval.jsonl": "file", "retrieval_sections.jsonl": "section"}
log = logging.getLogger(__name__)


@dataclass
class EvalReport:
    router_accuracy: float
    router_cases: int
    router_by_category: dict[str, dict]
    retrieval: dict[str, dict]
    answer_fact_recall: float
    answer_cases: int
    judge: dict | None
    failures: list[str]

    def to_dict(self) -> dict:
        return self.__dict__


def run(sets: Path, runtime: Runtime, now: datetime) -> EvalReport:
    """Every labelled set in `sets`, scored; `failures` names each miss."""
    model, index = runtime.model, runtime.index
    if index is None:
        raise ValueError("the evaluation needs a runbook index")
    failures: list[str] = []
    router_cases = [c for path in sorted(sets.glob("router*.jsonl")) for c in load_cases(path)]
    right = 0
    by_category: dict[str, list[int]] = {}
    for case in router_cases:
        got = route(case["q"], parse_time(case["now"]), model)[0].to_dict()
        tally = by_category.setdefault(case.get("category", "uncategorized"), [0, 0])
        tally[1] += 1
        if got == {k: case[k] for k in KEYS}:
            right += 1
            tally[0] += 1
        else:
            failures.append(f"router: {case['q']!r} -> {got}")
    router_by_category = {c: {"right": r, "cases": n, "accuracy": r / n} for c, (r, n) in sorted(by_category.items())}
    retrieval = {}
    for name, level in RETRIEVAL_SETS.items():  # file-level, then section-level over the same runbooks
        if not (sets / name).is_file():
            continue
        retrieval_cases = load_cases(sets / name)
        for lang in sorted({c["lang"] for c in retrieval_cases}):
            s = score(index, [c for c in retrieval_cases if c["lang"] == lang])
            key = lang if level == "file" else f"{lang} (sections)"
            retrieval[key] = {"cases": s.cases, "recall_at_1": s.recall_at_1, "recall_at_5": s.recall_at_5, "mrr": s.mrr}
    answer_cases = load_cases(sets / "answers.jsonl")
    found = total = 0
    grades = []
    offline = replace(runtime, model=None, index_loader=lambda: index)  # the judge's context, routed by the rules
    for case in answer_cases:
        answer = ask(case["q"], now, runtime, session="eval")
        # Each expectation is a fact of the data (an alert, a service, a flag), never a UI phrase:
        # the language and whether the question was answerable are checked as behaviour.
        checks = [(fact, fact in answer.text) for fact in case["expected"]]
        checks.append((f"answered in {case.get('lang', 'en')}", offline_language(answer.text) == case.get("lang", "en")))
        if case.get("answerable", True) is False:
            checks.append(("declined with no facts cited", answer.action_type == "unknown" and not answer.citations))
        missed = [what for what, ok in checks if not ok]
        found, total = found + len(checks) - len(missed), total + len(checks)
        if missed:
            failures.append(f"answer: {case['q']!r} misses {missed}")
        if model is not None:
            grade = judge(case["q"], answer.text, prepare(case["q"], now, offline).context.render(3000), model)
            if grade:
                grades.append(grade)
    judged = None
    if grades:
        judged = {k: sum(g[k] for g in grades) / len(grades) for k in ("groundedness", "relevance")} | {"cases": len(grades)}
    return EvalReport(
        right / len(router_cases),
        len(router_cases),
        router_by_category,
        retrieval,
        found / max(total, 1),
        len(answer_cases),
        judged,
        failures,
    )


def judge(question: str, answer: str, context: str, model: ChatModel) -> dict | None:
    """The model's 1-5 grades of an answer, or None if it gives no valid grade."""
    try:
        raw = complete(
            model,
            "judge",
            render("judge", question=question, context=context, answer=answer),
            response_format={"type": "json_object"},
            session="eval",
        )
        grade = json.loads(raw)
        if all(isinstance(grade.get(k), (int, float)) and 1 <= grade[k] <= 5 for k in ("groundedness", "relevance")):
            return grade
    except (ModelError, ValueError) as exc:
        log.warning("the judge gave no grade: %s", exc)
        return None
    log.warning("the judge's grade is out of range: %s", raw[:200])
    return None


def export_not_helpful(store: Store, out: Path) -> int:
    """Questions whose answers were rated Not helpful, as answer cases to label (expected left empty)."""
    rows = [r for r in store.feedback_rows() if r["rating"] == "not_helpful" and r.get("question")]
    with out.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(
                json.dumps(
                    {
                        "q": r["question"],
                        "expected": [],
                        "answer": r["answer"],
                        "comment": r["comment"],
                        "request_id": r["request_id"],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return len(rows)
