"""Document quality: is each runbook complete enough to act on at 3 am?"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from services.i18n import Language, Message
from services.knowledge.chunks import sections as heading_sections
from services.knowledge.documents import Document

REQUIRED = ("Meaning", "Impact", "Diagnosis", "Mitigation")
SHORT_PAGE_CHARS = 400
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_COMMAND = re.compile(r"`[^`]+`|^\s*```|^\s*\$ ", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    source: str
    problem: str  # English: what the CLI prints
    suggestion: str
    problem_message: Message | None = field(default=None, compare=False)  # the same, for the reader's language
    suggestion_message: Message | None = field(default=None, compare=False)

    @classmethod
    def of(cls, source: str, problem: Message, suggestion: Message) -> Finding:
        return cls(source, problem.text(Language.EN), suggestion.text(Language.EN), problem, suggestion)

    def to_dict(self) -> dict[str, str]:
        """The finding in English, as `oncall kb check --json` prints it."""
        return {"source": self.source, "problem": self.problem, "suggestion": self.suggestion}

    def problem_in(self, lang: Language) -> str:
        return self.problem_message.text(lang) if self.problem_message else self.problem

    def suggestion_in(self, lang: Language) -> str:
        return self.suggestion_message.text(lang) if self.suggestion_message else self.suggestion


def check_document(doc: Document) -> list[Finding]:
    found: list[Finding] = []
    sections: dict[str, str] = {}
    for path, text in heading_sections(doc.body):
        if path:
            sections.setdefault(path[-1].strip().lower(), text)
    for name in REQUIRED:
        if name.lower() not in sections:
            found.append(
                Finding.of(
                    doc.source,
                    Message.of("quality.no_section", section=name),
                    Message.of("quality.add_section", section=name, purpose=Message.of(f"quality.purpose.{name}")),
                )
            )
        elif len(sections[name.lower()].strip()) < 10:
            found.append(
                Finding.of(
                    doc.source,
                    Message.of("quality.empty_section", section=name),
                    Message.of("quality.write_section", section=name, purpose=Message.of(f"quality.purpose.{name}")),
                )
            )
    diagnosis = sections.get("diagnosis", "")
    if diagnosis.strip() and not _COMMAND.search(diagnosis):
        found.append(Finding.of(doc.source, Message.of("quality.no_commands"), Message.of("quality.add_commands")))
    if len(doc.body.strip()) < SHORT_PAGE_CHARS:
        found.append(
            Finding.of(
                doc.source,
                Message.of("quality.short_page", chars=len(doc.body.strip())),
                Message.of("quality.describe_page"),
            )
        )
    for target in _LINK.findall(doc.body):
        if re.match(r"^[a-z]+:|^#|^/", target):
            continue  # absolute URL, anchor, or site-absolute path
        local = (Path(doc.root) / doc.path).parent / target.split("#", 1)[0]
        if not local.exists():
            found.append(Finding.of(doc.source, Message.of("quality.broken_link", target=target), Message.of("quality.fix_link")))
    return found
