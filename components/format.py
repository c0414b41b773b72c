"""Presentation helpers: times in the browser's zone, compact label text, table shaping."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from components.state import View
from services.timewindow import local_text


def local_time(value: datetime | None, tz: ZoneInfo, with_date: bool = True) -> str:
    return local_text(value, tz, "%m-%d %H:%M" if with_date else "%H:%M")


def window_caption(view: View) -> str:
    w = view.window
    return (
        f"{local_time(w.start, view.tz)} → {local_time(w.end, view.tz)} ({view.tz.key}) · "
        f"source: {view.settings.sources.source_name} · step {view.step // 60} min"
    )


def localize(frame: pd.DataFrame, tz: ZoneInfo, columns: list[str]) -> pd.DataFrame:
    """Time columns converted to the browser's zone, without the zone suffix, for tables."""
    out = frame.copy()
    for col in columns:
        out[col] = pd.to_datetime(out[col], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    return out


def labels_text(labels: dict, skip: tuple[str, ...] = ("severity",)) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items() if k not in skip)
