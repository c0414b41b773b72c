"""Retrieval quality on labelled sets: recall@1, recall@5 and mean reciprocal rank.

Two kinds of case: {"q", "lang", "expected"} names the runbook (a source as search returns it);
{"q", "lang", "source", "path"} names the section: the file (relative to its folder) and the
heading chain from the page's title down to the heading that answers. A hit is right when it is
that file and its chunk lies inside that section.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from services.knowledge.index import Hit, KnowledgeIndex


@dataclass(frozen=True)
class Scores:
    cases: int
    recall_at_1: float
    recall_at_5: float
    mrr: float


def load_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _normal(heading: str) -> str:
    return " ".join(heading.strip().strip("`").lower().split())


def is_right(hit: Hit, case: dict) -> bool:
    """Whether `hit` answers `case` (see the module docstring)."""
    if "expected" in case:
        return hit.source == case["expected"]
    if hit.path != case["source"]:
        return False
    chain = [_normal(hit.title)] + [_normal(h) for h in hit.section.split(" > ") if h]
    wanted = [_normal(h) for h in case.get("path") or [case["section"]]]
    # The labelled chain, wherever it starts in the hit's: the hit's chunk is inside that section.
    for start in range(len(chain) - len(wanted) + 1):
        if chain[start : start + len(wanted)] == wanted:
            return True
    return False


def ranks(index: KnowledgeIndex, cases: list[dict], k: int = 5) -> list[int | None]:
    out = []
    for case in cases:
        hits = index.search(case["q"], k)
        out.append(next((i + 1 for i, hit in enumerate(hits) if is_right(hit, case)), None))
    return out


def score(index: KnowledgeIndex, cases: list[dict]) -> Scores:
    found = ranks(index, cases)
    n = len(found) or 1
    return Scores(
        cases=len(found),
        recall_at_1=sum(r == 1 for r in found) / n,
        recall_at_5=sum(r is not None for r in found) / n,
        mrr=sum(1 / r for r in found if r) / n,
    )
