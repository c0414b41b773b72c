"""Retrieval quality on a labelled set: recall@1, recall@5 and mean reciprocal rank."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from services.knowledge.index import KnowledgeIndex


@dataclass(frozen=True)
class Scores:
    cases: int
    recall_at_1: float
    recall_at_5: float
    mrr: float


def load_cases(path: Path) -> list[dict]:
    """JSON lines of {"q", "lang", "expected"} (expected: a source as search returns it)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(index: KnowledgeIndex, cases: list[dict]) -> Scores:
    ranks = []
    for case in cases:
        sources = [h.source for h in index.search(case["q"], 5)]
        ranks.append(sources.index(case["expected"]) + 1 if case["expected"] in sources else None)
    n = len(ranks) or 1
    return Scores(
        cases=len(ranks),
        recall_at_1=sum(r == 1 for r in ranks) / n,
        recall_at_5=sum(r is not None for r in ranks) / n,
        mrr=sum(1 / r for r in ranks if r) / n,
    )
