"""Presentation helpers: times in the browser's zone, compact label text, table shaping and headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from components.state import View
from services.timewindow import local_text


def local_time(value: datetime | None, tz: ZoneInfo, with_date: bool = True) -> str:
    return local_text(value, tz, "%m-%d %H:%M" if with_date else "%H:%M")


def window_caption(view: View) -> str:
    w = view.window
    source = view.settings.sources.source_name
    return view.t(
        "format.window_caption",
        start=local_time(w.start, view.tz),
        end=local_time(w.end, view.tz),
        zone=view.tz.key,
        source=view.t("sidebar.source.demo") if source == "demo" else source,
        minutes=view.step // 60,
    )


def headers(view: View, columns: Iterable[str], names: Mapping[str, str] | None = None, **configs: Any) -> dict[str, Any]:
    """A dataframe's column_config naming each of `columns` in the view's language (`column.<name>`, or
    `column.<names[column]>`); `configs` are st.column_config columns (format, width), labelled here."""
    config: dict[str, Any] = {}
    for column in columns:
        label = view.t(f"column.{(names or {}).get(column, column)}")
        config[column] = {**configs[column], "label": label} if column in configs else label
    return config


def localize(frame: pd.DataFrame, tz: ZoneInfo, columns: list[str]) -> pd.DataFrame:
    """Time columns converted to the browser's zone, without the zone suffix, for tables."""
    out = frame.copy()
    for col in columns:
        out[col] = pd.to_datetime(out[col], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    return out


def labels_text(labels: dict, skip: tuple[str, ...] = ("severity",)) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items() if k not in skip)
