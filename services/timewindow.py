"""Time windows: presets, parsing, validation and query step selection."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

PRESETS: dict[str, timedelta] = {
    "Last 15 minutes": timedelta(minutes=15),
    "Last 1 hour": timedelta(hours=1),
    "Last 3 hours": timedelta(hours=3),
    "Last 6 hours": timedelta(hours=6),
    "Last 12 hours": timedelta(hours=12),
    "Last 24 hours": timedelta(hours=24),
}
DEFAULT_PRESET = "Last 1 hour"
# Steps a chart uses: whole minutes that read well on an axis.
_NICE_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
TARGET_POINTS = 240
MAX_POINTS = 11000  # Prometheus refuses query_range with more points per series
RESOLUTION = 60  # seconds: windows are aligned to the minute, the demo's sample interval


class WindowError(ValueError):
    """The window cannot be queried; the message says why."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise WindowError(f"window {name} {value.isoformat()} has no time zone")
        if self.start >= self.end:
            raise WindowError(f"window start {iso(self.start)} is not before its end {iso(self.end)}")

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    def aligned(self, step: int = RESOLUTION) -> Window:
        """Both ends floored to a multiple of `step` seconds (since the epoch).

        Aligned windows make query results repeatable and cacheable, and let the demo source
        reproduce Prometheus' numbers exactly.
        """
        start = _floor(self.start, step)
        end = _floor(self.end, step)
        if end <= start:
            end = start + timedelta(seconds=step)
        return Window(start, end)

    def to_dict(self) -> dict[str, str]:
        return {"from": iso(self.start), "to": iso(self.end)}


def grid(window: Window, step: int) -> tuple[int, int]:
    """The first and last evaluation times of a range read of the window: the multiples of `step`
    inside it (its end when it is shorter than one step). Points at absolute multiples stay the
    same points as a live window moves, so they can be kept (services.sources.incremental)."""
    start, end = int(window.start.timestamp()), int(window.end.timestamp())
    first, last = -(-start // step) * step, end // step * step
    return (first, last) if first <= last else (end, end)


def _floor(moment: datetime, step: int) -> datetime:
    ts = math.floor(moment.timestamp() / step) * step
    return datetime.fromtimestamp(ts, tz=moment.tzinfo)


def local_text(moment: object, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time in `tz` for people to read; a missing time is a dash."""
    if moment is None or moment != moment:  # None, NaN or NaT
        return "—"
    value = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    return value.astimezone(tz).strftime(fmt)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def parse_time(text: str, default_tz: timezone = UTC) -> datetime:
    """ISO 8601 (a trailing Z allowed); a time with no offset is taken in `default_tz`."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise WindowError(f"{text!r} is not an ISO 8601 time such as 2026-11-03T08:00:00+09:00") from None
    return value if value.tzinfo else value.replace(tzinfo=default_tz)


def last(duration: timedelta, now: datetime | None = None) -> Window:
    now = now or utcnow()
    return Window(now - duration, now)


def window_from_args(start: str | None, end: str | None, now: datetime | None = None) -> Window:
    """The CLI's --from/--to: defaults are the last hour, or one hour either side of the given end."""
    end_t = parse_time(end) if end else (now or utcnow())
    start_t = parse_time(start) if start else end_t - timedelta(hours=1)
    return Window(start_t, end_t)


def auto_step(window: Window, override: int | None = None) -> int:
    """Seconds between chart points: about TARGET_POINTS points, never over MAX_POINTS."""
    if override:
        return max(override, math.ceil(window.seconds / MAX_POINTS))
    return nice_step(window.seconds / TARGET_POINTS)


def nice_step(wanted: float) -> int:
    """The smallest round step (1 min, 2 min, 5 min, ... 1 day) of at least `wanted` seconds."""
    for step in _NICE_STEPS:
        if step >= wanted:
            return step
    return _NICE_STEPS[-1]


def parse_duration(text: str) -> int:
    """Seconds in a Prometheus duration such as 5m, 1h30m or 90s."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    total, number, i = 0.0, "", 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit():
            number += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if not number or unit not in units:
            raise WindowError(f"{text!r} is not a duration such as 5m or 1h")
        total += int(number) * units[unit]
        number, i = "", i + len(unit)
    if number or total <= 0:
        raise WindowError(f"{text!r} is not a duration such as 5m or 1h")
    return int(total)
