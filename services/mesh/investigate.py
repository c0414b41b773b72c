"""Investigating one service: its symptoms, and a walk down its dependencies to the likely cause.

For a latency symptom the walk follows, at each step, the dependency whose own p99 rose the most
over the same period; it stops at the deepest service whose own dependencies did not degrade at
the same time: that one slowed down itself. For errors it reads the caller's side first: a 503 the
caller's sidecar made (UO, UF, URX, UH, NR...) never reached the destination and blames the pool
between the two or the destination's reachability, an application 5xx (flag "-") from a
dependency moves the walk there, and errors with neither are the service's own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from services.i18n import Language, Message
from services.mesh.graph import FLAG_BLAME, PROXY_FLAGS, GraphEdge, ServiceGraph, ServiceKey, build_graph, node_name
from services.mesh.incidents import ERROR_RATIO_LIMIT, LATENCY_FACTOR, LATENCY_FLOOR_MS, excursions
from services.sources.base import Filters, MetricSource, Reporter, SourceError
from services.sources.reads import run_all
from services.timewindow import Window, auto_step, iso

DEPENDENCY_FACTOR = 2.0  # a dependency whose p99 rose this much over the symptom explains it (in part)
HIGH_CONFIDENCE_FACTOR = 5.0
_NOTING = threading.Lock()
INVESTIGATION_POINTS = 720  # points per series at most; the step is never under a minute


@dataclass
class Symptom:
    kind: str  # "latency" or "errors"
    start: datetime
    end: datetime
    peak: float  # ms, or a ratio of requests
    baseline: float
    seen_by: str = "server"  # "server": what the service answered; "callers": what its callers saw

    @property
    def severity(self) -> float:
        if self.kind == "latency":
            return self.peak / max(self.baseline, 1e-9) / LATENCY_FACTOR
        return self.peak / ERROR_RATIO_LIMIT

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "start": iso(self.start),
            "end": iso(self.end),
            "peak": round(self.peak, 6 if self.kind == "errors" else 1),
            "baseline": round(self.baseline, 6 if self.kind == "errors" else 1),
            "seen_by": self.seen_by,
        }


@dataclass
class Cause:
    service: str
    namespace: str
    cluster: str
    kind: str  # "latency", "errors", "connection_pool", "unreachable", "routing", "caller"
    evidence: str
    response_flags: list[str] = field(default_factory=list)
    ratio: float = float("nan")  # how much its own measure rose, or the share of requests that failed
    since: datetime | None = None
    caller: str = ""  # for a connection pool: the workload whose sidecar holds it
    before: float = float("nan")  # its own measure before (ms or ratio) ...
    peak: float = float("nan")  # ... and at its worst
    evidence_parts: tuple[Message, ...] = ()  # `evidence` as messages, for the reader's language

    def evidence_in(self, lang: Language) -> str:
        """The evidence in `lang` (`evidence`, the English one, is what the model and the CLI read)."""
        return prose(self.evidence_parts, lang) if self.evidence_parts else self.evidence

    def to_dict(self) -> dict:
        return {
            "service": self.service,
            "namespace": self.namespace,
            "cluster": self.cluster,
            "kind": self.kind,
            "evidence": self.evidence,
            "response_flags": self.response_flags,
            "caller": self.caller,
            "since": iso(self.since) if self.since else None,
        }


@dataclass
class Investigation:
    service: str
    namespace: str
    cluster: str
    window: Window
    found: bool
    symptoms: list[Symptom] = field(default_factory=list)
    likely_cause: Cause | None = None
    path: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # "checkout waits for payments (p99 3.1x)"
    alerts: list[dict] = field(default_factory=list)
    callers: list[dict] = field(default_factory=list)
    dependencies: list[dict] = field(default_factory=list)
    confidence: str = "low"
    reporters: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)  # the service over the window: rps, p99, ratio_5xx
    step_messages: list[Message] = field(default_factory=list)  # `steps` and `notes` as messages
    note_messages: list[Message] = field(default_factory=list)
    complete: bool = True  # False when a read failed (its note says which): not worth keeping

    def steps_in(self, lang: Language) -> list[str]:
        """The steps in `lang` (`steps` keep English: the model, the CLI and the answers read them)."""
        return _shown(self.steps, self.step_messages, lang)

    def notes_in(self, lang: Language) -> list[str]:
        return _shown(self.notes, self.note_messages, lang)

    def note(self, message: Message) -> None:
        with _NOTING:  # the reads run on threads: both lists in the same order
            self.notes.append(message.text(Language.EN))
            self.note_messages.append(message)

    @property
    def healthy(self) -> bool:
        return self.found and not self.symptoms

    def to_dict(self) -> dict:
        return {
            "service": self.service,
            "namespace": self.namespace,
            "cluster": self.cluster,
            "window": self.window.to_dict(),
            "found": self.found,
            "healthy": self.healthy,
            "symptoms": [s.to_dict() for s in self.symptoms],
            "likely_cause": self.likely_cause.to_dict() if self.likely_cause else None,
            "path": self.path,
            "steps": self.steps,
            "confidence": self.confidence,
            "alerts": self.alerts,
            "callers": self.callers,
            "dependencies": self.dependencies,
            "summary": {k: _rounded(v) for k, v in self.summary.items()},
            "reporters": self.reporters,
            "notes": self.notes,
        }


def prose(parts: tuple[Message, ...], lang: Language) -> str:
    """A sentence made of messages, each in `lang`."""
    return "".join(part.text(lang) for part in parts)


def _shown(english: list[str], messages: list[Message], lang: Language) -> list[str]:
    if lang is Language.EN or len(messages) != len(english):
        return english
    return [m.text(lang) for m in messages]


def _step(steps: list[Message], key: str, **params: object) -> None:
    steps.append(Message.of(key, **params))


def _rounded(value: float) -> float | None:
    return None if value is None or value != value else round(float(value), 6)


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:,.0f} ms"


@dataclass
class _Series:
    latency: pd.DataFrame  # time, cluster, namespace, service, p99 ...
    traffic: pd.DataFrame  # time, cluster, namespace, service, ratio_5xx ...
    edges: pd.DataFrame  # time, edge keys, ratio_5xx (the caller's view)

    def of(self, frame: pd.DataFrame, key: ServiceKey) -> pd.DataFrame:
        if frame.empty:
            return frame
        mask = (frame["cluster"] == key.cluster) & (frame["namespace"] == key.namespace) & (frame["service"] == key.service)
        return frame[mask]


def _change(series: pd.DataFrame, column: str, start: datetime, end: datetime) -> tuple[float, float, datetime | None]:
    """(peak during [start, end], baseline outside it, when its own excursion began) of one series."""
    if series.empty or column not in series:
        return float("nan"), float("nan"), None
    values = series.dropna(subset=[column])
    during = values[(values["time"] >= pd.Timestamp(start)) & (values["time"] <= pd.Timestamp(end))]
    outside = values[(values["time"] < pd.Timestamp(start)) | (values["time"] > pd.Timestamp(end))]
    if during.empty:
        return float("nan"), float("nan"), None
    baseline = float((outside if len(outside) >= 3 else values)[column].median())
    peak = float(during[column].max())
    risen = during[during[column] >= max(DEPENDENCY_FACTOR * baseline, baseline + 1e-9)]
    began = risen["time"].min().to_pydatetime() if not risen.empty else None
    return peak, baseline, began


def _symptoms(series: _Series, key: ServiceKey, graph: ServiceGraph, step: int) -> list[Symptom]:
    found: list[Symptom] = []
    latency = excursions(series.of(series.latency, key), "p99", "latency", step)
    errors = excursions(series.of(series.traffic, key), "ratio_5xx", "5xx", step)
    for kind, frame in (("latency", latency), ("errors", errors)):
        for r in frame.to_dict("records"):
            found.append(
                Symptom(kind, r["start"].to_pydatetime(), r["end"].to_pydatetime(), float(r["peak"]), float(r["baseline"]))
            )
    # Errors only the callers saw (their sidecars answered): the service's own answers look fine.
    if not series.edges.empty:
        inbound = series.of(series.edges, key)
        seen = excursions(inbound, "ratio_5xx", "5xx", step)
        for r in seen.to_dict("records"):
            start, end = r["start"].to_pydatetime(), r["end"].to_pydatetime()
            if not any(s.kind == "errors" and s.start <= end and start <= s.end for s in found):
                found.append(Symptom("errors", start, end, float(r["peak"]), float(r["baseline"]), "callers"))
    return sorted(found, key=lambda s: s.start)


def _edge_row(edge: GraphEdge) -> dict:
    return {
        "caller": node_name(edge),
        "caller_namespace": edge.source_namespace,
        "service": edge.service,
        "namespace": edge.namespace,
        "rps": _rounded(edge.rps),
        "p99_ms": _rounded(edge.p99),
        "ratio_5xx": _rounded(edge.ratio_5xx),
        "client_ratio_5xx": _rounded(edge.client_ratio_5xx),
        "response_flags": {f: int(v) for f, v in sorted(edge.flags.items())},
    }


def _walk_latency(
    graph: ServiceGraph, series: _Series, key: ServiceKey, symptom: Symptom
) -> tuple[list[ServiceKey], list[Message], Cause]:
    path: list[ServiceKey] = [key]
    steps: list[Message] = []
    current = key
    while True:
        options = []
        for edge in graph.dependencies(current):
            dep = edge.destination
            if dep in path:
                continue  # a cycle: never walk back
            peak, baseline, began = _change(series.of(series.latency, dep), "p99", symptom.start, symptom.end)
            if peak == peak and baseline > 0 and peak / baseline >= DEPENDENCY_FACTOR and peak >= LATENCY_FLOOR_MS / 2:
                options.append((peak / baseline, dep, peak, baseline, began))
        if not options:
            break
        ratio, dep, peak, baseline, _began = max(options, key=lambda o: o[0])
        _step(
            steps,
            "investigation.waits_for",
            service=current.service,
            dependency=dep.service,
            ratio=f"{ratio:.1f}",
            before=_ms(baseline),
            peak=_ms(peak),
        )
        path.append(dep)
        current = dep
    peak, baseline, began = _change(series.of(series.latency, current), "p99", symptom.start, symptom.end)
    if current == key:
        peak, baseline = symptom.peak, symptom.baseline
        began = began or symptom.start
    ratio = peak / baseline if baseline > 0 else float("nan")
    parts = [Message.of("investigation.latency_own", service=current.service, before=_ms(baseline), peak=_ms(peak))]
    parts += [Message.of("investigation.latency_ratio", ratio=f"{ratio:.0f}")] if ratio == ratio else []
    parts += [Message.of("investigation.latency_at", since=iso(began))] if began else []
    parts += [Message.of("investigation.latency_alone")] if graph.dependencies(current) else []
    evidence = prose(tuple(parts), Language.EN)
    cause = Cause(current.service, current.namespace, current.cluster, "latency", evidence, [], ratio, began)
    cause.evidence_parts = tuple(parts)
    cause.before, cause.peak = baseline, peak
    return path, steps, cause


def _flags_during(
    source: MetricSource, graph: ServiceGraph, symptom: Symptom, step: int, names: set[str], server: bool = False
) -> pd.DataFrame:
    """Response flags during the symptom, as the callers' sidecars saw them (or the servers', `server`)."""
    view: Reporter = "source" if "source" in graph.reporters and not server else "destination"
    if server and "destination" not in graph.reporters:
        return pd.DataFrame()
    period = Window(symptom.start, symptom.end + timedelta(seconds=step))
    try:
        return source.flag_summary(period, Filters(services=tuple(sorted(names))), view)
    except SourceError:
        return pd.DataFrame()


def _proxy_blame(edges: list[GraphEdge], flags: pd.DataFrame) -> tuple[GraphEdge, dict[str, float], float] | None:
    """The edge whose caller-side errors during the symptom are mostly the proxy's own, if any."""
    best = None
    for edge in edges:
        if flags.empty:
            continue
        rows = flags[
            (flags["source_workload"] == edge.source_workload)
            & (flags["source_namespace"] == edge.source_namespace)
            & (flags["service"] == edge.service)
            & (flags["namespace"] == edge.namespace)
        ]
        total = float(rows["requests"].sum())
        failed = rows[rows["response_code"].astype(str).str.startswith("5")]
        by_flag = {str(f): float(v) for f, v in failed.groupby("response_flags")["requests"].sum().items() if f != "-"}
        share = sum(by_flag.values()) / total if total else 0.0
        if share >= ERROR_RATIO_LIMIT and (best is None or share > best[2]):
            best = (edge, by_flag, share)
    return best


