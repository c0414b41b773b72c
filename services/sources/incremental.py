"""Live windows read incrementally: each minute costs the new minutes, not the whole window again.

A window that reaches now moves every minute, so every read of it is new to the shared cache
(services.sources.cache). Without help, a 24 h Mesh page re-evaluates 24 h of histograms each
minute. Two mechanisms keep that to the minutes that changed:

- Range reads (the curves) are evaluated on a grid of absolute multiples of their step, as
  Grafana and Thanos' query frontend do, so a point once read stays the same point. The settled
  points of a live window's curves are kept; the next minute fetches only the points after them
  and drops those that fell out of the window. The last SETTLE_SECONDS are always read again:
  late scrapes and remote-write lag may still change them.
- Window totals (request counts, bucket counts for p99, peaks) are added up from parts: the
  whole hours of the window, read once and kept, plus its first and last partial hour, read
  again each minute. Counts add up (p99 is computed from the summed bucket counts,
  services.sources.histogram) and peaks take the maximum (a subquery's points are aligned to
  absolute multiples of its step, so the parts hold exactly the points of the whole). Once an
  hour the kept part moves by an hour and is read again.

Past windows do not move and are read whole (the shared cache keeps them for an hour).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from services.bounded import Bounded
from services.timewindow import Window, grid, utcnow

LIVE_MARGIN = timedelta(minutes=5)  # a window ending this close to now may still get samples
SETTLE_SECONDS = 300  # points and hours newer than this are read again: their samples may still arrive
HOUR = 3600
MAX_KEPT = 64  # curves and whole-hour totals kept per source, each (the least recently used go first)

Combine = Literal["sum", "max"]
RangeFetch = Callable[[str, int, int, int], list[dict]]  # (promql, first, last, step) -> matrix
InstantFetch = Callable[[str, datetime], list[dict]]  # (promql, at) -> vector
Expression = Callable[[str], str]  # a range ("3600s") -> the PromQL over it


def is_live(window: Window, now: datetime) -> bool:
    return window.end >= now - LIVE_MARGIN


def _key(series: dict) -> tuple:
    return tuple(sorted(series["metric"].items()))


@dataclass
class _Curves:
    first: int  # the first grid time kept
    settled: int  # grid times up to here are kept and final
    series: dict[tuple, dict]  # label set -> {"metric": ..., "values": [[t, v], ...]}


class IncrementalReads:
    """A source's range and window-total queries, read incrementally for live windows."""

    def __init__(self, fetch_range: RangeFetch, fetch_instant: InstantFetch, clock: Callable[[], datetime] = utcnow):
        self.fetch_range, self.fetch_instant, self.clock = fetch_range, fetch_instant, clock
        self._curves: Bounded[tuple, _Curves] = Bounded(MAX_KEPT)
        self._hours: Bounded[tuple, list[dict]] = Bounded(MAX_KEPT)

    def range(self, promql: str, window: Window, step: int) -> list[dict]:
        """`promql` over the window's grid (see `grid`): for a live window, the kept settled
        points plus only the points after them."""
        first, last = grid(window, step)
        now = self.clock()
        if not is_live(window, now):
            return self.fetch_range(promql, first, last, step)
        kept = self._curves.get((promql, step))
        if kept is not None and kept.first <= first <= kept.settled:
            fresh = self.fetch_range(promql, kept.settled + step, last, step) if kept.settled < last else []
            series = _trimmed(kept.series, first, last)
        else:
            fresh, series = self.fetch_range(promql, first, last, step), {}
        for new in fresh:
            old = series.get(_key(new))
            values = (old["values"] if old else []) + new["values"]
            series[_key(new)] = {"metric": new["metric"], "values": values}
        settled = min(last, (int(now.timestamp()) - SETTLE_SECONDS) // step * step)
        if settled >= first:
            self._curves.put((promql, step), _Curves(first, settled, _trimmed(series, first, settled)))
        return [s for s in series.values() if s["values"]]

    def total(self, expression: Expression, window: Window, combine: Combine) -> list[dict]:
        """The instant vector of `expression` over the whole window, at its end. A live window
        holding two whole hours or more is added up from parts: its first partial hour, its
        whole hours (kept) and the rest."""
        start, end = int(window.start.timestamp()), int(window.end.timestamp())
        now = self.clock()
        first_hour = -(-start // HOUR) * HOUR
        last_hour = (min(end, int(now.timestamp())) - SETTLE_SECONDS) // HOUR * HOUR
        if not is_live(window, now) or last_hour - first_hour < 2 * HOUR:
            return self.fetch_instant(expression(f"{end - start}s"), window.end)
        whole = (expression("<range>"), first_hour, last_hour)
        hours = self._hours.get(whole)
        if hours is None:
            hours = self._over(expression, first_hour, last_hour)
            self._hours.put(whole, hours)
        parts = [hours, self._over(expression, last_hour, end)]
        if first_hour > start:
            parts.append(self._over(expression, start, first_hour))
        return _combined(parts, combine, window.end.timestamp())

    def _over(self, expression: Expression, start: int, end: int) -> list[dict]:
        return self.fetch_instant(expression(f"{end - start}s"), datetime.fromtimestamp(end, tz=UTC))


def _trimmed(series: dict[tuple, dict], first: int, last: float = math.inf) -> dict[tuple, dict]:
    out = {}
    for key, s in series.items():
        values = [v for v in s["values"] if first <= float(v[0]) <= last]
        if values:
            out[key] = {"metric": s["metric"], "values": values}
    return out


def _combined(parts: list[list[dict]], combine: Combine, at: float) -> list[dict]:
    """Parts' vectors added up (or their maximum) per label set; NaN parts (no traffic) are skipped."""
    metrics: dict[tuple, dict] = {}
    values: dict[tuple, float] = {}
    for part in parts:
        for series in part:
            value = float(series["value"][1])
            key = _key(series)
            metrics.setdefault(key, series["metric"])
            if math.isnan(value):
                values.setdefault(key, math.nan)
                continue
            held = values.get(key, math.nan)
            if math.isnan(held):
                values[key] = value
            else:
                values[key] = held + value if combine == "sum" else max(held, value)
    return [{"metric": metrics[k], "value": [at, repr(v)]} for k, v in values.items()]
