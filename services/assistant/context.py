"""What an answer may rest on: the dashboard's facts for the window, and runbook passages.

Each piece is a numbered source, so answers cite [n] and the UI maps [n] back to a dashboard
panel or a runbook section. Runbooks from internal folders are never put into the context.
"""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from services.alerts.analysis import (
    SEVERITY_ORDER,
    FiringAlert,
    FlappingAlert,
    LikelyFalseAlert,
    analyse_alerts,
    firing_records,
    flapping_records,
    likely_false_records,
)
from services.assistant import entities
from services.assistant.actions import Action
from services.config import Settings
from services.i18n import Language, text
from services.knowledge.index import Hit, KnowledgeIndex
from services.mesh.incidents import Incident, format_peak, incident_records
from services.mesh.investigate import Investigation, investigate
from services.overview import RankedService, mesh_incidents, mesh_selection, mesh_summaries, overview_data, ranked
from services.runtime import Runtime
from services.sources.base import Filters, MetricSource, SourceError
from services.sources.cache import CachingSource, derived
from services.timewindow import Window, auto_step, local_text

log = logging.getLogger(__name__)
RUNBOOK_HITS = 4
CHARS_PER_TOKEN = 4  # a rough count: exact tokenizers download their tables, which we cannot


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class Source:
    n: int
    kind: str  # "panel" or "runbook"
    source: str  # panel name, or the runbook's source path/URL
    section: str
    text: str


@dataclass
class Facts:
    """Computed facts for the window; the offline answerer composes from these."""

    firing: list[FiringAlert] = field(default_factory=list)
    flapping: list[FlappingAlert] = field(default_factory=list)
    likely_false: list[LikelyFalseAlert] = field(default_factory=list)
    worst_p99: list[RankedService] = field(default_factory=list)
    worst_errors: list[RankedService] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # parts that could not be read, with why
    unknown: set[str] = field(default_factory=set)  # "alerts", "latency", "traffic", "mesh": unknown, not empty
    investigation: Investigation | None = None  # the service the question names, investigated


@dataclass
class Context:
    question: str
    action: Action
    page: str
    window: Window
    filters: Filters
    tz: ZoneInfo
    facts: Facts
    sources: list[Source]

    def runbooks(self) -> list[Source]:
        return [s for s in self.sources if s.kind == "runbook"]

    def panel(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.kind == "panel" and s.source == name), None)

    def render(self, budget_tokens: int) -> str:
        """The context as text for a model, numbered sources first to last within the budget."""
        w = self.window
        head = (
            f"Dashboard page: {self.page}. Window: {local_text(w.start, self.tz)} to {local_text(w.end, self.tz)} "
            f"({self.tz.key}). "
            f"Filters: clusters={list(self.filters.clusters) or 'all'}, namespaces={list(self.filters.namespaces) or 'all'}."
        )
        parts, used = [head], estimate_tokens(head)
        for s in self.sources:
            block = f"[{s.n}] {s.kind}: {s.source}{' / ' + s.section if s.section else ''}\n{s.text}"
            cost = estimate_tokens(block)
            if used + cost > budget_tokens:
                block = block[: max(0, (budget_tokens - used) * CHARS_PER_TOKEN)]
                if len(block) < 80:
                    break
                cost = estimate_tokens(block)
            parts.append(block)
            used += cost
        return "\n\n".join(parts)


PANEL_FIRING = "Alerts: firing at window end"
PANEL_FLAPPING = "Alerts: flapping and likely false"
PANEL_LATENCY = "Mesh: worst p99 latency"
PANEL_ERRORS = "Mesh: worst 5xx ratio"
PANEL_INCIDENTS = "Mesh: incidents"
PANEL_INVESTIGATION = "Investigation"
# The panels' ids above are what the model and the answers cite; these are their labels on screen.
PANEL_LABELS = {
    PANEL_FIRING: "source_panel.firing",
    PANEL_FLAPPING: "source_panel.flapping",
    PANEL_LATENCY: "source_panel.latency",
    PANEL_ERRORS: "source_panel.errors",
    PANEL_INCIDENTS: "source_panel.incidents",
    PANEL_INVESTIGATION: "source_panel.investigation",
}


