"""Alerts: timeline of every firing in the window, flapping and likely-false alerts with hints."""

import streamlit as st

from components import data
from components.charts import drawn
from components.format import headers, localize, window_caption
from components.panel import no_data, panel
from components.state import current_view
from services.alerts.analysis import SEVERITY_ORDER, analyse_alerts, counts_by
from services.alerts.timeline import alert_timeline
from services.safety.markup import escape_markdown
from services.sources.base import SourceError

GROUPS = ["alertname", "cluster", "namespace", "service"]  # rows of the timeline, named `column.<group>`
DESCRIBE = ["alertname", "severity", "cluster", "namespace", "service"]

view = current_view()
t = view.t
st.title(t("alerts.title"))
st.caption(window_caption(view))

with panel(view, t("alerts.history")):
    intervals = data.read(view.settings.sources, "alert_intervals", view.window, view.filters)
    if intervals.empty:
        no_data(view, t("overview.alerts"))
    else:
        c1, c2, c3 = st.columns([2, 2, 1])
        severities = c1.multiselect(
            t("column.severity"),
            sorted(intervals["severity"].unique(), key=lambda s: SEVERITY_ORDER.get(s, 9)),
            key="sev",
            placeholder=t("alerts.all"),
        )
        names = c2.multiselect(
            t("column.alertname"), sorted(intervals["alertname"].unique()), key="names", placeholder=t("alerts.all")
        )
        group = c3.selectbox(t("alerts.group_by"), GROUPS, key="group", format_func=lambda g: t(f"column.{g}"))
        shown = intervals
        if severities:
            shown = shown[shown["severity"].isin(severities)]
        if names:
            shown = shown[shown["alertname"].isin(names)]
        alerts = analyse_alerts(shown, view.window, view.settings.alerts)
        flapping, likely_false = alerts.hinted(view.lang)  # the tuning hints in the reader's language

        st.plotly_chart(drawn(alert_timeline, shown, view.window, view.tz, group, False, view.lang), key="alerts_timeline")

        st.subheader(t("alerts.firing", count=len(alerts.firing)))
        if alerts.firing.empty:
            st.success(t("overview.nothing_firing"))
        else:
            columns = [*DESCRIBE, "since", "labels_key"]
            st.dataframe(
                localize(alerts.firing, view.tz, ["since"])[columns],
                hide_index=True,
                column_config=headers(view, columns, since=st.column_config.DatetimeColumn(format="MM-DD HH:mm")),
            )

        with st.container():
            st.subheader(t("alerts.flapping", count=len(alerts.flapping)))
            st.caption(t("alerts.flapping_caption", changes=view.settings.alerts.flap_min_transitions))
            if alerts.flapping.empty:
                st.success(t("alerts.no_flapping"))
            else:
                columns = [*DESCRIBE, "transitions", "hint"]
                st.dataframe(
                    flapping[columns],
                    hide_index=True,
                    column_config=headers(view, columns, hint=st.column_config.TextColumn(width="large")),
                )
        with st.container():
            st.subheader(t("alerts.likely_false", count=len(alerts.likely_false)))
            st.caption(
                t(
                    "alerts.likely_false_caption",
                    count=view.settings.alerts.false_alert_min_count,
                    minutes=f"{view.settings.alerts.false_alert_max_minutes:g}",
                )
            )
            if alerts.likely_false.empty:
                st.success(t("alerts.no_likely_false"))
            else:
                columns = [*DESCRIBE, "count", "hint"]
                st.dataframe(
                    likely_false[columns],
                    hide_index=True,
                    column_config=headers(view, columns, hint=st.column_config.TextColumn(width="large")),
                )

        st.subheader(t("alerts.counts"))
        by = ["severity", "cluster", "namespace", "service"]
        tabs = st.tabs([t(f"alerts.by.{column}") for column in by])
        for tab, column in zip(tabs, by, strict=True):
            counts = counts_by(shown, column, view.window)
            tab.dataframe(
                counts,
                hide_index=True,
                column_config=headers(view, counts.columns, firing_minutes=st.column_config.NumberColumn(format="%.0f")),
            )

st.subheader("Alertmanager")
if not view.settings.sources.alertmanager_url:
    st.caption(t("alerts.alertmanager_unset"))
else:
    try:
        current = localize(data.alertmanager_alerts(view.settings.sources), view.tz, ["starts_at"]).drop(columns=["labels"])
        st.markdown(t("alerts.current", count=len(current)))
        st.dataframe(current, hide_index=True, column_config=headers(view, current.columns))
    except SourceError as exc:
        st.error(t("alerts.current_failed", error=escape_markdown(str(exc))))
    try:
        silences = localize(data.alertmanager_silences(view.settings.sources), view.tz, ["starts_at", "ends_at"])
        st.markdown(t("alerts.silences", count=len(silences)))
        st.dataframe(silences, hide_index=True, column_config=headers(view, silences.columns))
    except SourceError as exc:
        st.error(t("alerts.silences_failed", error=escape_markdown(str(exc))))
