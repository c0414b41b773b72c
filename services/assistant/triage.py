"""Error-log triage: pick error lines, group them into templates, suggest a grounded fix per group."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.assistant.context import ACTIONABLE, Source
from services.assistant.offline import runbook_steps
from services.knowledge.index import KnowledgeIndex
from services.llm.client import ChatModel, ModelError, complete
from services.llm.prompts import render
from services.safety.redact import redact

MAX_LINES = 200_000
_ERROR = re.compile(
    r"\b(?:error|errors|err|fatal|critical|panic|exception|traceback|failed|failure|refused|timeout|timed out|oomkilled)\b"
    r"|level=(?:error|fatal)|\"level\"\s*:\s*\"(?:error|fatal)\"|\b5\d\d\b",
    re.IGNORECASE,
)
_CALM = re.compile(r"\blevel=(?:info|debug|trace)\b|\"level\"\s*:\s*\"(?:info|debug|trace)\"|^\S*\s*(?:INFO|DEBUG|TRACE)\b")
_MASKS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<TS>"),
    (re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2}\b"), "<TS>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE), "<UUID>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<IP>"),
    (re.compile(r"-[a-z0-9]{8,10}-[a-z0-9]{5}\b"), "-<POD>"),
    (re.compile(r"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.IGNORECASE), "<HEX>"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:ms|s|m|h|kb|mb|gb|%)?\b", re.IGNORECASE), "<N>"),
]


@dataclass
class Group:
    template: str
    count: int
    first_line: int
    sample: str
    lines: list[int] = field(default_factory=list)
    suggestion: str = ""
    citations: list[Source] = field(default_factory=list)
    mode: str = "offline"


def is_error(line: str) -> bool:
    return bool(_ERROR.search(line)) and not _CALM.search(line)


def template(line: str) -> str:
    """The line with secrets redacted and timestamps, ids, addresses and numbers masked."""
    text = redact(line.strip())
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return re.sub(r"\s+", " ", text)


def group_errors(text: str) -> list[Group]:
    """Error lines grouped by template, most frequent first."""
    groups: dict[str, Group] = {}
    for number, line in enumerate(text.splitlines()[:MAX_LINES], 1):
        if not line.strip() or not is_error(line):
            continue
        key = template(line)
        group = groups.get(key)
        if group is None:
            groups[key] = Group(key, 1, number, redact(line.strip())[:500], [number])
        else:
            group.count += 1
            if len(group.lines) < 20:
                group.lines.append(number)
    return sorted(groups.values(), key=lambda g: (-g.count, g.first_line))


def _query(group: Group) -> str:
    return re.sub(r"<[A-Z]+>", " ", group.template)


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
