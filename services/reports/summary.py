"""Shift summaries: what happened in a window, what is still open, what was asked and done.

The exports (Markdown, HTML, PDF) are in services/reports/export.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from services.alerts.analysis import (
    FiringAlert,
    FlappingAlert,
    LikelyFalseAlert,
    analyse_alerts,
    counts_by,
    firing_records,
    flapping_records,
    likely_false_records,
)
from services.llm.client import ChatModel, ModelError, complete
from services.llm.prompts import render
from services.mesh.incidents import Incident, format_peak, incident_records
from services.mesh.incidents import incidents as find_incidents
from services.runtime import Runtime
from services.sources.base import Filters, SourceError
from services.sources.frames import interval_frame
from services.timewindow import Window, auto_step, iso, local_text, utcnow

Progress = Callable[[float, str], None]


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
    unknown: set[str] = field(default_factory=set)  # "alerts", "mesh": could not be read, so not "none"

    @property
    def empty(self) -> bool:
        return not self.unknown and self.intervals.empty and not self.incidents and not self.questions


def build_summary(
    runtime: Runtime,
    window: Window,
    filters: Filters,
    notes: str = "",
    tz: ZoneInfo = ZoneInfo("UTC"),
    progress: Progress | None = None,
) -> ShiftSummary:
    """Gather everything for the window; a part that cannot be read is named, the rest kept."""
    step = progress or (lambda fraction, what: None)
    source, settings, store = runtime.source, runtime.settings, runtime.store
    problems: list[str] = []
    unknown: set[str] = set()
    step(0.1, "reading alerts")
    try:
        intervals = source.alert_intervals(window, filters)
    except SourceError as exc:
        problems.append(f"alerts: {exc}")
        unknown.add("alerts")
        intervals = interval_frame([])
    view = analyse_alerts(intervals, window, settings.alerts)
    step(0.35, "reading mesh series")
    try:
        s = auto_step(window, settings.sources.step_seconds)
        found = find_incidents(
            source.latency_series(window, s, filters, "service"), source.traffic_series(window, s, filters, "service"), s
        )
        incidents = incident_records(found)
    except SourceError as exc:
        problems.append(f"mesh: {exc}")
        unknown.add("mesh")
        incidents = []
    step(0.6, "reading questions and feedback")
    questions = store.answers_between(iso(window.start), iso(window.end)) if store else []
    counts: dict[str, Any] = {
        "intervals": len(intervals),
        "alerts": int(intervals["alertname"].nunique()) if len(intervals) else 0,
    }
    if len(intervals):
        counts["by_severity"] = dict(counts_by(intervals, "severity", window)[["severity", "firings"]].values.tolist())
        counts["by_cluster"] = dict(counts_by(intervals, "cluster", window)[["cluster", "firings"]].values.tolist())
    firing = firing_records(view)
    summary = ShiftSummary(
        window,
        tz,
        source.name,
        utcnow(),
        intervals,
        counts,
        firing,
        flapping_records(view),
        likely_false_records(view),
        incidents,
        questions,
        notes.strip(),
        _open_items(firing, questions, notes),
        problems=problems,
        unknown=unknown,
    )
    step(0.75, "writing the narrative")
    summary.narrative, summary.narrative_mode = narrative(summary, runtime.model)
    step(1.0, "done")
    return summary


def _open_items(firing: list[FiringAlert], questions: list[dict], notes: str) -> list[str]:
    items = [f"{f['alertname']} ({f['severity']}) still firing on {f['service'] or f['namespace']}" for f in firing]
    items += [
        f'Escalated or unhelpful answer: "{q["question"]}" (request {q["request_id"]})'
        for q in questions
        if q.get("rating") in ("not_helpful", "not_relevant")
    ]
    items += [line.strip()[5:].strip() for line in notes.splitlines() if line.strip().lower().startswith("- [ ]")]
    return items


def _facts(summary: ShiftSummary) -> list[str]:
    """Numbered facts, the sources a narrative cites."""
    tz = summary.tz
    if "alerts" in summary.unknown:
        facts = ["UNKNOWN alert activity: the alerts could not be read", "UNKNOWN whether anything is firing at the end"]
    else:
        facts = [
            f"{summary.counts['intervals']} alert firings of {summary.counts['alerts']} alerts (by severity: "
            f"{counts_text(summary.counts.get('by_severity'))}; by cluster: {counts_text(summary.counts.get('by_cluster'))})"
        ]
        facts.append(
            "; ".join(
                f"{f['alertname']} ({f['severity']}) on {f['service']} since {local_text(f['since'], tz)}" for f in summary.firing
            )
            or "nothing firing at the end"
        )
    facts.append(
        "; ".join(f"{f['alertname']} on {f['service']} flapped ({f['transitions']} changes)" for f in summary.flapping)
        or "no flapping"
    )
    facts.append(
        "; ".join(
            f"{i['kind']} on {i['service']} {local_text(i['start'], tz)}–{local_text(i['end'], tz)[11:]} peak "
            f"{format_peak(i['kind'], i['peak'])}"
            for i in summary.incidents
        )
        or ("UNKNOWN mesh incidents: the mesh series could not be read" if "mesh" in summary.unknown else "no mesh incidents")
    )
    facts.append(f"{len(summary.questions)} questions asked to the assistant")
    facts.append(f"handover notes: {summary.notes}" if summary.notes else "no handover notes")
    return facts


def counts_text(counts: dict | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (counts or {}).items()) or "none"


def narrative(summary: ShiftSummary, model: ChatModel | None) -> tuple[str, str]:
    """An executive paragraph: grounded and cited by a model when configured, else composed."""
    facts = _facts(summary)
    if model is not None:
        numbered = "\n".join(f"[{n}] {fact}" for n, fact in enumerate(facts, 1))
        window = (
            f"{local_text(summary.window.start, summary.tz)} – {local_text(summary.window.end, summary.tz)} ({summary.tz.key})"
        )
        try:
            return complete(model, "report_narrative", render("report_narrative", window=window, facts=numbered)), model.name
        except ModelError as exc:
            summary.problems.append(f"narrative: {exc}; the offline narrative is used")
    if summary.empty:
        return "Nothing happened in this window: no alerts fired, no mesh incidents, no questions to the assistant.", "offline"
    parts = [f"The shift saw {facts[0]} [1]."]
    if "alerts" in summary.unknown:
        parts.append("Whether anything is still firing is unknown: the alerts could not be read [2].")
    else:
        parts.append(f"At handover, {facts[1]} [2]." if summary.firing else "At handover nothing is firing [2].")
    if summary.flapping:
        parts.append(f"Noisy: {facts[2]} [3].")
    if summary.incidents:
        parts.append(f"Mesh incidents: {facts[3]} [4].")
    parts.append(f"{facts[4].capitalize()} [5].")
    return " ".join(parts), "offline"