def source_label(source: str, lang: Language) -> str:
    """A citation's source as the reader sees it: a panel's label in `lang`, a runbook's file as it is."""
    return text(PANEL_LABELS[source], lang) if source in PANEL_LABELS else source


def investigation_text(found: Investigation, tz: ZoneInfo) -> str:
    """The investigation as numbered-source text: conclusion, evidence, path, alerts, neighbours."""
    where = f"{found.cluster}/{found.namespace}/{found.service}" if found.found else found.service
    lines = [f"- service: {where}"]
    if not found.found:
        return "\n".join(lines + [f"- {note}" for note in found.notes])
    p99, errors, rps = (found.summary.get(k, float("nan")) for k in ("p99", "ratio_5xx", "rps"))
    lines.append(f"- over the window: p99 {p99:,.0f} ms, 5xx {errors:.2%}, {rps:,.1f} req/s")
    if found.healthy:
        lines.append("- healthy: no latency or error excursion in this window")
    for s in found.symptoms:
        value = (
            f"{s.peak:,.0f} ms (baseline {s.baseline:,.0f} ms)"
            if s.kind == "latency"
            else f"{s.peak:.1%} (baseline {s.baseline:.2%})"
        )
        who = " as its callers saw it" if s.seen_by == "callers" else ""
        lines.append(f"- symptom: {s.kind}{who} from {local_text(s.start, tz)} to {local_text(s.end, tz)}, peak {value}")
    lines += [f"- {step}" for step in found.steps]
    if found.likely_cause:
        c = found.likely_cause
        lines.append(f"- likely cause ({found.confidence} confidence): {c.service} ({c.kind}): {c.evidence}")
        lines.append(f"- path: {' -> '.join(found.path)}")
    for a in found.alerts:
        lines.append(f"- alert {a['alertname']} ({a['severity']}) {'firing since' if a['ongoing'] else 'from'} {a['start']}")
    for d in found.dependencies[:8]:
        lines.append(f"- calls {d['service']}: p99 {d['p99_ms'] or 0:,.0f} ms, 5xx {d['ratio_5xx'] or 0:.2%}")
    lines += [f"- note: {n}" for n in found.notes]
    return "\n".join(lines)


def _facts(source: MetricSource, window: Window, filters: Filters, settings: Settings, with_series: bool) -> Facts:
    facts = Facts()
    parts = overview_data(source, window, filters)
    if isinstance(parts["intervals"], SourceError):
        facts.errors.append(f"alerts: {parts['intervals']}")
        facts.unknown.add("alerts")
    else:
        view = analyse_alerts(parts["intervals"], window, settings.alerts)
        facts.firing = firing_records(view)
        facts.flapping = flapping_records(view)
        facts.likely_false = likely_false_records(view)
    latency, traffic = parts["latency"], parts["traffic"]
    if isinstance(latency, SourceError):
        facts.errors.append(f"latency: {latency}")
        facts.unknown.add("latency")
    else:
        facts.worst_p99 = ranked(latency, "p99", 3)
    if isinstance(traffic, SourceError):
        facts.errors.append(f"traffic: {traffic}")
        facts.unknown.add("traffic")
    else:
        facts.worst_errors = ranked(traffic, "ratio_5xx", 3)
    if with_series:
        facts.incidents = _incidents(source, window, filters, settings, facts)
    return facts


def _incidents(source: MetricSource, window: Window, filters: Filters, settings: Settings, facts: Facts) -> list[Incident]:
    """The Mesh page's incidents, read the way it reads them (so on a cached source, what the page
    already read costs nothing); a part that failed makes them unknown, never none."""
    step = auto_step(window, settings.sources.step_seconds)
    summaries = mesh_summaries(source, window, step, filters)
    try:
        if isinstance(summaries["edge_peaks"], SourceError):
            raise summaries["edge_peaks"]
        found, _ = derived(source, mesh_incidents, window.aligned(), step, filters, mesh_selection(summaries, 0, ()).candidates())
    except SourceError as exc:
        facts.errors.append(f"mesh series: {exc}")
        facts.unknown.add("mesh")
        return []
    return incident_records(found)


