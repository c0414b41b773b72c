"""Mesh: p99 latency and error ratios of the worst services, and every edge of the mesh."""

import streamlit as st

from components import data
from components.charts import drawn, series_chart
from components.format import headers, localize, window_caption
from components.mesh_graph import service_graph
from components.panel import loaded, no_data
from components.state import current_view
from services.mesh.incidents import ERROR_RATIO_LIMIT, format_peak, incidents
from services.overview import edge_table, incident_step, mesh_selection, series_label
from services.sources.base import SourceError

view = current_view()
t = view.t
st.title(t("mesh.title"))
st.caption(window_caption(view))
fine = incident_step(view.step)
# First the window summaries and peaks (cheap, and most of the service graph's reads: it finds
# them in the shared cache), then curves of the shown services and of the incident candidates
# only (services.overview.mesh_selection).
parts = data.page_data(view.settings.sources, "mesh_summaries", view.window, view.step, view.filters)
service_graph(view)


def usable(name: str, title: str):
    """The part, or None after showing why it failed."""
    return parts[name] if loaded(view, parts[name], title) else None


c1, c2 = st.columns([1, 2])
top_n = c1.slider(t("mesh.top_n"), 1, 20, 5, key="top_n", help=t("mesh.top_n_help"))
by_p99, by_5xx = usable("latency_summary", t("mesh.latency_ranking")), usable("traffic_summary", t("mesh.error_ranking"))
every = sorted(
    {
        key
        for part in (by_p99, by_5xx)
        if part is not None
        for key in zip(part["cluster"], part["namespace"], part["service"], strict=True)
    }
)
names = {f"{c}/{n}/{s}": (c, n, s) for c, n, s in every}
chosen = c2.multiselect(t("mesh.picked"), list(names), key="picked", placeholder=t("mesh.picked_placeholder"))
picked = tuple(sorted(names[p] for p in chosen))
selection = mesh_selection(parts, top_n, picked)
parts = {**parts, **data.page_data(view.settings.sources, "mesh_curves", view.window, view.step, view.filters, selection)}
latency, traffic = usable("latency", t("overview.latency")), usable("traffic", t("overview.errors"))
# Incidents are found on the candidates' curves; without the peaks they are unknown, not none.
peaks_known = usable("edge_peaks", t("mesh.incident_search")) is not None
try:
    found, edge_found = data.mesh_incidents(view.settings.sources, view.window, view.step, view.filters, selection)
except SourceError:  # a candidate's curve is missing: the incidents on those that could be read
    found = incidents(usable("incident_latency", t("overview.latency")), usable("incident_traffic", t("overview.errors")), fine)
    edge_found = incidents(
        usable("edge_latency", t("mesh.edge_latency_series")), usable("edge_traffic", t("mesh.edge_error_series")), fine
    )

CHARTS = [  # series (the shown services only), measure, title, axis, incident kind, axis in percent
    (latency, "p99", t("mesh.p99_title"), t("mesh.p99_axis"), "latency", False),
    (traffic, "ratio_5xx", t("mesh.5xx_title"), t("mesh.5xx_axis"), "5xx", True),
]
for shown, column, title, axis, kind, percent in CHARTS:
    if shown is None:
        continue
    st.subheader(title)
    if shown.empty:
        no_data(view, title)
    else:
        marks = found[found["kind"] == kind] if peaks_known else None
        chart = drawn(series_chart, view, shown, column, series_label(shown), axis, marks, percent)
        st.plotly_chart(chart, key=f"{column}_chart")

if peaks_known:
    st.subheader(t("mesh.incidents", count=len(found)))
    st.caption(t("mesh.incidents_caption", limit=f"{ERROR_RATIO_LIMIT:.0%}"))
    if found.empty:
        st.success(t("mesh.no_incidents"))
    else:
        shown = localize(found, view.tz, ["start", "end", "peak_time"]).drop(columns=["source_workload"])
        minute = st.column_config.DatetimeColumn(format="MM-DD HH:mm")
        for col in ("peak", "baseline"):
            shown[col] = [format_peak(kind, value) for kind, value in zip(shown["kind"], shown[col], strict=True)]
        st.dataframe(
            shown,
            hide_index=True,
            column_config=headers(
                view,
                shown.columns,
                start=minute,
                end=minute,
                peak_time=minute,
            ),
        )

st.subheader(t("mesh.edges"))
edge_latency, edge_traffic = (
    usable("edge_latency_summary", t("mesh.edge_latency")),
    usable("edge_traffic_summary", t("mesh.edge_traffic")),
)
if edge_latency is not None and edge_traffic is not None:
    edges = edge_table(edge_latency, edge_traffic)
    if edges.empty:
        no_data(view, t("mesh.traffic"))
    else:
        if usable("edge_peaks", t("mesh.edge_incident_search")) is not None:
            hot = set(zip(edge_found["source_workload"], edge_found["service"], strict=False))
            flags = [(s, d) in hot for s, d in zip(edges["source_workload"], edges["service"], strict=False)]
        else:  # unknown: no edge is marked, and the panel above says why
            flags = [False] * len(edges)
        edges.insert(0, "incident", flags)
        edges = edges.sort_values("incident", ascending=False, kind="stable")
        columns = [
            "incident",
            "cluster",
            "source_workload",
            "namespace",
            "service",
            "rps",
            "p99",
            "ratio_5xx",
            "ratio_4xx",
            "ratio_grpc_error",
        ]
        # Incident edges come first and are ticked; no row colours: a styled table of every edge
        # costs more to send than the rest of the page.
        st.dataframe(
            edges[columns],
            hide_index=True,
            column_config=headers(
                view,
                columns,
                names={"source_workload": "source", "service": "destination"},
                incident=st.column_config.CheckboxColumn(help=t("mesh.incident_help")),
                rps=st.column_config.NumberColumn(format="%.1f"),
                p99=st.column_config.NumberColumn(format="%.0f"),
                ratio_5xx=st.column_config.NumberColumn(format="percent"),
                ratio_4xx=st.column_config.NumberColumn(format="percent"),
                ratio_grpc_error=st.column_config.NumberColumn(format="percent"),
            ),
        )
