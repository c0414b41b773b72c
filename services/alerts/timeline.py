"""The alert timeline (Gantt): one figure for the pages and the shift summary."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
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
    # graph_objects directly (plotly express costs more than the rest of a cached Overview rerun);
    # the texts of the alerts go in as data (customdata), never into the hover template.
    names = [text(key, lang) for key in ("column.severity", "column.alertname", "timeline.status", "column.labels")]
    names += [text("column.start", lang), text("column.end", lang)]
    hover = "<br>".join(f"{name}=%{{customdata[{i}]}}" for i, name in enumerate(names))
    frame["start_text"] = frame["start_local"].dt.strftime("%Y-%m-%d %H:%M")
    frame["end_text"] = frame["end_local"].dt.strftime("%Y-%m-%d %H:%M")
    shown = ["severity", "alertname", "status", "labels_text", "start_text", "end_text"]
    bars = [
        go.Bar(
            base=group["start_local"],
            x=(group["end_local"] - group["start_local"]).dt.total_seconds() * 1000,
            y=group["row"],
            orientation="h",
            name=str(severity),
            legendgroup=str(severity),
            marker_color=SEVERITY_COLORS.get(str(severity)),
            customdata=group[shown].to_numpy(),
            hovertemplate=hover + "<extra></extra>",
        )
        for severity, group in frame.groupby("severity", sort=False)
    ]
    fig = go.Figure(data=bars, layout=go.Layout(barmode="overlay", xaxis=dict(type="date")))
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(range=[_local(pd.Series([window.start]), tz)[0], _local(pd.Series([window.end]), tz)[0]])
    height = (28 if compact else 34) * rows + 90
    fig.update_layout(
        height=max(height, 180), margin=dict(l=10, r=10, t=30, b=10), legend_title_text=text("column.severity", lang)
    )
    return fig