_PREFETCH = ThreadPoolExecutor(max_workers=1, thread_name_prefix="facts-prefetch")
_prefetching: set[tuple] = set()
_prefetching_lock = threading.Lock()


def prefetch_incidents(source: MetricSource, window: Window, filters: Filters, settings: Settings) -> Future | None:
    """Read, in the background, the Mesh page's incidents of the window into the shared read cache.

    A latency, error or summary question cites them on every page, but only the Mesh page reads
    them: without this, the first such question on the Overview waits for about 40 queries. One
    window at a time, queued behind the page's own reads; a source without the shared cache
    would keep nothing, so it is left alone. The job, or None when none was queued."""
    if not isinstance(source, CachingSource):
        return None
    key = (window.aligned(), filters)
    with _prefetching_lock:
        if key in _prefetching:
            return None
        _prefetching.add(key)

    def job() -> None:
        try:
            facts = Facts()
            _incidents(source, window, filters, settings, facts)
            if facts.errors:  # a question asked now reads them again, and says what failed
                log.info("prefetching the incidents of %s: %s", window.to_dict(), "; ".join(facts.errors))
        except Exception:
            log.exception("prefetching the incidents of %s failed", window.to_dict())
        finally:
            with _prefetching_lock:
                _prefetching.discard(key)

    return _PREFETCH.submit(job)


def _investigation(runtime: Runtime, question: str, window: Window, filters: Filters, facts: Facts) -> Investigation | None:
    """The investigation of the service the question names, if it names one the source knows.

    A source that cannot be read leaves it out and says so (unknown, never "no traffic").
    """
    try:
        named = entities.find(question, runtime.source.label_values("service"), runtime.source.label_values("namespace"))
        if named.subject is None:
            return None
        step = auto_step(window, runtime.settings.sources.step_seconds)
        cluster = filters.clusters[0] if len(filters.clusters) == 1 else None
        namespace = named.namespaces[0] if named.namespaces else None
        return derived(
            runtime.source, investigate, window.aligned(), named.subject, namespace, cluster, step, keep=lambda i: i.complete
        )
    except SourceError as exc:
        facts.errors.append(f"investigation: {exc}")
        facts.unknown.add("mesh")
        return None


def _panel_sources(facts: Facts, tz: ZoneInfo) -> list[tuple[str, str]]:
    firing = "\n".join(
        f"- {f['alertname']} ({f['severity']}) on {f['service'] or '?'} in {f['cluster']}/{f['namespace']}, "
        f"firing since {local_text(f['since'], tz)}"
        for f in facts.firing
    ) or ("- UNKNOWN: the alerts could not be read" if "alerts" in facts.unknown else "- nothing is firing")
    noisy = (
        "\n".join(
            [
                f"- flapping: {f['alertname']} on {f['service']}: {f['transitions']} state changes. {f['hint']}"
                for f in facts.flapping
            ]
            + [
                f"- likely false: {f['alertname']} on {f['service']}: {f['count']} short firings. {f['hint']}"
                for f in facts.likely_false
            ]
        )
        or "- none"
    )
    p99 = (
        "\n".join(
            f"- {r['service']} ({r['cluster']}/{r['namespace']}): p99 {r['value']:,.0f} ms over the window"
            for r in facts.worst_p99
        )
        or "- no data"
    )
    errors = (
        "\n".join(
            f"- {r['service']} ({r['cluster']}/{r['namespace']}): 5xx {r['value']:.2%} of requests" for r in facts.worst_errors
        )
        or "- no data"
    )
    found = (
        "\n".join(
            f"- {i['kind']} on {i['service']} ({i['cluster']}/{i['namespace']}) from {local_text(i['start'], tz)} "
            f"to {local_text(i['end'], tz)}, "
            f"peak {format_peak(i['kind'], i['peak'])} at {local_text(i['peak_time'], tz)} (baseline "
            f"{format_peak(i['kind'], i['baseline'])})"
            for i in facts.incidents
        )
        or "- none"
    )
    panels = [(PANEL_INVESTIGATION, investigation_text(facts.investigation, tz))] if facts.investigation else []
    panels += [
        (PANEL_FIRING, firing),
        (PANEL_FLAPPING, noisy),
        (PANEL_LATENCY, p99),
        (PANEL_ERRORS, errors),
        (PANEL_INCIDENTS, found),
    ]
    if facts.errors:
        panels.append(("Dashboard: unavailable data", "\n".join(f"- {e}" for e in facts.errors)))
    return panels


