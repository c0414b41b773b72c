"""Insights: is the assistant helping, what does it cost, what is slow, what do people ask."""

import plotly.express as px
import streamlit as st

from components import data
from components.state import current_view
from services.auth import PermissionDenied
from services.reports import insights

view = current_view()
st.title("Insights")
store = data.store_or_stop(view.settings)
actor = data.runtime(view.settings).actor
try:
    feedback = insights.feedback_frame(store, actor)
    audit = insights.audit_frame(store, actor)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()
c1, c2, c3, c4 = st.columns(4)
c1.metric("Answers", store.count("answers"))
c2.metric("Ratings", len(feedback))
c3.metric("Helpful", f"{feedback['helpful'].mean():.0%}" if len(feedback) else "—", help="Resolved or Helpful")
c4.metric("Model cost", f"${audit['cost_usd'].sum():.2f}" if len(audit) else "$0.00")

left, right = st.columns(2)
with left:
    st.subheader("Helpfulness over time")
    by_day = insights.helpfulness(feedback, "day")
    if by_day.empty:
        st.info("No feedback yet: rate answers in the assistant panel.")
    else:
        st.plotly_chart(px.line(by_day, x="day", y="helpful_rate", markers=True, range_y=[0, 1]), key="helpful_day")
    st.subheader("By action")
    st.dataframe(
        insights.helpfulness(feedback, "action"),
        hide_index=True,
        column_config={"helpful_rate": st.column_config.NumberColumn("helpful", format="percent")},
    )
with right:
    st.subheader("Cost per day and model")
    cost = insights.cost_per_day(audit)
    if cost.empty:
        st.info("No model calls yet (offline mode costs nothing).")
    else:
        st.plotly_chart(px.bar(cost, x="day", y="cost_usd", color="model"), key="cost_day")
    st.subheader("Slowest requests")
    st.dataframe(insights.slowest(audit), hide_index=True)
st.subheader("Most asked questions")
st.dataframe(insights.most_asked(store, actor), hide_index=True)
