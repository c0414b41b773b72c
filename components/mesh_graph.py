"""The Mesh page's service graph and the investigation of the service chosen on it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import data
from components.format import headers, localize
from components.state import View
from services.mesh.graph import ServiceKey
from services.mesh.graph_render import graph_svg
from services.mesh.graph_view import HEALTH_COLORS, to_dot
from services.safety.markup import escape_markdown
from services.sources.base import SourceError

NONE = ""  # the choice of no service: the unhealthiest services
LEGEND = {"failing": "red", "degraded": "orange", "healthy": "green", "idle": "gray"}


def service_graph(view: View) -> None:
    """Graph of the window (the chosen service's neighbourhood, or the unhealthiest ones) and,
    for a chosen service, its investigation: symptoms, the walk down its dependencies, the cause."""
    st.subheader(view.t("mesh_graph.title"))
    try:
        graph = data.service_graph(view.settings.sources, view.window, view.filters)
    except SourceError as exc:
        st.error(view.t("mesh_graph.unavailable", error=escape_markdown(str(exc))))
        return
    if not graph.nodes:
        st.info(view.t("mesh_graph.no_traffic"))
        return
    labels = {k.label: k for k in sorted(graph.nodes, key=lambda k: k.label)}
    chosen = st.selectbox(
        view.t("mesh_graph.investigate"),
        [NONE, *labels],
        key="graph_service",
        format_func=lambda label: label or view.t("mesh_graph.unhealthiest"),
    )
    focus: ServiceKey | None = labels.get(chosen)
    found = (
        data.investigation(view.settings.sources, view.window, focus.service, focus.namespace, focus.cluster, view.step)
        if focus
        else None
    )
    dot = to_dot(graph, focus, found.path if found else None)
    svg = graph_svg(dot)  # laid out once on the server; the browser's layout reruns on every rerun
    if svg is not None:
        st.image(svg, width="stretch")
    else:
        st.graphviz_chart(dot, width="stretch")
    legend = " · ".join(f":{LEGEND[h]}[{view.t(f'mesh_graph.health.{h}')}]" for h in HEALTH_COLORS)
    st.caption(view.t("mesh_graph.legend", legend=legend))
    for problem in graph.problems_in(view.lang):
        st.caption(view.t("mesh_graph.note", note=escape_markdown(problem)))
    if found is None:
        return
    if not found.found:
        st.info(escape_markdown("; ".join(found.notes_in(view.lang))))
        return
    if found.healthy:
        st.success(view.t("mesh_graph.healthy", service=escape_markdown(found.service)))
    elif found.likely_cause:
        cause = found.likely_cause
        st.error(
            view.t(
                "mesh_graph.likely_cause",
                confidence=view.t(f"mesh_graph.confidence.{found.confidence}"),
                service=escape_markdown(cause.service),
                evidence=escape_markdown(cause.evidence_in(view.lang)),
                path=escape_markdown(" → ".join(found.path)),
            )
        )
        for step in found.steps_in(view.lang):
            st.markdown(f"- {escape_markdown(step)}")
    if found.symptoms:
        symptoms = localize(pd.DataFrame([s.to_dict() for s in found.symptoms]), view.tz, ["start", "end"])
        symptoms["kind"] = [view.t(f"investigation.symptom.{kind}") for kind in symptoms["kind"]]
        symptoms["seen_by"] = [view.t(f"investigation.seen_by.{who}") for who in symptoms["seen_by"]]
        st.dataframe(symptoms, hide_index=True, column_config=headers(view, symptoms.columns))
    if found.alerts:
        alerts = ", ".join(f"{a['alertname']} ({a['severity']})" for a in found.alerts)
        st.caption(view.t("mesh_graph.alerts", alerts=escape_markdown(alerts)))
