"""Figures drawn again from equal data are reused; any change in what is drawn draws anew."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from components.charts import drawn
from services.alerts.timeline import alert_timeline
from services.config import SourceSettings
from services.i18n import Language
from services.sources.base import Filters
from services.sources.demo import DemoSource
from services.timewindow import Window
from tests.conftest import ANCHOR

WINDOW = Window(ANCHOR - timedelta(hours=6), ANCHOR)
SEOUL = ZoneInfo("Asia/Seoul")


def intervals() -> pd.DataFrame:
    frame = DemoSource(SourceSettings()).alert_intervals(WINDOW, Filters())
    assert not frame.empty and isinstance(frame["labels"].iloc[0], dict)
    return frame


def counting(calls: list[int]):
    def timeline(*args):
        calls.append(1)
        return alert_timeline(*args)

    return timeline


def test_equal_data_reuses_the_figure_and_changed_data_draws_a_new_one():
    calls: list[int] = []
    build = counting(calls)
    first = drawn(build, intervals(), WINDOW, SEOUL, "alertname", True, Language.EN)
    again = drawn(build, intervals(), WINDOW, SEOUL, "alertname", True, Language.EN)  # a rerun: equal, not the same frame
    assert again is first and len(calls) == 1

    fewer = intervals().iloc[1:]
    changed = drawn(build, fewer, WINDOW, SEOUL, "alertname", True, Language.EN)
    assert changed is not first and len(calls) == 2
    assert sum(len(bar.y) for bar in changed.data) == sum(len(bar.y) for bar in first.data) - 1

    relabelled = intervals()
    relabelled.at[0, "labels"] = {**relabelled.at[0, "labels"], "pod": "another"}  # a dict cell pandas cannot hash
    assert drawn(build, relabelled, WINDOW, SEOUL, "alertname", True, Language.EN) is not first


def test_another_language_or_zone_is_another_figure():
    calls: list[int] = []
    build = counting(calls)
    english = drawn(build, intervals(), WINDOW, SEOUL, "alertname", True, Language.EN)
    korean = drawn(build, intervals(), WINDOW, SEOUL, "alertname", True, Language.KO)
    utc = drawn(build, intervals(), WINDOW, ZoneInfo("UTC"), "alertname", True, Language.EN)
    assert len(calls) == 3
    assert english.data[0].hovertemplate != korean.data[0].hovertemplate
    assert english.data[0].base[0] != utc.data[0].base[0]  # bars start at local times