def _pool_cause(edge: GraphEdge, by_flag: dict[str, float], share: float, symptom: Symptom) -> Cause:
    total = sum(by_flag.values())
    flags = [f for f in sorted(by_flag, key=lambda f: -by_flag[f]) if by_flag[f] >= 0.1 * total]  # the flags that matter
    top = flags[0]
    blame = FLAG_BLAME.get(top, "destination")
    caller = node_name(edge)
    what = Message.of(f"investigation.flag.{top}") if top in PROXY_FLAGS else Message.of("investigation.flag.unknown", flag=top)
    kind = blame if blame in ("connection_pool", "routing", "caller") else "unreachable"
    parts = (
        Message.of(
            "investigation.pool_head",
            share=f"{share:.0%}",
            caller=caller,
            service=edge.service,
            flags=",".join(flags),
            since=iso(symptom.start),
        ),
        what,
        Message.of("investigation.pool_tail", service=edge.service),
        Message.of(f"investigation.subject.{kind}", caller=caller, service=edge.service),
    )
    cause = Cause(
        edge.service, edge.namespace, edge.cluster, kind, prose(parts, Language.EN), flags, share, symptom.start, caller
    )
    cause.evidence_parts = parts
    return cause


def _walk_errors(
    source: MetricSource, graph: ServiceGraph, series: _Series, key: ServiceKey, symptom: Symptom, step: int
) -> tuple[list[ServiceKey], list[Message], Cause]:
    names = {e.service for k in graph.neighbourhood(key) for e in graph.dependencies(k)} | {key.service}
    flags = _flags_during(source, graph, symptom, step, names)
    if symptom.seen_by == "callers":  # the service answered fine: its callers' sidecars refused or failed
        blamed = _proxy_blame(graph.callers(key), flags)
        if blamed:
            return [key], [], _pool_cause(*blamed, symptom)
    path: list[ServiceKey] = [key]
    steps: list[Message] = []
    current = key
    while True:
        blamed = _proxy_blame(graph.dependencies(current), flags)
        if blamed:
            edge = blamed[0]
            _step(
                steps,
                "investigation.sidecar_failed",
                service=current.service,
                dependency=edge.service,
                flags=",".join(sorted(blamed[1])),
            )
            path.append(edge.destination)
            return path, steps, _pool_cause(*blamed, symptom)
        failing = []
        for edge in graph.dependencies(current):
            dep = edge.destination
            if dep in path:
                continue
            peak, baseline, _began = _change(series.of(series.traffic, dep), "ratio_5xx", symptom.start, symptom.end)
            if peak == peak and peak >= ERROR_RATIO_LIMIT and peak >= DEPENDENCY_FACTOR * max(baseline, 1e-4):
                failing.append((peak, dep, baseline))
        if not failing:
            break
        peak, dep, baseline = max(failing, key=lambda f: f[0])
        _step(
            steps,
            "investigation.calls_failing",
            service=current.service,
            dependency=dep.service,
            peak=f"{peak:.1%}",
            baseline=f"{baseline:.2%}",
        )
        path.append(dep)
        current = dep
    peak, baseline, began = _change(series.of(series.traffic, current), "ratio_5xx", symptom.start, symptom.end)
    if current == key:
        peak, baseline, began = symptom.peak, symptom.baseline, symptom.start
    served = _served_flags(_flags_during(source, graph, symptom, step, {current.service}, server=True), current)
    kind = (
        Message.of("investigation.errors_application")
        if served[:1] == ["-"]
        else Message.of("investigation.errors_sidecar", flags=",".join(served))
    )
    parts = (
        Message.of(
            "investigation.errors_head",
            service=current.service,
            peak=f"{peak:.1%}",
            baseline=f"{baseline:.2%}",
            since=iso(began or symptom.start),
        ),
        kind,
        Message.of("investigation.errors_tail"),
    )
    evidence = prose(parts, Language.EN)
    cause = Cause(current.service, current.namespace, current.cluster, "errors", evidence, served or ["-"], peak, began)
    cause.evidence_parts = parts
    cause.before, cause.peak = baseline, peak
    return path, steps, cause


