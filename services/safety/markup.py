"""Untrusted text made safe for where it is shown: Markdown renderers, Slack, HTML.

Alert labels, runbook text, logs, questions, notes, model output and upstream error bodies are
data. Shown as Markdown they must not pull in images (a browser fetches the URL: exfiltration
by prompt injection) nor format as markup; posted to Slack they must not mention @channel or
smuggle links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# ![alt](url "title") and ![alt][ref]: the browser would fetch url as soon as it renders.
_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(\([^)]*\)|\[[^\]]*\])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def without_images(markdown: str) -> str:
    """Markdown with every image turned into its alt text, so nothing is fetched."""
    return _IMAGE.sub(lambda m: f"[image: {m.group(1)}]" if m.group(1) else "[image]", markdown)


def escape_markdown(text: str) -> str:
    """Text shown literally by a Markdown renderer (no links, emphasis, HTML or images)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def escape_slack(text: str) -> str:
    """Text for Slack mrkdwn: &, < and > escaped as Slack asks, so <!channel> or <url|label> stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def without_images_streamed(chunks: Iterator[str]) -> Iterator[str]:
    """`without_images` for a stream: an image split across chunks is caught too."""
    held = ""
    for chunk in chunks:
        text = held + chunk
        # Hold back a possible unfinished image ("!", "![alt", "![alt](url") until it closes.
        start = text.rfind("!")
        if start != -1 and ")" not in text[start:] and len(text) - start < 2000:
            held, text = text[start:], text[:start]
        else:
            held = ""
        if text:
            yield without_images(text)
    if held:
        yield without_images(held)
