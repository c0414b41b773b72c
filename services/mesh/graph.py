"""The service graph of a window, read from Istio's standard metrics as Kiali reads them.

Nodes are services (plus the ingress gateway and callers outside the mesh); an edge is a source
workload calling a destination service, with its request rate, p50/p99, error ratios and the
Envoy response flags of its errors. Both reporters are read and never added: the destination's
sidecar says what the server answered, the source's says what the caller saw, including the 503s
the caller's own sidecar produced (UO, UF, URX, UH, NR...) that never reached the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from services.i18n import Language, Message
from services.sources.base import EDGE_KEYS, Filters, MetricSource, Reporter, SourceError
from services.sources.reads import run_all
from services.timewindow import Window

# Flags Envoy sets on responses it made itself (not the application): what each one blames.
PROXY_FLAGS = {
    "UO": "upstream overflow: the caller's circuit breaker (connection pool limits) rejected the request",
    "UF": "upstream connection failure: the caller could not connect to the destination",
    "URX": "upstream retry limit exceeded",
    "UH": "no healthy upstream: every destination endpoint was ejected or not ready",
    "NR": "no route configured for the request",
    "NC": "no cluster configured for the route",
    "DC": "the downstream connection was closed",
    "UC": "the upstream connection was closed",
    "UT": "upstream request timeout",
    "LR": "connection reset locally",
    "UR": "upstream connection reset",
    "RL": "rate limited locally",
    "DPE": "downstream protocol error",
    "UPE": "upstream protocol error",
}
# Whom a proxy flag points at: the pool between caller and destination, the destination, the caller's routing.
FLAG_BLAME = {"UO": "connection_pool", "UF": "destination", "URX": "destination", "UH": "destination", "UC": "destination"}
FLAG_BLAME |= {"UR": "destination", "UT": "destination", "NR": "routing", "NC": "routing", "DC": "caller", "RL": "caller"}
INGRESS_WORKLOADS = ("istio-ingressgateway", "istio-ingress", "ingressgateway")
UNKNOWN_WORKLOAD = "unknown"


@dataclass(frozen=True)
class ServiceKey:
    cluster: str
    namespace: str
    service: str

    @property
    def label(self) -> str:
        return f"{self.cluster}/{self.namespace}/{self.service}"


@dataclass
class GraphEdge:
    cluster: str
    source_workload: str
    source_namespace: str
    namespace: str
    service: str
    rps: float = 0.0
    p50: float = float("nan")
    p99: float = float("nan")
    ratio_5xx: float = float("nan")  # what the server answered (destination reporter)
    ratio_4xx: float = float("nan")
    ratio_grpc_error: float = float("nan")
    client_ratio_5xx: float = float("nan")  # what the caller saw (source reporter)
    flags: dict[str, float] = field(default_factory=dict)  # 5xx requests by response flag, caller's view first

    @property
    def destination(self) -> ServiceKey:
        return ServiceKey(self.cluster, self.namespace, self.service)

    @property
    def proxy_errors(self) -> float:
        return sum(v for f, v in self.flags.items() if f != "-")

    @property
    def app_errors(self) -> float:
        return self.flags.get("-", 0.0)


@dataclass
class ServiceGraph:
    window: Window
    edges: list[GraphEdge]
    nodes: dict[ServiceKey, dict[str, float]]  # service -> rps, p99, ratio_5xx (destination view)
    reporters: list[Reporter]
    problems: list[str] = field(default_factory=list)  # parts that could not be read
    problem_messages: list[Message] = field(default_factory=list)  # `problems` as messages, for the reader's language

    def notes(self) -> list[Message]:
        """The problems as messages (English `problems` are what the model and the CLI read)."""
        if len(self.problem_messages) == len(self.problems):
            return list(self.problem_messages)
        return [Message.of("graph_note.verbatim", note=problem) for problem in self.problems]

    def problems_in(self, lang: Language) -> list[str]:
        return [note.text(lang) for note in self.notes()]

    def find(self, service: str, namespace: str | None = None, cluster: str | None = None) -> list[ServiceKey]:
        """The services with that name (and namespace, cluster), matched without case."""
        want = service.lower()
        return [
            k
            for k in sorted(self.nodes, key=lambda k: -self.nodes[k].get("rps", 0.0))
            if k.service.lower() == want
            and (namespace is None or k.namespace == namespace)
            and (cluster is None or k.cluster == cluster)
        ]

    def callers(self, key: ServiceKey) -> list[GraphEdge]:
        return self._callers.get(key, [])

    @cached_property
    def _callers(self) -> dict[ServiceKey, list[GraphEdge]]:
        """Edges by destination, indexed once: ranking the unhealthiest services asks every node's callers."""
        index: dict[ServiceKey, list[GraphEdge]] = {}
        for edge in self.edges:
            index.setdefault(edge.destination, []).append(edge)
        return index

    def dependencies(self, key: ServiceKey) -> list[GraphEdge]:
        """Edges this service's workload calls: its workload is named like the service (Istio's convention)."""
        return [e for e in self.edges if e.cluster == key.cluster and workload_is(e, key)]

    def caller_service(self, edge: GraphEdge) -> ServiceKey | None:
        """The service whose workload makes an edge's calls, if the mesh serves one."""
        return next((k for k in self.nodes if k.cluster == edge.cluster and workload_is(edge, k)), None)

    def neighbourhood(self, key: ServiceKey, depth: int = 5) -> set[ServiceKey]:
        """The service, its calling services, and everything it reaches within `depth` calls (cycles are safe)."""
        seen, frontier = {key}, [key]
        for _ in range(depth):
            frontier = [e.destination for k in frontier for e in self.dependencies(k) if e.destination not in seen]
            seen.update(frontier)
            if not frontier:
                break
        return seen | {c for c in (self.caller_service(e) for e in self.callers(key)) if c is not None}

    def unhealthy(self, limit: int) -> list[ServiceKey]:
        """The services in the worst state: errors seen by callers or answered, then p99."""

        def badness(k: ServiceKey) -> tuple[float, float]:
            client = max((e.client_ratio_5xx for e in self.callers(k) if e.client_ratio_5xx == e.client_ratio_5xx), default=0.0)
            answered = self.nodes[k].get("ratio_5xx", 0.0)
            errors = max(client, answered if answered == answered else 0.0)
            p99 = self.nodes[k].get("p99", 0.0)
            return (-errors, -(p99 if p99 == p99 else 0.0))

        return sorted(self.nodes, key=badness)[:limit]


