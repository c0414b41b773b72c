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
from services.i18n import Language, text
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
    language: Language = Language.EN  # of everything the code writes: headings, framing, the offline narrative

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
    language: Language = Language.EN,
) -> ShiftSummary:
    """Gather everything for the window; a part that cannot be read is named, the rest kept.
    The summary, and its progress messages, are in `language`."""

    def step(fraction: float, key: str) -> None:
        if progress:
            progress(fraction, text(f"report.progress.{key}", language))

    source, settings, store = runtime.source, runtime.settings, runtime.store
    problems: list[str] = []
    unknown: set[str] = set()
    step(0.1, "alerts")
    try:
        intervals = source.alert_intervals(window, filters)
    except SourceError as exc:
        problems.append(text("report.problem.alerts", language, error=exc))
        unknown.add("alerts")
        intervals = interval_frame([])
    view = analyse_alerts(intervals, window, settings.alerts)
    step(0.35, "mesh")
    try:
        s = auto_step(window, settings.sources.step_seconds)
        found = find_incidents(
            source.latency_series(window, s, filters, "service"), source.traffic_series(window, s, filters, "service"), s
        )
        incidents = incident_records(found)
    except SourceError as exc:
        problems.append(text("report.problem.mesh", language, error=exc))
        unknown.add("mesh")
        incidents = []
    step(0.6, "questions")
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
        flapping_records(view, language),
        likely_false_records(view, language),
        incidents,
        questions,
        notes.strip(),
        _open_items(firing, questions, notes, language),
        problems=problems,
        unknown=unknown,
        language=language,
    )
    step(0.75, "narrative")
    summary.narrative, summary.narrative_mode = narrative(summary, runtime.model)
    step(1.0, "done")
    return summary


def _open_items(firing: list[FiringAlert], questions: list[dict], notes: str, lang: Language) -> list[str]:
    items = [
        text("report.open.firing", lang, alert=f["alertname"], severity=f["severity"], target=f["service"] or f["namespace"])
        for f in firing
    ]
    items += [
        text("report.open.unhelpful", lang, question=q["question"], request=q["request_id"])
        for q in questions
        if q.get("rating") in ("not_helpful", "not_relevant")
    ]
    items += [line.strip()[5:].strip() for line in notes.splitlines() if line.strip().lower().startswith("- [ ]")]
    return items


def _facts(summary: ShiftSummary) -> list[str]:
    """Numbered facts, the sources a narrative cites."""
    tz, lang = summary.tz, summary.language

    def fact(key: str, **params: object) -> str:
        return text(f"report.fact.{key}", lang, **params)

    if "alerts" in summary.unknown:
        facts = [fact("alerts_unknown"), fact("firing_unknown")]
    else:
        facts = [
            fact(
                "alerts",
                firings=summary.counts["intervals"],
                alerts=summary.counts["alerts"],
                by_severity=counts_text(summary.counts.get("by_severity"), lang),
                by_cluster=counts_text(summary.counts.get("by_cluster"), lang),
            )
        ]
        facts.append(
            "; ".join(
                fact(
                    "firing", alert=f["alertname"], severity=f["severity"], service=f["service"], since=local_text(f["since"], tz)
                )
                for f in summary.firing
            )
            or fact("nothing_firing")
        )
    facts.append(
        "; ".join(fact("flapped", alert=f["alertname"], service=f["service"], changes=f["transitions"]) for f in summary.flapping)
        or fact("no_flapping")
    )
    facts.append(
        "; ".join(
            fact(
                "incident",
                kind=text(f"report.kind.{i['kind']}", lang),
                service=i["service"],
                start=local_text(i["start"], tz),
                end=local_text(i["end"], tz)[11:],
                peak=format_peak(i["kind"], i["peak"]),
            )
            for i in summary.incidents
        )
        or fact("incidents_unknown" if "mesh" in summary.unknown else "no_incidents")
    )
    facts.append(fact("questions", count=len(summary.questions)))
    facts.append(fact("notes", notes=summary.notes) if summary.notes else fact("no_notes"))
    return facts


def counts_text(counts: dict | None, lang: Language = Language.EN) -> str:
    return ", ".join(f"{k} {v}" for k, v in (counts or {}).items()) or text("report.none", lang)


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
            summary.problems.append(text("report.problem.narrative", summary.language, error=exc))

    def sentence(key: str, **params: object) -> str:
        return text(f"report.narrative.{key}", summary.language, **params)

    if summary.empty:
        return sentence("empty"), "offline"
    parts = [sentence("saw", fact=facts[0])]
    if "alerts" in summary.unknown:
        parts.append(sentence("firing_unknown"))
    else:
        parts.append(sentence("firing", fact=facts[1]) if summary.firing else sentence("nothing_firing"))
    if summary.flapping:
        parts.append(sentence("noisy", fact=facts[2]))
    if summary.incidents:
        parts.append(sentence("incidents", fact=facts[3]))
    parts.append(sentence("questions", fact=facts[4]))
    return " ".join(parts), "offline"