ACTIONABLE = ("Diagnosis", "Mitigation")
# What to look up in the runbooks for a cause the investigation found.
CAUSE_TOPICS = {
    "latency": "IstioP99LatencyHigh p99 latency high slow service",
    "errors": "Istio5xxRateHigh 5xx errors application",
    "connection_pool": "Envoy 503 response flags UO upstream overflow circuit breaker connection pool",
    "unreachable": "Envoy 503 response flags UF UH upstream connection failure no healthy upstream",
    "routing": "Envoy 503 response flags NR no route",
    "caller": "Envoy response flags downstream",
}


def runbook_hits(index: KnowledgeIndex | None, question: str, facts: Facts, action: Action) -> list[Hit]:
    """Runbook passages, most useful first, without repeats.

    First the runbooks of what is happening (the alerts firing or flapping, most severe first, or
    the worst service's latency or errors), as their Diagnosis or Mitigation; then the passages
    that match the question itself.
    """
    if index is None:
        return []
    hits: list[Hit] = []
    involved: list[str] = []
    cause = facts.investigation.likely_cause if facts.investigation else None
    if cause is not None:  # the runbook for what the investigation found comes first
        topic = CAUSE_TOPICS.get(cause.kind, "")
        hits += index.search(f"{topic} {' '.join(cause.response_flags)} {cause.service}", 1, include_internal=False)
    if action in (Action.SUMMARY, Action.ALERTS):
        firing = sorted(facts.firing, key=lambda f: SEVERITY_ORDER.get(f["severity"], 9))
        involved = [f["alertname"] for f in firing + facts.flapping]
    topics = {
        Action.LATENCY: ("IstioP99LatencyHigh p99 latency high", facts.worst_p99),
        Action.ERRORS: ("Istio5xxRateHigh 5xx error rate high", facts.worst_errors),
    }
    if action in topics and topics[action][1]:
        hits += index.search(f"{topics[action][0]} {topics[action][1][0]['service']}", 1, include_internal=False)
    for alert in involved:
        found = index.search(alert, 1, include_internal=False)
        if found and alert in found[0].alerts:
            hits.append(found[0])
    hits = [index.section(h, ACTIONABLE) for h in hits]
    hits += index.search(question, RUNBOOK_HITS, include_internal=False)
    seen, unique = set(), []
    for hit in hits:
        if (hit.root, hit.path) not in seen:
            seen.add((hit.root, hit.path))
            unique.append(hit)
    return unique[: RUNBOOK_HITS + 2]


def build_context(
    question: str,
    action: str,
    page: str,
    runtime: Runtime,
    window: Window,
    filters: Filters,
    tz: ZoneInfo,
    with_runbooks: bool = True,
) -> Context:
    """The facts of `window` for the action, and the runbook passages that fit the question."""
    action = Action(action)
    source, settings = runtime.source, runtime.settings
    index = runtime.index if with_runbooks else None
    with_series = action in (Action.SUMMARY, Action.LATENCY, Action.ERRORS)
    facts = _facts(source, window, filters, settings, with_series) if action != Action.UNKNOWN else Facts()
    if action != Action.UNKNOWN:
        facts.investigation = _investigation(runtime, question, window, filters, facts)
    sources: list[Source] = []
    if action != Action.UNKNOWN:
        for name, text in _panel_sources(facts, tz):
            sources.append(Source(len(sources) + 1, "panel", name, "", text))
    for hit in runbook_hits(index, question, facts, action) if action != Action.UNKNOWN else []:
        sources.append(Source(len(sources) + 1, "runbook", hit.source, hit.section, hit.text))
    return Context(question, action, page, window, filters, tz, facts, sources)
