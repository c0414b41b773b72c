"""Alerts: timeline of every firing in the window, flapping and likely-false alerts with hints."""

import streamlit as st

from components import data
from components.format import localize, window_caption
from components.panel import no_data, panel
from components.state import current_view
from services.alerts.analysis import SEVERITY_ORDER, analyse_alerts, counts_by
from services.alerts.timeline import alert_timeline
from services.safety.markup import escape_markdown
from services.sources.base import SourceError

GROUPS = {"Alert name": "alertname", "Cluster": "cluster", "Namespace": "namespace", "Service": "service"}
DESCRIBE = ["alertname", "severity", "cluster", "namespace", "service"]

view = current_view()
st.title("Alerts")
st.caption(window_caption(view))

with panel("Alert history"):
    intervals = data.read(view.settings.sources, "alert_intervals", view.window, view.filters)
    if intervals.empty:
        no_data("alerts")
    else:
        c1, c2, c3 = st.columns([2, 2, 1])
        severities = c1.multiselect(
            "Severity", sorted(intervals["severity"].unique(), key=lambda s: SEVERITY_ORDER.get(s, 9)), key="sev"
        )
        names = c2.multiselect("Alert name", sorted(intervals["alertname"].unique()), key="names")
        group = c3.selectbox("Group rows by", list(GROUPS), key="group")
        shown = intervals
        if severities:
            shown = shown[shown["severity"].isin(severities)]
        if names:
            shown = shown[shown["alertname"].isin(names)]
        alerts = analyse_alerts(shown, view.window, view.settings.alerts)

        st.plotly_chart(alert_timeline(shown, view.window, view.tz, GROUPS[group]), key="alerts_timeline")

        st.subheader(f"Firing at window end ({len(alerts.firing)})")
        if alerts.firing.empty:
            st.success("Nothing is firing at the end of this window.")
        else:
            st.dataframe(
                localize(alerts.firing, view.tz, ["since"])[DESCRIBE + ["since", "labels_key"]],
                hide_index=True,
                column_config={"since": st.column_config.DatetimeColumn(format="MM-DD HH:mm"), "labels_key": "labels"},
            )

        with st.container():
            st.subheader(f"Flapping ({len(alerts.flapping)})")
            st.caption(
                f"{view.settings.alerts.flap_min_transitions}+ state changes inside the window (ONCALL_FLAP_MIN_TRANSITIONS)."
            )
            if alerts.flapping.empty:
                st.success("No flapping alerts.")
            else:
                st.dataframe(
                    alerts.flapping[DESCRIBE + ["transitions", "hint"]],
                    hide_index=True,
                    column_config={"hint": st.column_config.TextColumn("tuning hint", width="large")},
                )
        with st.container():
            st.subheader(f"Likely false ({len(alerts.likely_false)})")
            st.caption(
                f"{view.settings.alerts.false_alert_min_count}+ firings of at most "
                f"{view.settings.alerts.false_alert_max_minutes:g} min "
                "that resolved on their own."
            )
            if alerts.likely_false.empty:
                st.success("No likely-false alerts.")
            else:
                st.dataframe(
                    alerts.likely_false[DESCRIBE + ["count", "hint"]],
                    hide_index=True,
                    column_config={"hint": st.column_config.TextColumn("tuning hint", width="large")},
                )

        st.subheader("Counts")
        tabs = st.tabs(["By severity", "By cluster", "By namespace", "By service"])
        for tab, column in zip(tabs, ["severity", "cluster", "namespace", "service"], strict=False):
            tab.dataframe(
                counts_by(shown, column, view.window),
                hide_index=True,
                column_config={"firing_minutes": st.column_config.NumberColumn("firing (min)", format="%.0f")},
            )

st.subheader("Alertmanager")
if not view.settings.sources.alertmanager_url:
    st.caption("Set ALERTMANAGER_URL to see current alerts and silences from Alertmanager.")
else:
    try:
        current = data.alertmanager_alerts(view.settings.sources)
        st.markdown(f"**Current alerts** ({len(current)})")
        st.dataframe(localize(current, view.tz, ["starts_at"]).drop(columns=["labels"]), hide_index=True)
    except SourceError as exc:
        st.error(f"Current alerts could not be loaded: {escape_markdown(str(exc))}")
    try:
        silences = data.alertmanager_silences(view.settings.sources)
        st.markdown(f"**Silences** ({len(silences)})")
        st.dataframe(localize(silences, view.tz, ["starts_at", "ends_at"]), hide_index=True)
    except SourceError as exc:
        st.error(f"Silences could not be loaded: {escape_markdown(str(exc))}")
