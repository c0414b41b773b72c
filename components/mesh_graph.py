"""The Mesh page's service graph and the investigation of the service chosen on it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import data
from components.format import localize
from components.state import View
from services.mesh.graph import ServiceKey
from services.mesh.graph_view import HEALTH_COLORS, to_dot
from services.safety.markup import escape_markdown
from services.sources.base import SourceError

NONE = "(the unhealthiest services)"
LEGEND = {"failing": "red", "degraded": "orange", "healthy": "green", "idle": "gray"}


def service_graph(view: View) -> None:
    """Graph of the window (the chosen service's neighbourhood, or the unhealthiest ones) and,
    for a chosen service, its investigation: symptoms, the walk down its dependencies, the cause."""
    st.subheader("Service graph")
    try:
        graph = data.service_graph(view.settings.sources, view.window, view.filters)
    except SourceError as exc:
        st.error(f"Service graph unavailable: {escape_markdown(str(exc))}")
        return
    if not graph.nodes:
        st.info("No mesh traffic in this window.")
        return
    labels = {k.label: k for k in sorted(graph.nodes, key=lambda k: k.label)}
    chosen = st.selectbox("Investigate a service", [NONE, *labels], key="graph_service")
    focus: ServiceKey | None = labels.get(chosen)
    found = (
        data.investigation(view.settings.sources, view.window, focus.service, focus.namespace, focus.cluster, view.step, graph)
        if focus
        else None
    )
    st.graphviz_chart(to_dot(graph, focus, found.path if found else None), width="stretch")
    legend = " · ".join(f":{LEGEND[h]}[{h}]" for h in HEALTH_COLORS)
    st.caption(f"Nodes by health ({legend}); edges: req/s, p99, 5xx and Envoy flags; the investigated path in blue.")
    for problem in graph.problems:
        st.caption(f"Note: {escape_markdown(problem)}")
    if found is None:
        return
    if not found.found:
        st.info(escape_markdown("; ".join(found.notes)))
        return
    if found.healthy:
        st.success(f"{escape_markdown(found.service)} looks healthy in this window: no latency or error excursion.")
    elif found.likely_cause:
        cause = found.likely_cause
        st.error(
            f"**Likely cause** ({found.confidence} confidence): {escape_markdown(cause.service)} — "
            f"{escape_markdown(cause.evidence)}\n\nPath: {escape_markdown(' → '.join(found.path))}"
        )
        for step in found.steps:
            st.markdown(f"- {escape_markdown(step)}")
    if found.symptoms:
        symptoms = localize(pd.DataFrame([s.to_dict() for s in found.symptoms]), view.tz, ["start", "end"])
        st.dataframe(symptoms, hide_index=True)
    if found.alerts:
        st.caption("Alerts on it: " + escape_markdown(", ".join(f"{a['alertname']} ({a['severity']})" for a in found.alerts)))
