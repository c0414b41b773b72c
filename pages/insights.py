"""Insights: is the assistant helping, what does it cost, what is slow, what do people ask."""

import plotly.express as px
import streamlit as st

from components import data
from components.format import headers
from components.state import current_view
from services.auth import PermissionDenied
from services.reports import insights

view = current_view()
t = view.t
st.title(t("insights.title"))
store = data.store_or_stop(view)
actor = data.runtime(view).actor
try:
    feedback = insights.feedback_frame(store, actor)
    audit = insights.audit_frame(store, actor)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("insights.answers"), store.count("answers"))
c2.metric(t("insights.ratings"), len(feedback))
c3.metric(t("insights.helpful"), f"{feedback['helpful'].mean():.0%}" if len(feedback) else "—", help=t("insights.helpful_help"))
c4.metric(t("insights.cost"), f"${audit['cost_usd'].sum():.2f}" if len(audit) else "$0.00")
# Chart axes and legends named like the table columns.
axes = {name: t(f"column.{name}") for name in ("day", "helpful_rate", "cost_usd", "model")}

left, right = st.columns(2)
with left:
    st.subheader(t("insights.helpfulness"))
    by_day = insights.helpfulness(feedback, "day")
    if by_day.empty:
        st.info(t("insights.no_feedback"))
    else:
        st.plotly_chart(px.line(by_day, x="day", y="helpful_rate", markers=True, range_y=[0, 1], labels=axes), key="helpful_day")
    st.subheader(t("insights.by_action"))
    by_action = insights.helpfulness(feedback, "action")
    st.dataframe(
        by_action,
        hide_index=True,
        column_config=headers(view, by_action.columns, helpful_rate=st.column_config.NumberColumn(format="percent")),
    )
with right:
    st.subheader(t("insights.cost_per_day"))
    cost = insights.cost_per_day(audit)
    if cost.empty:
        st.info(t("insights.no_calls"))
    else:
        st.plotly_chart(px.bar(cost, x="day", y="cost_usd", color="model", labels=axes), key="cost_day")
    st.subheader(t("insights.slowest"))
    slowest = insights.slowest(audit)
    st.dataframe(slowest, hide_index=True, column_config=headers(view, slowest.columns))
st.subheader(t("insights.most_asked"))
asked = insights.most_asked(store, actor)
st.dataframe(asked, hide_index=True, column_config=headers(view, asked.columns))