def _served_flags(flags: pd.DataFrame, key: ServiceKey) -> list[str]:
    """The response flags of the 5xx a service answered during the symptom, most frequent first."""
    if flags.empty:
        return []
    rows = flags[
        (flags["service"] == key.service)
        & (flags["namespace"] == key.namespace)
        & flags["response_code"].astype(str).str.startswith("5")
    ]
    counts = rows.groupby("response_flags")["requests"].sum().sort_values(ascending=False)
    total = float(counts.sum())
    return [str(f) for f, v in counts.items() if total and v >= 0.1 * total]


def _alerts(source: MetricSource, window: Window, key: ServiceKey) -> tuple[list[dict], Message | None]:
    try:
        frame = source.alert_intervals(window, Filters(clusters=(key.cluster,) if key.cluster else ()))
    except SourceError as exc:
        return [], Message.of("investigation.alerts_unknown", error=str(exc))
    rows = frame[(frame["service"] == key.service) & ((frame["namespace"] == key.namespace) | (frame["namespace"] == ""))]
    return [
        {
            "alertname": r["alertname"],
            "severity": r["severity"],
            "start": iso(r["start"].to_pydatetime()),
            "end": None if r["ongoing"] else iso(r["end"].to_pydatetime()),
            "ongoing": bool(r["ongoing"]),
        }
        for r in rows.to_dict("records")
    ], None


