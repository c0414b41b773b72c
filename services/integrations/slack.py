"""Posting to Slack through an incoming webhook (SLACK_WEBHOOK_URL), only after a person confirms."""

from __future__ import annotations

import requests

from services.safety.redact import redact


class SlackError(RuntimeError):
    """The message was not posted; the message says why."""


def post(url: str, title: str, text: str, links: list[str] | None = None, timeout: float = 10.0) -> None:
    """One message: a bold title, the text, and next-step links; secrets are redacted."""
    body = f"*{title}*\n{text}"
    if links:
        body += "\n" + "\n".join(f"• {link}" for link in links)
    try:
        response = requests.post(url, json={"text": redact(body)}, timeout=timeout)
    except requests.RequestException as exc:
        raise SlackError(f"Slack webhook unreachable: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise SlackError(f"Slack webhook answered HTTP {response.status_code}: {response.text[:200]}")
