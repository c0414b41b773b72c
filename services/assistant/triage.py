"""Error-log triage: pick error lines, group them into templates, suggest a grounded fix per group."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.assistant import logparse
from services.assistant.context import ACTIONABLE, Source
from services.assistant.offline import runbook_steps
from services.knowledge.index import KnowledgeIndex
from services.llm.client import ChatModel, ModelError, complete
from services.llm.prompts import render
from services.safety.redact import redact

MAX_LINES = 200_000
SEVERITY = {"critical": 0, "error": 1, "warning": 2, "info": 3, "debug": 4, "unknown": 5}


@dataclass
class Group:
    """One kind of event: its template, how many records, and every line of them (1-based)."""

    template: str
    count: int
    first_line: int
    sample: str
    lines: list[int] = field(default_factory=list)
    level: str = "unknown"
    suggestion: str = ""
    citations: list[Source] = field(default_factory=list)
    mode: str = "offline"

    def to_dict(self) -> dict:
        return {
            "template": self.template,
            "count": self.count,
            "lines": self.lines,
            "level": self.level,
            "sample": self.sample,
            "fix": self.suggestion,
            "sources": [{"n": s.n, "source": s.source, "section": s.section} for s in self.citations],
        }


def record_level(record: logparse.Record) -> str:
    """The record's own level, else what it shows: a 5xx or a failure is an error."""
    level = logparse.level_of(record.head)
    if level is not None:
        return level
    status = logparse.http_status(record.head)
    if status is not None:
        return "error" if status >= 500 else "warning" if status >= 400 else "info"
    return "error" if logparse.is_error(record) else "unknown"


def group_lines(text: str, all_lines: bool = False) -> list[Group]:
    """Error records (every record with `all_lines`) grouped into event templates, most frequent first.

    Secrets are redacted before anything is templated or shown; a trace is one record.
    """
    lines = [redact(line) for line in text.splitlines()[:MAX_LINES]]
    layout = logparse.table_layout(lines)
    by_first: dict[int, logparse.Record] = {}
    merging: dict[tuple[str, ...], list[int]] = {}
    final: dict[tuple[str, ...], list[int]] = {}  # access-log templates: status and flags, never merged
    for record in logparse.records(lines):
        if not all_lines and not logparse.is_error(record):
            continue
        by_first[record.first] = record
        template, is_final = logparse.record_template(record, layout.get(record.first))
        (final if is_final else merging).setdefault(template, []).append(record.first)
    groups = []
    for template, firsts in [*logparse.merge_names(merging).items(), *final.items()]:
        records = [by_first[first] for first in sorted(firsts)]
        level = min((record_level(r) for r in records), key=lambda lv: SEVERITY.get(lv, 9))
        numbers = sorted(n for r in records for n in r.lines)
        sample = "\n".join(records[0].text[:12])[:1500]
        groups.append(Group(" ".join(template), len(records), records[0].first, sample, numbers, level))
    return sorted(groups, key=lambda g: (-g.count, g.first_line))


def line_ranges(numbers: list[int]) -> str:
    """1-5, 9, 12-14: line numbers as people read them."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def group_errors(text: str) -> list[Group]:
    """Error lines grouped by template (the Log triage page)."""
    return group_lines(text, all_lines=False)


def _query(group: Group) -> str:
    return re.sub(r"<\*>|\|", " ", group.template)


def suggest(group: Group, index: KnowledgeIndex | None, model: ChatModel | None, lang: str = "en") -> Group:
    """A fix for the group from the best runbooks: the model's grounded answer, else their steps."""
    hits = index.search(_query(group), 3, include_internal=False) if index else []
    if index is not None and hits:
        hits = [index.section(hits[0], ACTIONABLE)] + hits[1:]
    sources = [Source(n, "runbook", h.source, h.section, h.text) for n, h in enumerate(hits, 1)]
    group.citations = sources
    if not sources:
        group.suggestion = (
            "No runbook matches this error; add one (oncall kb check lists what each needs)."
            if lang == "en"
            else "이 에러에 맞는 런북이 없습니다. 런북을 추가하세요."
        )
        return group
    if model is not None:
        passages = "\n\n".join(f"[{s.n}] {s.source} / {s.section}\n{s.text}" for s in sources)
        user = render("triage", count=group.count, template=group.template, sample=group.sample, passages=passages)
        try:
            group.suggestion, group.mode = complete(model, "triage_system", user), model.name
            return group
        except ModelError as exc:
            group.mode = f"offline ({exc})"
    steps = runbook_steps(sources[0])
    group.suggestion = "\n".join(f"- {step} [{sources[0].n}]" for step in steps)
    return group