def workload_is(edge: GraphEdge, key: ServiceKey) -> bool:
    """Whether an edge's caller is this service's workload (same namespace, named like the service)."""
    name = edge.source_workload
    return edge.source_namespace == key.namespace and (name == key.service or name.startswith(f"{key.service}-v"))


def node_name(edge: GraphEdge) -> str:
    """How a caller is shown: the ingress, a caller outside the mesh, or its workload."""
    if edge.source_workload in INGRESS_WORKLOADS:
        return "ingress"
    if edge.source_workload == UNKNOWN_WORKLOAD:
        return "unknown callers"
    return edge.source_workload


def _records(frame: pd.DataFrame) -> Iterable[dict]:
    return frame.to_dict("records") if frame is not None and not frame.empty else []


def build_graph(source: MetricSource, window: Window, filters: Filters = Filters()) -> ServiceGraph:
    """The graph of `window`: edge and service summaries from both reporters, flags from the caller's view."""
    problems: list[Message] = []
    try:
        reporters = source.mesh_reporters()
    except SourceError as exc:
        reporters, problems = ["destination"], [Message.of("graph_note.reporters", error=str(exc))]
    caller_view: Reporter = "source" if "source" in reporters else "destination"

    def attempt(name: str, job):
        def run():
            try:
                return job()
            except SourceError as exc:
                problems.append(Message.of(f"graph_note.{name.replace(' ', '_')}", error=str(exc)))
                return None

        return run

    server_view: Reporter = "destination" if "destination" in reporters else "source"
    jobs = [
        attempt("edge traffic", lambda: source.traffic_summary(window, filters, "edge", server_view)),
        attempt("edge latency", lambda: source.latency_summary(window, filters, "edge", server_view)),
        attempt("caller view", lambda: source.traffic_summary(window, filters, "edge", caller_view)),
        attempt("response flags", lambda: source.flag_summary(window, filters, caller_view)),
        attempt("service traffic", lambda: source.traffic_summary(window, filters, "service", server_view)),
        attempt("service latency", lambda: source.latency_summary(window, filters, "service", server_view)),
    ]
    traffic, latency, client, flags, services, service_latency = run_all(jobs)
    edges: dict[tuple, GraphEdge] = {}

    def edge_for(row: dict) -> GraphEdge:
        key = tuple(row[k] for k in EDGE_KEYS)
        if key not in edges:
            edges[key] = GraphEdge(
                row["cluster"], row["source_workload"], row["source_namespace"], row["namespace"], row["service"]
            )
        return edges[key]

    for row in _records(traffic):
        e = edge_for(row)
        e.rps, e.ratio_5xx, e.ratio_4xx, e.ratio_grpc_error = (
            row["rps"],
            row["ratio_5xx"],
            row["ratio_4xx"],
            row["ratio_grpc_error"],
        )
    for row in _records(latency):
        e = edge_for(row)
        e.p50, e.p99 = row["p50"], row["p99"]
    for row in _records(client):
        e = edge_for(row)
        e.client_ratio_5xx = row["ratio_5xx"]
        e.rps = max(e.rps, row["rps"])  # the caller also counts what its sidecar refused
    for row in _records(flags):
        if str(row["response_code"]).startswith("5"):
            e = edge_for(row)
            e.flags[row["response_flags"]] = e.flags.get(row["response_flags"], 0.0) + float(row["requests"])
    nodes: dict[ServiceKey, dict[str, float]] = {}
    for row in _records(services):
        nodes[ServiceKey(row["cluster"], row["namespace"], row["service"])] = {"rps": row["rps"], "ratio_5xx": row["ratio_5xx"]}
    for row in _records(service_latency):
        nodes.setdefault(ServiceKey(row["cluster"], row["namespace"], row["service"]), {})["p99"] = row["p99"]
    for e in edges.values():
        nodes.setdefault(e.destination, {"rps": e.rps})
    if len(reporters) == 1 and not problems:
        problems.append(Message.of("graph_note.one_side", reporter=reporters[0]))
    english = [problem.text(Language.EN) for problem in problems]
    return ServiceGraph(window, list(edges.values()), nodes, reporters, english, problems)
