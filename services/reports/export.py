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
from services.i18n import Language, text
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


class ReportError(RuntimeError):
    """The report could not be produced; the message says why."""


def _cell(value: object) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def _none(lang: Language) -> str:
    return f"_{text('report.none', lang)}_\n"


def _table(rows: list[dict[str, Any]], columns: list[str], lang: Language) -> str:
    """Rows as a Markdown table; the headers are the catalogue's `column.<name>`."""
    if not rows:
        return _none(lang)
    head = "| " + " | ".join(text(f"column.{key}", lang) for key in columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join(_cell(r.get(key)) for key in columns) + " |\n" for r in rows)
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
    tz, lang = summary.tz, summary.language
    return {
        "firing": [{**f, "since": local_text(f["since"], tz)} for f in summary.firing],
        "flapping": [dict(f) for f in summary.flapping],
        "likely_false": [dict(f) for f in summary.likely_false],
        "incidents": [
            {
                **i,
                "kind": text(f"report.kind.{i['kind']}", lang),
                "start": local_text(i["start"], tz),
                "end": local_text(i["end"], tz),
                "peak": format_peak(i["kind"], i["peak"]),
            }
            for i in summary.incidents
        ],
        "questions": [
            {
                **q,
                "answer": _shorten(q["answer"]),
                "rating": text(f"report.rating.{q['rating']}" if q["rating"] else "report.no_feedback", lang),
            }
            for q in summary.questions
        ],
    }


def _heading(summary: ShiftSummary, key: str, level: int = 2) -> str:
    return f"{'#' * level} {text(f'report.heading.{key}', summary.language)}\n\n"


def to_markdown(summary: ShiftSummary) -> str:
    """The summary as Markdown, in the summary's language (the data in it as it was read)."""
    w, tz, rows, lang = summary.window, summary.tz, _rows(summary), summary.language

    def t(key: str, **params: object) -> str:
        return text(f"report.{key}", lang, **params)

    out = [
        f"# {t('title', start=local_text(w.start, tz), end=local_text(w.end, tz), zone=tz.key)}\n",
        t(
            "byline",
            source=t("source_demo") if summary.source == "demo" else summary.source,
            at=local_text(summary.generated_at, tz),
            mode=t("offline") if summary.narrative_mode == "offline" else summary.narrative_mode,
        )
        + "\n",
    ]
    if summary.problems:
        out.append(t("incomplete", problems="; ".join(summary.problems)) + "\n")
    out.append(f"{_heading(summary, 'summary')}{summary.narrative}\n")
    if "alerts" in summary.unknown:
        out.append(f"{_heading(summary, 'alerts')}{t('alerts_unknown')}\n")
    else:
        counts = summary.counts
        out.append(
            _heading(summary, "alerts")
            + t(
                "alerts_counts",
                firings=counts["intervals"],
                alerts=counts["alerts"],
                by_severity=counts_text(counts.get("by_severity"), lang),
                by_cluster=counts_text(counts.get("by_cluster"), lang),
            )
            + "\n"
        )
    out.append(
        _heading(summary, "firing", 3) + _table(rows["firing"], ["alertname", "severity", "service", "cluster", "since"], lang)
    )
    out.append(_heading(summary, "flapping", 3) + _table(rows["flapping"], ["alertname", "service", "transitions", "hint"], lang))
    out.append(
        _heading(summary, "likely_false", 3) + _table(rows["likely_false"], ["alertname", "service", "count", "hint"], lang)
    )
    out.append(
        _heading(summary, "incidents") + _table(rows["incidents"], ["kind", "service", "cluster", "start", "end", "peak"], lang)
    )
    out.append(_heading(summary, "questions") + _table(rows["questions"], ["question", "answer", "rating", "comment"], lang))
    out.append(_heading(summary, "notes") + (f"{summary.notes}\n" if summary.notes else _none(lang)))
    out.append(_heading(summary, "open_items") + ("".join(f"- [ ] {item}\n" for item in summary.open_items) or _none(lang)))
    return without_images("\n".join(out))


def timeline_svg(summary: ShiftSummary, width: int = 1040) -> str:
    """The alert timeline as inline SVG: one row per alert name, bars coloured by severity."""
    intervals, lang = summary.intervals, summary.language
    if intervals.empty:
        return f"<p><em>{html.escape(text('report.timeline.empty', lang))}</em></p>"
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
        f'aria-label="{html.escape(text("report.timeline.label", lang))}" font-family="sans-serif" font-size="11">'
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
                f"{local_text(bar_end, summary.tz) if pd.notna(r['end']) else text('timeline.still_firing', lang)}"
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
    alerts = f"<h2>{html.escape(text('report.heading.alerts', summary.language))}</h2>"
    body = body.replace(alerts, f"{alerts}\n{timeline_svg(summary)}", 1)
    tz = summary.tz
    title = html.escape(
        text(
            "report.title",
            summary.language,
            start=local_text(summary.window.start, tz),
            end=local_text(summary.window.end, tz),
            zone=tz.key,
        )
    )
    return f"""<!doctype html>
<html lang="{summary.language.value}"><head><meta charset="utf-8"><title>{title}</title>
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
