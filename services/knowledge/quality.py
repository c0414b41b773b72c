"""Document quality: is each runbook complete enough to act on at 3 am?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from services.knowledge.chunks import sections as heading_sections
from services.knowledge.documents import Document

REQUIRED = ("Meaning", "Impact", "Diagnosis", "Mitigation")
SHORT_PAGE_CHARS = 400
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_COMMAND = re.compile(r"`[^`]+`|^\s*```|^\s*\$ ", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    source: str
    problem: str
    suggestion: str


def check_document(doc: Document) -> list[Finding]:
    found: list[Finding] = []
    sections: dict[str, str] = {}
    for path, text in heading_sections(doc.body):
        if path:
            sections.setdefault(path[-1].strip().lower(), text)
    for name in REQUIRED:
        if name.lower() not in sections:
            found.append(Finding(doc.source, f"no {name} section", f"add '## {name}' ({_PURPOSE[name]})"))
        elif len(sections[name.lower()].strip()) < 10:
            found.append(Finding(doc.source, f"{name} section is empty", f"write the {name} section ({_PURPOSE[name]})"))
    diagnosis = sections.get("diagnosis", "")
    if diagnosis.strip() and not _COMMAND.search(diagnosis):
        found.append(
            Finding(
                doc.source,
                "Diagnosis has no PromQL or commands",
                "add the PromQL query or kubectl command that confirms the cause, in backticks",
            )
        )
    if len(doc.body.strip()) < SHORT_PAGE_CHARS:
        found.append(
            Finding(
                doc.source,
                f"very short page ({len(doc.body.strip())} characters)",
                "describe what the alert means, who is affected and the first steps to take",
            )
        )
    for target in _LINK.findall(doc.body):
        if re.match(r"^[a-z]+:|^#|^/", target):
            continue  # absolute URL, anchor, or site-absolute path
        local = (Path(doc.root) / doc.path).parent / target.split("#", 1)[0]
        if not local.exists():
            found.append(Finding(doc.source, f"broken relative link {target}", "fix the path or link to the page's URL"))
    return found


_PURPOSE = {
    "Meaning": "what the alert says is happening",
    "Impact": "who or what is affected, and how badly",
    "Diagnosis": "how to confirm the cause, with the PromQL and commands to run",
    "Mitigation": "the steps that stop the impact",
}
