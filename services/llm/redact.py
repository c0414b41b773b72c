"""Removing secrets from any text before it is put into a model request.

Runbooks, labels and logs carry tokens and passwords more often than anyone intends; a model
provider must never receive them. Each pattern replaces the secret with a marker naming its kind.
"""

from __future__ import annotations

import re

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("PRIVATE_KEY", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL)),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("AWS_ACCESS_KEY", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("API_KEY", re.compile(r"\b(?:sk|pk|rk)-(?:proj-|live-|test-)?[A-Za-z0-9_-]{16,}")),
    ("GITHUB_TOKEN", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}")),
    ("SLACK_TOKEN", re.compile(r"\bxox[abpors]-[A-Za-z0-9-]{10,}")),
    ("SLACK_WEBHOOK", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+")),
    ("CONNECTION_STRING", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@[^\s]+", re.IGNORECASE)),
    ("BEARER_TOKEN", re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}")),
    (
        "SECRET",
        re.compile(
            r"(?i)\b((?:aws_secret_access_key|secret|password|passwd|pwd|token|api[_-]?key|access[_-]?key|client[_-]?secret)"
            r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;]{4,})"
        ),
    ),
]


def redact(text: str) -> str:
    """`text` with every secret-looking value replaced by [REDACTED:<kind>]."""
    for kind, pattern in _PATTERNS:
        if kind == "SECRET":
            text = pattern.sub(lambda m: f"{m.group(1)}[REDACTED:{kind}]", text)
        elif kind == "BEARER_TOKEN":
            text = pattern.sub(lambda m: f"{m.group(1)} [REDACTED:{kind}]", text)
        else:
            text = pattern.sub(f"[REDACTED:{kind}]", text)
    return text
