"""The service graph as Graphviz DOT, Kiali-style: health colours, error and latency on edges.

Graphviz's layered layout (`dot`) draws call chains top-down the way engineers sketch them, and
Streamlit renders DOT in the browser (st.graphviz_chart) with no extra package on the server. At
hundreds of services the whole mesh is unreadable, so the view is the neighbourhood of one
service, or the few unhealthiest services with their direct neighbours.
"""

from __future__ import annotations

from services.mesh.graph import GraphEdge, ServiceGraph, ServiceKey, node_name
from services.mesh.incidents import ERROR_RATIO_LIMIT

HEALTH_COLORS = {"failing": "#d62728", "degraded": "#ff7f0e", "healthy": "#2ca02c", "idle": "#9e9e9e"}
PATH_COLOR = "#1f77b4"
SLOW_MS = 500.0


def _quoted(text: str) -> str:
    """A DOT string literal: label values are untrusted, quotes and backslashes are escaped; a
    newline becomes DOT's line break."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _finite(value: float) -> float:
    return value if value == value else 0.0


def health(graph: ServiceGraph, key: ServiceKey) -> str:
    """failing (errors over the incident limit, answered or seen by callers), degraded, healthy or idle."""
    node = graph.nodes.get(key, {})
    seen = max((_finite(e.client_ratio_5xx) for e in graph.callers(key)), default=0.0)
    errors = max(_finite(node.get("ratio_5xx", 0.0)), seen)
    if not _finite(node.get("rps", 0.0)):
        return "idle"
    if errors >= ERROR_RATIO_LIMIT:
        return "failing"
    if errors >= ERROR_RATIO_LIMIT / 4 or _finite(node.get("p99", 0.0)) >= SLOW_MS:
        return "degraded"
    return "healthy"


def _edge_color(edge: GraphEdge) -> str:
    errors = max(_finite(edge.ratio_5xx), _finite(edge.client_ratio_5xx))
    if errors >= ERROR_RATIO_LIMIT:
        return HEALTH_COLORS["failing"]
    if errors >= ERROR_RATIO_LIMIT / 4 or _finite(edge.p99) >= SLOW_MS:
        return HEALTH_COLORS["degraded"]
    return "#7f7f7f"


def shown_services(graph: ServiceGraph, focus: ServiceKey | None, limit: int) -> set[ServiceKey]:
    if focus is not None:
        return graph.neighbourhood(focus)
    worst = graph.unhealthy(limit)
    shown = set(worst)
    for key in worst:
        shown |= {e.destination for e in graph.dependencies(key)}
        shown |= {c for c in (graph.caller_service(e) for e in graph.callers(key)) if c is not None}
    return shown


def to_dot(graph: ServiceGraph, focus: ServiceKey | None = None, path: list[str] | None = None, limit: int = 12) -> str:
    """DOT text for the shown part of the graph; `path` (service names) is drawn bold in blue."""
    shown = shown_services(graph, focus, limit)
    on_path = set(path or [])
    lines = ["digraph mesh {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=11];']
    lines.append('  edge [fontname="sans-serif", fontsize=9];')
    ids: dict[str, str] = {}
    for key in sorted(shown, key=lambda k: k.label):
        node = graph.nodes.get(key, {})
        color = HEALTH_COLORS[health(graph, key)]
        label = f"{key.service}\n{key.namespace} · p99 {_finite(node.get('p99', 0.0)):,.0f} ms"
        bold = key.service in on_path or key == focus
        ids[key.label] = _quoted(key.label)
        lines.append(
            f"  {ids[key.label]} [label={_quoted(label)}, fillcolor={_quoted(color + '33')}, "
            f"color={_quoted(PATH_COLOR if bold else color)}, penwidth={3 if bold else 1}];"
        )
    for edge in graph.edges:
        if edge.destination not in shown:
            continue
        caller = graph.caller_service(edge)
        if caller is not None and caller in shown:
            source_id = ids[caller.label]
        elif caller is None and focus is not None and edge.destination != focus:
            continue  # outside callers of a neighbour: noise around the focus
        else:
            source_id = _quoted(f"{edge.cluster}/{node_name(edge)}")
            lines.append(
                f'  {source_id} [label={_quoted(node_name(edge))}, shape=ellipse, fillcolor="#eeeeee", color="#9e9e9e"];'
            )
        errors = max(_finite(edge.ratio_5xx), _finite(edge.client_ratio_5xx))
        flags = ",".join(f for f in sorted(edge.flags, key=lambda f: -edge.flags[f]) if f != "-")[:12]
        label = f"{_finite(edge.rps):,.0f}/s · p99 {_finite(edge.p99):,.0f} ms" + (
            f" · 5xx {errors:.1%}" if errors >= 0.001 else ""
        )
        label += f" · {flags}" if flags and errors >= ERROR_RATIO_LIMIT / 4 else ""
        highlighted = caller is not None and caller.service in on_path and edge.service in on_path
        color = PATH_COLOR if highlighted else _edge_color(edge)
        width, target = (3 if highlighted else 1.2), ids[edge.destination.label]
        lines.append(f"  {source_id} -> {target} [label={_quoted(label)}, color={_quoted(color)}, penwidth={width}];")
    lines.append("}")
    return "\n".join(lines)
