"""Shift summary exports: Markdown, one self-contained HTML file, and PDF.

Everything in a summary that came from outside (alert labels, notes, questions, answers) is
untrusted: the HTML is rendered with raw HTML and images off, the timeline is an inline SVG
with escaped text (no script, nothing to fetch), and the PDF is printed with JavaScript off and
every request blocked, so a hostile note cannot read a server file or an internal URL into it.
"""

from __future__ import annotations

import html
import shutil
from typing import Any

import pandas as pd
from markdown_it import MarkdownIt

from services.alerts.analysis import SEVERITY_COLORS
from services.mesh.incidents import format_peak
from services.reports.summary import ShiftSummary, counts_text
from services.safety.markup import without_images
from services.timewindow import local_text

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


NO_FEEDBACK = "no feedback"  # the questions table's feedback cell for an answer nobody rated


class ReportError(RuntimeError):
    """The report could not be produced; the message says why."""


def _cell(value: object) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    if not rows:
        return "_none_\n"
    head = "| " + " | ".join(label for _, label in columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join(_cell(r.get(key)) for key, _ in columns) + " |\n" for r in rows)
    return head + body


def _shorten(text: str | None, limit: int = 300) -> str:
    """On one line, at most `limit` characters and "…", cut after a whole word (a first word
    longer than `limit` is cut inside)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]  # a word ending right at `limit` is whole
    return (head.rsplit(" ", 1)[0] if " " in head else text[:limit]).rstrip(" ,;:") + "…"


def _rows(summary: ShiftSummary) -> dict[str, list[dict[str, Any]]]:
    tz = summary.tz
    return {
        "firing": [{**f, "since": local_text(f["since"], tz)} for f in summary.firing],
        "flapping": [dict(f) for f in summary.flapping],
        "likely_false": [dict(f) for f in summary.likely_false],
        "incidents": [
            {**i, "start": local_text(i["start"], tz), "end": local_text(i["end"], tz), "peak": format_peak(i["kind"], i["peak"])}
            for i in summary.incidents
        ],
        "questions": [{**q, "answer": _shorten(q["answer"]), "rating": q["rating"] or NO_FEEDBACK} for q in summary.questions],
    }


def to_markdown(summary: ShiftSummary) -> str:
    w, tz, rows = summary.window, summary.tz, _rows(summary)
    out = [
        f"# Shift summary {local_text(w.start, tz)} – {local_text(w.end, tz)} ({tz.key})\n",
        f"Source: {summary.source} · generated {local_text(summary.generated_at, tz)} · narrative: {summary.narrative_mode}\n",
    ]
    if summary.problems:
        out.append(
            "> **Incomplete summary.** Some data could not be read, and what it would show is unknown, not "
            "absent: " + "; ".join(summary.problems) + "\n"
        )
    out.append(f"## Summary\n\n{summary.narrative}\n")
    if "alerts" in summary.unknown:
        out.append("## Alerts\n\n**Unknown**: the alerts could not be read for this window.\n")
    else:
        out.append(
            f"## Alerts\n\n{summary.counts['intervals']} firings of {summary.counts['alerts']} alerts. "
            f"By severity: {counts_text(summary.counts.get('by_severity'))}. "
            f"By cluster: {counts_text(summary.counts.get('by_cluster'))}.\n"
        )
    out.append(
        "### Still firing\n\n"
        + _table(
            rows["firing"],
            [
                ("alertname", "alert"),
                ("severity", "severity"),
                ("service", "service"),
                ("cluster", "cluster"),
                ("since", "since"),
            ],
        )
    )
    out.append(
        "### Flapping\n\n"
        + _table(
            rows["flapping"],
            [("alertname", "alert"), ("service", "service"), ("transitions", "changes"), ("hint", "tuning hint")],
        )
    )
    out.append(
        "### Likely false\n\n"
        + _table(
            rows["likely_false"],
            [("alertname", "alert"), ("service", "service"), ("count", "short firings"), ("hint", "tuning hint")],
        )
    )
    out.append(
        "## Mesh incidents\n\n"
        + _table(
            rows["incidents"],
            [
                ("kind", "kind"),
                ("service", "service"),
                ("cluster", "cluster"),
                ("start", "start"),
                ("end", "end"),
                ("peak", "peak"),
            ],
        )
    )
    out.append(
        "## Questions to the assistant\n\n"
        + _table(
            rows["questions"], [("question", "question"), ("answer", "answer"), ("rating", "feedback"), ("comment", "comment")]
        )
    )
    out.append(f"## Handover notes\n\n{summary.notes or '_none_'}\n")
    out.append("## Open items\n\n" + ("".join(f"- [ ] {item}\n" for item in summary.open_items) or "_none_\n"))
    return without_images("\n".join(out))


def timeline_svg(summary: ShiftSummary, width: int = 1040) -> str:
    """The alert timeline as inline SVG: one row per alert name, bars coloured by severity."""
    intervals = summary.intervals
    if intervals.empty:
        return "<p><em>No alerts fired in this window.</em></p>"
    label_width, row_height, top = 240, 22, 24
    start, end = pd.Timestamp(summary.window.start), pd.Timestamp(summary.window.end)
    span = (end - start).total_seconds()
    names = list(intervals.sort_values("start")["alertname"].drop_duplicates())
    height = top + row_height * len(names) + 10
    scale = (width - label_width - 10) / span

    def x(moment: pd.Timestamp) -> float:
        return label_width + max(0.0, min(span, (pd.Timestamp(moment) - start).total_seconds())) * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="alert timeline" font-family="sans-serif" font-size="11">'
    ]
    for i in range(7):
        tick = start + (end - start) * i / 6
        tx = label_width + (width - label_width - 10) * i / 6
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{height}" stroke="#e5e5e5"/>'
            f'<text x="{tx:.1f}" y="{top - 10}" text-anchor="middle" fill="#555">'
            f"{html.escape(local_text(tick, summary.tz, '%m-%d %H:%M'))}</text>"
        )
    for row, name in enumerate(names):
        y = top + row * row_height
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{html.escape(str(name)[:40])}</text>')
        for _, r in intervals[intervals["alertname"] == name].iterrows():
            bar_end = r["end"] if pd.notna(r["end"]) else end
            x0, x1 = x(r["start"]), x(bar_end)
            colour = SEVERITY_COLORS.get(str(r["severity"]), SEVERITY_COLORS["none"])
            tip = html.escape(
                f"{name} ({r['severity']}) {local_text(r['start'], summary.tz)} – "
                f"{local_text(bar_end, summary.tz) if pd.notna(r['end']) else 'still firing'}"
            )
            parts.append(
                f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 2):.1f}" height="{row_height - 8}" '
                f'fill="{colour}"><title>{tip}</title></rect>'
            )
    legend = " ".join(f'<span style="color:{c}">■</span> {s}' for s, c in SEVERITY_COLORS.items())
    return "".join(parts) + f'</svg><p class="legend">{legend}</p>'


def to_html(summary: ShiftSummary) -> str:
    """One file that opens offline: the Markdown's content as HTML, styles and the SVG timeline."""
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    body = renderer.render(to_markdown(summary))
    body = body.replace("<h2>Alerts</h2>", "<h2>Alerts</h2>\n" + timeline_svg(summary), 1)
    window = f"{local_text(summary.window.start, summary.tz)} – {local_text(summary.window.end, summary.tz)}"
    title = html.escape(f"Shift summary {window}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body {{ font-family: system-ui, "Noto Sans CJK KR", sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem;
       color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1rem; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} blockquote {{ color: #a33; }} .legend {{ font-size: 0.8rem; color: #555; }}
</style></head><body>
{body}
</body></html>
"""


def chromium(configured: str | None = None) -> str | None:
    """ONCALL_CHROMIUM, or a Chromium on the PATH."""
    return configured or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def to_pdf(html_text: str, browser_path: str | None = None, timeout: float = 120) -> bytes:
    """The HTML printed to PDF by headless Chromium, with JavaScript off and every request refused.

    The document is handed over as content (no URL of its own); any request it makes, to a file,
    to an internal address or anywhere else, is intercepted and aborted.
    """
    browser_file = chromium(browser_path)
    if browser_file is None:
        raise ReportError("PDF needs Chromium: install the chromium package or set ONCALL_CHROMIUM")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_file, args=CHROMIUM_ARGS, timeout=timeout * 1000)
            try:
                context = browser.new_context(java_script_enabled=False, offline=True)
                context.route("**/*", lambda route: route.abort("blockedbyclient"))
                page = context.new_page()
                page.set_default_timeout(timeout * 1000)
                page.set_content(html_text, wait_until="load")
                return page.pdf(
                    format="A4", print_background=True, margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"}
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ReportError(f"Chromium could not print the PDF: {str(exc).splitlines()[0]}") from None
