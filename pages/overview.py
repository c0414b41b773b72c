"""Overview: what is firing, how noisy the window was, and the worst services."""

import pandas as pd
import streamlit as st

from components import data
from components.charts import drawn
from components.format import headers, labels_text, local_time, localize, window_caption
from components.panel import loaded, no_data
from components.state import current_view
from services.alerts.analysis import analyse_alerts
from services.alerts.timeline import alert_timeline
from services.overview import worst

view = current_view()
t = view.t
st.title(t("overview.title"))
st.caption(window_caption(view))
parts = data.page_data(view.settings.sources, "overview", view.window, view.filters)

firing_col, count_col, p99_col, err_col = st.columns(4)
alerts = latency = errors = None
intervals = parts["intervals"]
if loaded(view, intervals, t("overview.alerts")) and isinstance(intervals, pd.DataFrame):
    alerts = analyse_alerts(intervals, view.window, view.settings.alerts)
    firing_col.metric(t("overview.firing_now"), len(alerts.firing), help=t("overview.firing_now_help"))
    count_col.metric(
        t("overview.intervals"),
        len(alerts.intervals),
        help=t("overview.intervals_help", names=alerts.intervals["alertname"].nunique()),
    )


def worst_metric(part, title: str, column: str, label: str, fmt: str, meaning: str):
    """A metric of the worst service by `column`; returns the ranking, or None if it failed."""
    if not loaded(view, part, title):
        return None
    ranking = worst(part, column)
    if ranking.empty:
        st.metric(label, t("overview.no_data"))
        return ranking
    top = ranking.iloc[0]
    st.metric(label, fmt.format(top[column]), help=f"{meaning}: {top['cluster']}/{top['namespace']}/{top['service']}")
    st.caption(f"{top['service']} ({top['cluster']})")
    return ranking


with p99_col:
    latency = worst_metric(
        parts["latency"], t("overview.latency"), "p99", t("overview.worst_p99"), "{:,.0f} ms", t("overview.worst_p99_help")
    )
with err_col:
    errors = worst_metric(
        parts["traffic"], t("overview.errors"), "ratio_5xx", t("overview.worst_5xx"), "{:.2%}", t("overview.worst_5xx_help")
    )

if alerts is not None:
    st.subheader(t("overview.firing_now"))
    if alerts.firing.empty:
        st.success(t("overview.nothing_firing"))
    else:
        for row in alerts.firing.to_dict("records"):
            st.markdown(
                t(
                    "overview.firing_row",
                    alert=row["alertname"],
                    severity=row["severity"],
                    since=local_time(row["since"], view.tz),
                    labels=labels_text(row["labels"]),
                )
            )
    st.subheader(t("overview.timeline"))
    if alerts.intervals.empty:
        no_data(view, t("overview.alerts"))
    else:
        st.plotly_chart(
            drawn(alert_timeline, alerts.intervals, view.window, view.tz, "alertname", True, view.lang), key="overview_timeline"
        )
    st.subheader(t("overview.offenders"))
    if not alerts.offenders.empty:
        columns = [
            "alertname",
            "severity",
            "cluster",
            "namespace",
            "service",
            "firings",
            "firing_minutes",
            "last_start",
            "ongoing",
        ]
        st.dataframe(
            localize(alerts.offenders, view.tz, ["last_start"])[columns],
            hide_index=True,
            column_config=headers(
                view,
                columns,
                firing_minutes=st.column_config.NumberColumn(format="%.0f"),
                last_start=st.column_config.DatetimeColumn(format="MM-DD HH:mm"),
                ongoing=st.column_config.CheckboxColumn(),
            ),
        )

left, right = st.columns(2)
if latency is not None and not latency.empty:
    with left:
        st.subheader(t("overview.worst_p99_table"))
        columns = ["cluster", "namespace", "service", "p50", "p90", "p99"]
        whole = st.column_config.NumberColumn(format="%.0f")
        st.dataframe(
            latency.head(5)[columns],
            hide_index=True,
            column_config=headers(view, columns, p50=whole, p90=whole, p99=whole),
        )
if errors is not None and not errors.empty:
    with right:
        st.subheader(t("overview.worst_5xx"))
        columns = ["cluster", "namespace", "service", "rps", "ratio_5xx", "ratio_4xx"]
        st.dataframe(
            errors.head(5)[columns],
            hide_index=True,
            column_config=headers(
                view,
                columns,
                rps=st.column_config.NumberColumn(format="%.1f"),
                ratio_5xx=st.column_config.NumberColumn(format="percent"),
                ratio_4xx=st.column_config.NumberColumn(format="percent"),
            ),
        )
