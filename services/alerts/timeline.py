"""The alert timeline (Gantt): one figure for the pages and the shift summary."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from services.alerts.analysis import SEVERITY_COLORS
from services.i18n import Language, text
from services.timewindow import Window


def _local(series: pd.Series, tz: ZoneInfo) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_convert(tz)


def alert_timeline(
    intervals: pd.DataFrame,
    window: Window,
    tz: ZoneInfo,
    group_by: str = "alertname",
    compact: bool = False,
    lang: Language = Language.EN,
) -> go.Figure:
    """Alert intervals as bars per row of `group_by`, coloured by severity; ongoing bars reach the end.
    Hover and legend texts are in `lang`."""
    frame = intervals.copy()
    frame["end_shown"] = frame["end"].fillna(pd.Timestamp(window.end))
    frame["start_local"] = _local(frame["start"], tz)
    frame["end_local"] = _local(frame["end_shown"], tz)
    frame["status"] = frame["ongoing"].map({True: text("timeline.still_firing", lang), False: text("timeline.resolved", lang)})
    frame["labels_text"] = frame["labels_key"].str.replace(",", "<br>", regex=False)
    if group_by == "alertname":
        frame["row"] = frame["alertname"]
    else:
        frame["row"] = frame[group_by].replace("", text("timeline.none", lang)) + " · " + frame["alertname"]
    rows = frame["row"].nunique()
    fig = px.timeline(
        frame,
        x_start="start_local",
        x_end="end_local",
        y="row",
        color="severity",
        color_discrete_map=SEVERITY_COLORS,
        hover_data={
            "alertname": True,
            "status": True,
            "labels_text": True,
            "row": False,
            "start_local": "|%Y-%m-%d %H:%M",
            "end_local": "|%Y-%m-%d %H:%M",
        },
        labels={
            "start_local": text("column.start", lang),
            "end_local": text("column.end", lang),
            "labels_text": text("column.labels", lang),
            "alertname": text("column.alertname", lang),
            "status": text("timeline.status", lang),
            "severity": text("column.severity", lang),
            "row": "",
        },
    )
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(range=[_local(pd.Series([window.start]), tz)[0], _local(pd.Series([window.end]), tz)[0]])
    height = (28 if compact else 34) * rows + 90
    fig.update_layout(
        height=max(height, 180), margin=dict(l=10, r=10, t=30, b=10), legend_title_text=text("column.severity", lang)
    )
    return fig
