"""Plotly figures for the pages: metric time series (the alert timeline is services.alerts.timeline)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from components.state import View

INCIDENT_COLORS = {"latency": "rgba(214, 39, 40, 0.12)", "5xx": "rgba(148, 103, 189, 0.15)"}


def _local(series: pd.Series, tz: ZoneInfo) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_convert(tz)


def series_chart(
    view: View,
    frame: pd.DataFrame,
    y: str,
    label: pd.Series,
    y_title: str,
    incidents: pd.DataFrame | None = None,
    percent: bool = False,
) -> go.Figure:
    """One line per label, times in the view's zone; incident periods shaded behind the lines."""
    tz = view.tz
    data = frame.assign(time_local=_local(frame["time"], tz), series=label.values)
    fig = px.line(data, x="time_local", y=y, color="series", labels={"time_local": "", y: y_title, "series": ""})
    if percent:
        fig.update_yaxes(tickformat=".2~%")
    if incidents is not None and not incidents.empty:
        # One shaded band per period, naming every service in it.
        for (kind, start, end), group in incidents.groupby(["kind", "start", "end"]):
            fig.add_vrect(
                x0=_local(pd.Series([start]), tz)[0],
                x1=_local(pd.Series([end]), tz)[0],
                fillcolor=INCIDENT_COLORS.get(str(kind), "rgba(0,0,0,0.08)"),
                line_width=0,
                annotation_text=f"{view.t(f'mesh.kind.{kind}')}: {', '.join(sorted(set(group['service'])))}",
                annotation_position="top left",
            )
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=30, b=10), hovermode="x unified")
    return fig
