"""Shift summaries: what happened in a window, what is still open, what was asked and done.

Exports as Markdown, as one self-contained HTML file (charts included, opens offline) and as PDF
(that HTML printed by headless Chromium).
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from services.alerts.analysis import (
    FiringAlert, FlappingAlert, LikelyFalseAlert, analyse_alerts, counts_by, firing_records, flapping_records,
    likely_false_records,
)
from services.alerts.timeline import alert_timeline
from services.llm.client import ChatModel, ModelError, complete
from services.llm.prompts import render
from services.mesh.incidents import Incident, format_peak, incident_records
from services.mesh.incidents import incidents as find_incidents
from services.runtime import Runtime
from services.sources.base import Filters, SourceError
from services.sources.frames import interval_frame
from services.timewindow import Window, auto_step, iso, local_text, utcnow

Progress = Callable[[float, str], None]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class ReportError(RuntimeError):
    """The report could not be produced; the message says why."""


@dataclass
class ShiftSummary:
    window: Window
    tz: ZoneInfo
    source: str
    generated_at: datetime
    intervals: pd.DataFrame
    counts: dict
    firing: list[FiringAlert]
    flapping: list[FlappingAlert]
    likely_false: list[LikelyFalseAlert]
    incidents: list[Incident]
    questions: list[dict]  # stored answers with their latest feedback (Store.answers_between)
    notes: str
    open_items: list[str]
    narrative: str = ""
    narrative_mode: str = "offline"
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.intervals.empty and not self.incidents and not self.questions


def build_summary(
    runtime: Runtime, window: Window, filters: Filters, notes: str = "", tz: ZoneInfo = ZoneInfo("UTC"),
    progress: Progress | None = None,
) -> ShiftSummary:
    """Gather everything for the window; a part that cannot be read is named, the rest kept."""
    step = progress or (lambda fraction, what: None)
    source, settings, store = runtime.source, runtime.settings, runtime.store
    problems: list[str] = []
    step(0.1, "reading alerts")
    try:
        intervals = source.alert_intervals(window, filters)
    except SourceError as exc:
        problems.append(f"alerts: {exc}")
        intervals = interval_frame([])
    view = analyse_alerts(intervals, window, settings.alerts)
    step(0.35, "reading mesh series")
    try:
        s = auto_step(window, settings.sources.step_seconds)
        found = find_incidents(source.latency_series(window, s, filters, "service"), source.traffic_series(window, s, filters, "service"), s)
        incidents = incident_records(found)
    except SourceError as exc:
        problems.append(f"mesh: {exc}")
        incidents = []
    step(0.6, "reading questions and feedback")
    questions = store.answers_between(iso(window.start), iso(window.end)) if store else []
    counts: dict[str, Any] = {"intervals": len(intervals), "alerts": int(intervals["alertname"].nunique()) if len(intervals) else 0}
    if len(intervals):
        counts["by_severity"] = dict(counts_by(intervals, "severity", window)[["severity", "firings"]].values.tolist())
        counts["by_cluster"] = dict(counts_by(intervals, "cluster", window)[["cluster", "firings"]].values.tolist())
    firing = firing_records(view)
    summary = ShiftSummary(
        window, tz, source.name, utcnow(), intervals, counts, firing,
        flapping_records(view), likely_false_records(view),
        incidents, questions, notes.strip(), _open_items(firing, questions, notes), problems=problems,
    )
    step(0.75, "writing the narrative")
    summary.narrative, summary.narrative_mode = narrative(summary, runtime.model)
    step(1.0, "done")
    return summary


def _open_items(firing: list[FiringAlert], questions: list[dict], notes: str) -> list[str]:
    items = [f"{f['alertname']} ({f['severity']}) still firing on {f['service'] or f['namespace']}" for f in firing]
    items += [f"Escalated or unhelpful answer: \"{q['question']}\" (request {q['request_id']})"
              for q in questions if q.get("rating") in ("not_helpful", "not_relevant")]
    items += [line.strip()[5:].strip() for line in notes.splitlines() if line.strip().lower().startswith("- [ ]")]
    return items


def _facts(summary: ShiftSummary) -> list[str]:
    """Numbered facts, the sources a narrative cites."""
    tz = summary.tz
    facts = [f"{summary.counts['intervals']} alert firings of {summary.counts['alerts']} alerts (by severity: "
             f"{_counts(summary.counts.get('by_severity'))}; by cluster: {_counts(summary.counts.get('by_cluster'))})"]
    facts.append("; ".join(f"{f['alertname']} ({f['severity']}) on {f['service']} since {local_text(f['since'], tz)}" for f in summary.firing)
                 or "nothing firing at the end")
    facts.append("; ".join(f"{f['alertname']} on {f['service']} flapped ({f['transitions']} changes)" for f in summary.flapping) or "no flapping")
    facts.append("; ".join(f"{i['kind']} on {i['service']} {local_text(i['start'], tz)}–{local_text(i['end'], tz)[11:]} peak {format_peak(i['kind'], i['peak'])}"
                           for i in summary.incidents) or "no mesh incidents")
    facts.append(f"{len(summary.questions)} questions asked to the assistant")
    facts.append(f"handover notes: {summary.notes}" if summary.notes else "no handover notes")
    return facts


def _counts(counts: dict | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (counts or {}).items()) or "none"


def narrative(summary: ShiftSummary, model: ChatModel | None) -> tuple[str, str]:
    """An executive paragraph: grounded and cited by a model when configured, else composed."""
    facts = _facts(summary)
    if model is not None:
        numbered = "\n".join(f"[{n}] {fact}" for n, fact in enumerate(facts, 1))
        window = f"{local_text(summary.window.start, summary.tz)} – {local_text(summary.window.end, summary.tz)} ({summary.tz.key})"
        try:
            return complete(model, "report_narrative", render("report_narrative", window=window, facts=numbered)), model.name
        except ModelError as exc:
            summary.problems.append(f"narrative: {exc}; the offline narrative is used")
    if summary.empty:
        return "Nothing happened in this window: no alerts fired, no mesh incidents, no questions to the assistant.", "offline"
    parts = [f"The shift saw {facts[0]} [1]."]
    parts.append(f"At handover, {facts[1]} [2]." if summary.firing else "At handover nothing is firing [2].")
    if summary.flapping:
        parts.append(f"Noisy: {facts[2]} [3].")
    if summary.incidents:
        parts.append(f"Mesh incidents: {facts[3]} [4].")
    parts.append(f"{facts[4].capitalize()} [5].")
    return " ".join(parts), "offline"


# --- exports --------------------------------------------------------------------------------------

def _table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    if not rows:
        return "_none_\n"
    head = "| " + " | ".join(label for _, label in columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join(str(r.get(key, "")).replace("|", "\\|").replace("\n", " ") for key, _ in columns) + " |\n" for r in rows)
    return head + body


def _rows(summary: ShiftSummary) -> dict[str, list[dict[str, Any]]]:
    tz = summary.tz
    return {
        "firing": [{**f, "since": local_text(f["since"], tz)} for f in summary.firing],
        "flapping": [dict(f) for f in summary.flapping],
        "likely_false": [dict(f) for f in summary.likely_false],
        "incidents": [{**i, "start": local_text(i["start"], tz), "end": local_text(i["end"], tz), "peak": format_peak(i['kind'], i['peak'])} for i in summary.incidents],
        "questions": [{**q, "answer": (q["answer"] or "")[:300]} for q in summary.questions],
    }


def to_markdown(summary: ShiftSummary) -> str:
    w, tz, rows = summary.window, summary.tz, _rows(summary)
    out = [f"# Shift summary {local_text(w.start, tz)} – {local_text(w.end, tz)} ({tz.key})\n",
           f"Source: {summary.source} · generated {local_text(summary.generated_at, tz)} · narrative: {summary.narrative_mode}\n"]
    if summary.problems:
        out.append("> Some data could not be read: " + "; ".join(summary.problems) + "\n")
    out.append(f"## Summary\n\n{summary.narrative}\n")
    out.append(f"## Alerts\n\n{summary.counts['intervals']} firings of {summary.counts['alerts']} alerts. "
               f"By severity: {_counts(summary.counts.get('by_severity'))}. By cluster: {_counts(summary.counts.get('by_cluster'))}.\n")
    out.append("### Still firing\n\n" + _table(rows["firing"], [("alertname", "alert"), ("severity", "severity"), ("service", "service"), ("cluster", "cluster"), ("since", "since")]))
    out.append("### Flapping\n\n" + _table(rows["flapping"], [("alertname", "alert"), ("service", "service"), ("transitions", "changes"), ("hint", "tuning hint")]))
    out.append("### Likely false\n\n" + _table(rows["likely_false"], [("alertname", "alert"), ("service", "service"), ("count", "short firings"), ("hint", "tuning hint")]))
    out.append("## Mesh incidents\n\n" + _table(rows["incidents"], [("kind", "kind"), ("service", "service"), ("cluster", "cluster"), ("start", "start"), ("end", "end"), ("peak", "peak")]))
    out.append("## Questions to the assistant\n\n" + _table(rows["questions"], [("question", "question"), ("answer", "answer"), ("rating", "feedback"), ("comment", "comment")]))
    out.append(f"## Handover notes\n\n{summary.notes or '_none_'}\n")
    out.append("## Open items\n\n" + ("".join(f"- [ ] {item}\n" for item in summary.open_items) or "_none_\n"))
    return "\n".join(out)


def timeline_html(summary: ShiftSummary) -> str:
    if summary.intervals.empty:
        return "<p><em>No alerts fired in this window.</em></p>"
    figure = alert_timeline(summary.intervals, summary.window, summary.tz)
    return figure.to_html(include_plotlyjs=True, full_html=False, config={"displayModeBar": False})


def to_html(summary: ShiftSummary) -> str:
    """One file: the Markdown's content as HTML, styles and the timeline (plotly.js inline)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(to_markdown(summary))
    body = body.replace("<h2>Alerts</h2>", "<h2>Alerts</h2>\n" + timeline_html(summary), 1)
    title = html.escape(f"Shift summary {local_text(summary.window.start, summary.tz)} – {local_text(summary.window.end, summary.tz)}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1rem; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} blockquote {{ color: #a33; }}
</style></head><body>
{body}
</body></html>
"""


def chromium(configured: str | None = None) -> str | None:
    """ONCALL_CHROMIUM, or a Chromium on the PATH."""
    return configured or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def to_pdf(html_text: str, browser_path: str | None = None, timeout: float = 120) -> bytes:
    """The HTML printed to PDF by headless Chromium (ONCALL_CHROMIUM, or chromium on the PATH)."""
    browser = chromium(browser_path)
    if browser is None:
        raise ReportError("PDF needs Chromium: install the chromium package or set ONCALL_CHROMIUM")
    with tempfile.TemporaryDirectory() as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html_text, encoding="utf-8")
        try:
            subprocess.run([browser, *CHROMIUM_ARGS, f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
                            f"--print-to-pdf={out}", page.as_uri()], capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"Chromium could not print the PDF: {exc}") from None
        if not out.is_file() or out.stat().st_size == 0:
            raise ReportError("Chromium did not write the PDF")
        return out.read_bytes()
