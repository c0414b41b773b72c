"""What a question wants from a runbook section: the fix, the checks, the impact or the meaning.

Runbooks name their sections by convention (Meaning, Impact, Diagnosis, Mitigation and their
synonyms). A question that asks how to fix something prefers the section that fixes; one that
asks how to check, the section that checks. Both sides are matched in English and Korean.
"""

from __future__ import annotations

import re

INTENT_QUESTIONS = {
    "fix": re.compile(
        r"\b(?:fix|fixes|resolve|resolution|mitigat\w*|remediat\w*|recover\w*|repair|workaround|get rid of|"
        r"what (?:should|do) (?:i|we) do|how (?:do|can|should) (?:i|we) (?:stop|clear|raise|increase|reduce|lower|restart|"
        r"unseal|remove|retry|avoid|speed|recover|free|drain|roll|rotate|renew|resize|scale|bump|force|make|put|"
        r"replace|rebuild|reset|disable|enable|tune)|how to (?:stop|clear|raise|increase|reduce|lower|restart|unseal|"
        r"remove|retry|avoid|speed|recover|free|drain|rotate|renew|resize|scale|put|replace|rebuild|reset|tune|make)|"
        r"should i (?:raise|increase|lower|restart|delete|drop|bump|set|use|change)|is it safe to|safe to|buy time|"
        r"free up|prevent|what should \S+ be|do(?:es)? \S+ need|do i need|can i (?:safely )?\w+)\b"
        r"|해결|대응|조치|복구|고치|고쳐|해제|늘리|늘려|줄이|줄여|올리|올려|제거|빼는|빼야|하면 돼|해도 돼|처리|바꿔|바꾸|"
        r"설정 변경|"
        r"재시작만|없애|막으|막는|방법|완화|꺼도|켜도|써도|풀려|기다리면|어떻게 해|어떻게 하|조정|교체|옮기|건너뛰",
        re.IGNORECASE,
    ),
    "check": re.compile(
        r"\b(?:diagnos\w*|investigat\w*|check|checks|find out|figure out|confirm|verify|inspect|debug|troubleshoot|"
        r"which (?:query|command|metric)|how (?:do|can) (?:i|we) (?:see|tell|know|find|count|check|look|measure|"
        r"spot|identify|list|show|get)|how to (?:see|tell|find|count|check|look|measure|identify|list|show)|"
        r"what (?:command|query)|where do i look)\b"
        r"|확인|진단|조사|찾는|찾아|보는 법|보는법|봐야|알아내|원인|어디서 봐|쿼리로|PromQL|구분|따라가",
        re.IGNORECASE,
    ),
    "impact": re.compile(
        r"\b(?:impact|affect\w*|what breaks|consequence\w*|lose data|data loss|blast radius|risk|user[- ]facing)\b"
        r"|영향|유실|위험|어떻게 돼|어떻게 되|사용자한테|피해",
        re.IGNORECASE,
    ),
}
SECTION_KINDS = {
    "fix": re.compile(
        r"\b(?:mitigation|mitigations|fix|fixes|fixing|resolution|resolve|remediation|recovery|recover|workaround\w*|"
        r"solution\w*|repair|response|actions?|what to do|how to fix|runbook steps|unsealing|procedure)\b",
        re.IGNORECASE,
    ),
    "check": re.compile(
        r"\b(?:diagnosis|diagnose|diagnostics|investigation|investigate|checks?|triage|debug\w*|troubleshoot\w*|"
        r"verification|verify|how to check|inspect\w*|finding the cause|find out)\b",
        re.IGNORECASE,
    ),
    "impact": re.compile(r"\b(?:impact|consequences|what breaks|why it matters|effects?|blast radius)\b", re.IGNORECASE),
}


def question_intents(query: str) -> set[str]:
    return {intent for intent, pattern in INTENT_QUESTIONS.items() if pattern.search(query)}


def section_kind(section: str) -> str | None:
    """The kind of a section by its own heading (the last of its path)."""
    heading = section.split(" > ")[-1]
    return next((kind for kind, pattern in SECTION_KINDS.items() if pattern.search(heading)), None)