def _confidence(cause: Cause, symptom: Symptom, graph: ServiceGraph, step: int) -> str:
    if graph.problems and cause.kind in ("connection_pool", "unreachable", "routing"):
        return "medium"
    strong = cause.ratio >= HIGH_CONFIDENCE_FACTOR if cause.kind == "latency" else cause.ratio >= 0.1
    aligned = cause.since is not None and abs((cause.since - symptom.start).total_seconds()) <= 3 * step
    if strong and aligned and not graph.problems:
        return "high"
    return "medium" if strong or aligned else "low"


def investigate(
    source: MetricSource,
    window: Window,
    service: str,
    namespace: str | None = None,
    cluster: str | None = None,
    step: int | None = None,
    graph: ServiceGraph | None = None,
) -> Investigation:
    """What happened to `service` in `window`, and why (see the module docstring)."""
    window = window.aligned()
    # Its own resolution, finer than a chart's: a 40-minute incident must not vanish under a
    # 10-minute step on a day's window (only the neighbourhood's series are read at it).
    step = max(60, min(step or auto_step(window, None), window.seconds // INVESTIGATION_POINTS))
    graph = graph or build_graph(source, window, Filters(clusters=(cluster,) if cluster else ()))
    keys = graph.find(service, namespace, cluster)
    if not graph.nodes and graph.problems:  # unknown, not "no traffic": the mesh could not be read
        raise SourceError(f"the mesh could not be read: {graph.problems[0]}")
    if not keys:
        result = Investigation(service, namespace or "", cluster or "", window, False, reporters=list(graph.reporters))
        result.note(
            Message.of("investigation.no_traffic_namespace", service=service, namespace=namespace)
            if namespace
            else Message.of("investigation.no_traffic", service=service)
        )
        for problem in graph.notes():
            result.note(problem)
        result.complete = not graph.problems
        return result
    key = keys[0]
    result = Investigation(key.service, key.namespace, key.cluster, window, True, reporters=list(graph.reporters))
    result.summary = dict(graph.nodes.get(key, {}))
    if len(keys) > 1:
        result.note(
            Message.of("investigation.also_runs", service=service, others=", ".join(k.label for k in keys[1:]), label=key.label)
        )
    result.callers = [_edge_row(e) for e in sorted(graph.callers(key), key=lambda e: -e.rps)]
    names = {k.service for k in graph.neighbourhood(key)}
    filters = Filters(clusters=(key.cluster,), services=tuple(sorted(names)))
    caller_view: Reporter = "source" if "source" in graph.reporters else "destination"
    parts = run_all(
        [
            lambda: _safely(lambda: source.latency_series(window, step, filters, "service"), result),
            lambda: _safely(lambda: source.traffic_series(window, step, filters, "service"), result),
            lambda: _safely(lambda: source.traffic_series(window, step, filters, "edge", caller_view), result),
        ]
    )
    series = _Series(*parts)
    result.symptoms = _symptoms(series, key, graph, step)
    result.alerts, alert_problem = _alerts(source, window, key)
    for note in [n for n in (alert_problem,) if n] + graph.notes():
        result.note(note)
    if alert_problem or graph.problems:
        result.complete = False
    symptom = max(result.symptoms, key=lambda s: s.severity) if result.symptoms else None
    if symptom is not None:
        if symptom.kind == "latency":
            path, steps, cause = _walk_latency(graph, series, key, symptom)
        else:
            path, steps, cause = _walk_errors(source, graph, series, key, symptom, step)
        result.path, result.likely_cause = [k.service for k in path], cause
        result.steps, result.step_messages = [m.text(Language.EN) for m in steps], steps
        result.confidence = _confidence(cause, symptom, graph, step)
    else:
        result.path, result.confidence = [key.service], "high" if not graph.problems else "medium"
    result.dependencies = [_dependency_row(e, series, symptom) for e in graph.dependencies(key)]
    return result


def _dependency_row(edge: GraphEdge, series: _Series, symptom: Symptom | None) -> dict:
    row = _edge_row(edge)
    if symptom is not None:
        peak, baseline, _ = _change(series.of(series.latency, edge.destination), "p99", symptom.start, symptom.end)
        row["p99_change"] = _rounded(peak / baseline) if baseline and baseline == baseline and peak == peak else None
    return row


def _safely(read, result: Investigation) -> pd.DataFrame:
    try:
        return read()
    except SourceError as exc:
        result.note(Message.of("investigation.series_unavailable", error=str(exc)))
        result.complete = False
        return pd.DataFrame()
