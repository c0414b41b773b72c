"""Posting to Slack through an incoming webhook (SLACK_WEBHOOK_URL), only after a person confirms."""

from __future__ import annotations

import requests

from services.auth import Actor, require_real_systems
from services.config import AccessSettings
from services.safety.markup import escape_slack
from services.safety.redact import redact


class SlackError(RuntimeError):
    """The message was not posted; the message says why."""


def post(
    url: str,
    title: str,
    text: str,
    links: list[str] | None = None,
    *,
    actor: Actor,
    access: AccessSettings,
    timeout: float = 10.0,
) -> None:
    """One message from `actor` (a responder, see services/auth): a bold title, the text, and
    next-step links; secrets are redacted. Raises PermissionDenied before anything is sent."""
    require_real_systems(actor, access)
    # Title, text and links are untrusted (log lines, model output): escaped so that <!channel>,
    # <@user> or <https://evil|a harmless label> stay text.
    body = f"*{escape_slack(title)}*\n{escape_slack(text)}"
    if links:
        body += "\n" + "\n".join(f"• {escape_slack(link)}" for link in links)
    try:
        response = requests.post(url, json={"text": redact(body)}, timeout=timeout)
    except requests.RequestException as exc:
        raise SlackError(f"Slack webhook unreachable: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise SlackError(f"Slack webhook answered HTTP {response.status_code}: {response.text[:200]}")
