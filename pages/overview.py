"""Overview: what is firing, how noisy the window was, and the worst services."""

import pandas as pd
import streamlit as st

from components import data
from components.format import labels_text, local_time, localize, window_caption
from components.panel import loaded, no_data
from components.state import current_view
from services.alerts.analysis import analyse_alerts
from services.alerts.timeline import alert_timeline
from services.overview import worst

view = current_view()
st.title("Overview")
st.caption(window_caption(view))
parts = data.page_data(view.settings.sources, "overview", view.window, view.filters)

firing_col, count_col, p99_col, err_col = st.columns(4)
alerts = latency = errors = None
intervals = parts["intervals"]
if loaded(intervals, "Alerts") and isinstance(intervals, pd.DataFrame):
    alerts = analyse_alerts(intervals, view.window, view.settings.alerts)
    firing_col.metric("Firing now", len(alerts.firing), help="Alerts active at the end of the window")
    count_col.metric(
        "Alert intervals", len(alerts.intervals), help=f"{alerts.intervals['alertname'].nunique()} distinct alert names"
    )


def worst_metric(part, title: str, column: str, label: str, fmt: str, meaning: str):
    """A metric of the worst service by `column`; returns the ranking, or None if it failed."""
    if not loaded(part, title):
        return None
    ranking = worst(part, column)
    if ranking.empty:
        st.metric(label, "no data")
        return ranking
    top = ranking.iloc[0]
    st.metric(label, fmt.format(top[column]), help=f"{meaning}: {top['cluster']}/{top['namespace']}/{top['service']}")
    st.caption(f"{top['service']} ({top['cluster']})")
    return ranking


with p99_col:
    latency = worst_metric(parts["latency"], "Latency", "p99", "Worst p99", "{:,.0f} ms", "over the window")
with err_col:
    errors = worst_metric(
        parts["traffic"], "Errors", "ratio_5xx", "Worst 5xx ratio", "{:.2%}", "5xx / all requests over the window"
    )

if alerts is not None:
    st.subheader("Firing now")
    if alerts.firing.empty:
        st.success("Nothing is firing at the end of this window.")
    else:
        for row in alerts.firing.to_dict("records"):
            st.markdown(
                f"- **{row['alertname']}** `{row['severity']}` since {local_time(row['since'], view.tz)} — "
                f"{labels_text(row['labels'])}"
            )
    st.subheader("Alert timeline")
    if alerts.intervals.empty:
        no_data("alerts")
    else:
        st.plotly_chart(alert_timeline(alerts.intervals, view.window, view.tz, compact=True), key="overview_timeline")
    st.subheader("Top offenders")
    if not alerts.offenders.empty:
        table = localize(alerts.offenders, view.tz, ["last_start"])
        st.dataframe(
            table[
                ["alertname", "severity", "cluster", "namespace", "service", "firings", "firing_minutes", "last_start", "ongoing"]
            ],
            hide_index=True,
            column_config={
                "firing_minutes": st.column_config.NumberColumn("firing (min)", format="%.0f"),
                "last_start": st.column_config.DatetimeColumn("last fired", format="MM-DD HH:mm"),
                "ongoing": st.column_config.CheckboxColumn("firing now"),
            },
        )

left, right = st.columns(2)
if latency is not None and not latency.empty:
    with left:
        st.subheader("Worst p99 (ms)")
        st.dataframe(
            latency.head(5)[["cluster", "namespace", "service", "p50", "p90", "p99"]],
            hide_index=True,
            column_config={q: st.column_config.NumberColumn(format="%.0f") for q in ("p50", "p90", "p99")},
        )
if errors is not None and not errors.empty:
    with right:
        st.subheader("Worst 5xx ratio")
        st.dataframe(
            errors.head(5)[["cluster", "namespace", "service", "rps", "ratio_5xx", "ratio_4xx"]],
            hide_index=True,
            column_config={
                "rps": st.column_config.NumberColumn("req/s", format="%.1f"),
                "ratio_5xx": st.column_config.NumberColumn("5xx", format="percent"),
                "ratio_4xx": st.column_config.NumberColumn("4xx", format="percent"),
            },
        )
