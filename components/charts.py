"""Plotly figures for the pages: metric time series (the alert timeline is services.alerts.timeline)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from components.state import View
from services.bounded import Bounded

INCIDENT_COLORS = {"latency": "rgba(214, 39, 40, 0.12)", "5xx": "rgba(148, 103, 189, 0.15)"}
FIGURES_KEPT = 32

_figures: Bounded[Hashable, go.Figure] = Bounded(FIGURES_KEPT)


def _fingerprint(value: object) -> Hashable:
    """A frame or series by its content (index aside), anything else as itself."""
    if isinstance(value, pd.DataFrame | pd.Series):
        try:
            hashed = pd.util.hash_pandas_object(value, index=False)
        except TypeError:  # cells pandas cannot hash (an alert's labels are a dict): by their text
            hashed = pd.util.hash_pandas_object(value.astype(str), index=False)
        digest = hashlib.blake2b(hashed.to_numpy().tobytes(), digest_size=16)
        shape = tuple(value.columns) if isinstance(value, pd.DataFrame) else value.name
        return type(value).__name__, shape, str(value.dtypes), digest.digest()
    return value


def drawn(build: Callable[..., go.Figure], *args: object) -> go.Figure:
    """`build(*args)`, or the figure it built before from equal arguments (frames compared by
    content): a rerun of a page whose data is cached draws its charts again from the same data,
    and plotly validates every trace it builds. Shared by every session: st.plotly_chart only
    reads a figure (it serializes a copy), and nothing changes one after it is built."""
    key = (build, *(_fingerprint(a) for a in args))
    figure = _figures.get(key)
    if figure is None:
        figure = build(*args)
        _figures.put(key, figure)
    return figure


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
    """One line per label, times in the view's zone; incident periods shaded behind the lines.

    Built from graph_objects in one go (plotly express and add_vrect per band cost more than the
    rest of a cached rerun)."""
    tz = view.tz
    data = frame.assign(time_local=_local(frame["time"], tz), series=label.values)
    traces = [
        go.Scatter(x=group["time_local"], y=group[y], mode="lines", name=str(name))
        for name, group in data.groupby("series", sort=False)
    ]
    shapes, notes = [], []
    if incidents is not None and not incidents.empty:
        # One shaded band per period, naming every service in it.
        for (kind, start, end), group in incidents.groupby(["kind", "start", "end"]):
            x0, x1 = _local(pd.Series([start, end]), tz)
            color = INCIDENT_COLORS.get(str(kind), "rgba(0,0,0,0.08)")
            shapes.append(
                dict(type="rect", xref="x", yref="paper", x0=x0, x1=x1, y0=0, y1=1, fillcolor=color, line_width=0, layer="below")
            )
            names = ", ".join(sorted(set(group["service"])))
            notes.append(
                dict(
                    text=f"{view.t(f'mesh.kind.{kind}')}: {names}",
                    x=x0,
                    xref="x",
                    y=1,
                    yref="paper",
                    xanchor="left",
                    yanchor="top",
                    showarrow=False,
                )
            )
    layout = go.Layout(
        height=360,
        margin=dict(l=10, r=10, t=30, b=10),
        hovermode="x unified",
        yaxis=dict(title=dict(text=y_title), tickformat=".2~%" if percent else None),
        legend=dict(title=dict(text="")),
        shapes=shapes,
        annotations=notes,
    )
    return go.Figure(data=traces, layout=layout)
