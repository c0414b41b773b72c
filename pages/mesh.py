"""Mesh: p99 latency and error ratios of the worst services, and every edge of the mesh."""

import streamlit as st

from components import data
from components.charts import series_chart
from components.format import localize, window_caption
from components.mesh_graph import service_graph
from components.panel import loaded, no_data
from components.state import current_view
from services.mesh.incidents import ERROR_RATIO_LIMIT, format_peak, incidents
from services.overview import edge_table, series_label, top_services

view = current_view()
st.title("Service mesh")
st.caption(window_caption(view))
service_graph(view)
parts = data.page_data(view.settings.sources, "mesh", view.window, view.step, view.filters)


def usable(name: str, title: str):
    """The part, or None after showing why it failed."""
    return parts[name] if loaded(parts[name], title) else None


c1, c2 = st.columns([1, 2])
top_n = c1.slider(
    "Top services", 1, 20, 5, key="top_n", help="Each chart shows the worst services by its own measure over the window."
)
by_p99, by_5xx = usable("latency_summary", "Latency ranking"), usable("traffic_summary", "Error ranking")
every = sorted(
    {
        key
        for part in (by_p99, by_5xx)
        if part is not None
        for key in zip(part["cluster"], part["namespace"], part["service"], strict=True)
    }
)
names = {f"{c}/{n}/{s}": (c, n, s) for c, n, s in every}
picked = {
    names[p]
    for p in c2.multiselect("Or pick services", list(names), key="picked", placeholder="Top services by p99 and by 5xx ratio")
}


def only_chosen(frame, ranking, column):
    """The picked services, or the top N of `ranking` by `column`."""
    chosen = picked or set(top_services(ranking, column, top_n) if ranking is not None else [])
    keys = zip(frame["cluster"], frame["namespace"], frame["service"], strict=False)
    return frame[[k in chosen for k in keys]]


latency, traffic = usable("latency", "Latency"), usable("traffic", "Errors")
found = incidents(latency, traffic, view.step)

CHARTS = [  # series, its ranking, measure, title, axis, incident kind, axis in percent
    (latency, by_p99, "p99", "p99 latency", "p99 (ms)", "latency", False),
    (traffic, by_5xx, "ratio_5xx", "5xx error ratio", "5xx / all", "5xx", True),
]
for series, ranking, column, title, axis, kind, percent in CHARTS:
    if series is None:
        continue
    st.subheader(title)
    shown = only_chosen(series, ranking, column)
    if shown.empty:
        no_data(f"{title} data")
    else:
        marks = found[found["kind"] == kind]
        st.plotly_chart(series_chart(shown, column, series_label(shown), view.tz, axis, marks, percent), key=f"{column}_chart")

if latency is not None or traffic is not None:
    st.subheader(f"Incidents ({len(found)})")
    st.caption(f"p99 at least 3× its window median and over 250 ms, or a 5xx ratio over {ERROR_RATIO_LIMIT:.0%}, for 2+ points.")
    if found.empty:
        st.success("No latency or 5xx excursions in this window.")
    else:
        shown = localize(found, view.tz, ["start", "end", "peak_time"]).drop(columns=["source_workload"])
        for col in ("peak", "baseline"):
            shown[col] = [format_peak(kind, value) for kind, value in zip(shown["kind"], shown[col], strict=True)]
        st.dataframe(
            shown,
            hide_index=True,
            column_config={t: st.column_config.DatetimeColumn(format="MM-DD HH:mm") for t in ("start", "end", "peak_time")},
        )

st.subheader("Edges (source → destination)")
edge_latency, edge_traffic = usable("edge_latency_summary", "Edge latency"), usable("edge_traffic_summary", "Edge traffic")
if edge_latency is not None and edge_traffic is not None:
    edges = edge_table(edge_latency, edge_traffic)
    if edges.empty:
        no_data("mesh traffic")
    else:
        edge_incidents = incidents(
            usable("edge_latency", "Edge latency series"), usable("edge_traffic", "Edge error series"), view.step
        )
        hot = set(zip(edge_incidents["source_workload"], edge_incidents["service"], strict=False))
        edges.insert(0, "incident", [(s, d) in hot for s, d in zip(edges["source_workload"], edges["service"], strict=False)])
        edges = edges.sort_values("incident", ascending=False, kind="stable")
        table = edges[
            [
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
        ]
        st.dataframe(
            table.style.apply(
                lambda row: ["background-color: rgba(214,39,40,0.15)" if row["incident"] else "" for _ in row], axis=1
            ),
            hide_index=True,
            column_config={
                "incident": st.column_config.CheckboxColumn("incident", help="a p99 or 5xx excursion on this edge in the window"),
                "source_workload": "source",
                "service": "destination",
                "rps": st.column_config.NumberColumn("req/s", format="%.1f"),
                "p99": st.column_config.NumberColumn("p99 (ms)", format="%.0f"),
                "ratio_5xx": st.column_config.NumberColumn("5xx", format="percent"),
                "ratio_4xx": st.column_config.NumberColumn("4xx", format="percent"),
                "ratio_grpc_error": st.column_config.NumberColumn("gRPC non-OK", format="percent"),
            },
        )
