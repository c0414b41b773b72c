"""From time tokens to one window: a small grammar, then one resolver.

Grammar (over `timephrases.scan` tokens; other words were never tokens):

    duration := (NUMBER UNIT [HALF])+ | HALF NUMBER UNIT | [LAST] UNIT [HALF] | SPAN
    point    := [DAY] [PART] (CLOCK | BARE-in-context) [DAY] [PART] | [DAY] THIS_TIME | duration AGO
    window   := point (TO | DASH | AND) point          a range        "오전 9시부터 10시까지", "between 9 and 11"
              | point (SINCE | FROM | TO NOW)          open, ends now "9시 이후로", "from 21:30 last night until now"
              | point                                  the hour up to it "11월 3일 오전 8시", "어제 현재시각"
              | duration                               back from now  "last 48h", "2시간 반"
              | DAY [TO DAY] | DAY SINCE | DAY PART    days and parts of days
              | nothing                                the last hour

The resolver picks, for clock times without a day or without am/pm, the latest reading that is
not in the future: at 06:10 "9시~11시" is 21:00-23:00 yesterday, "새벽 3시" is 03:00 today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from services.assistant.timephrases import Clock, DayRef, Kind, Part, Token, scan

DEFAULT_SPAN = timedelta(hours=1)
DAY_SECONDS, WEEK_SECONDS = 86400, 604800
# A part of the day as a window of its own: [start hour, end hour).
PART_HOURS = {
    Part.AM: (0, 12),
    Part.PM: (12, 18),
    Part.MORNING: (6, 12),
    Part.DAWN: (0, 6),
    Part.EVENING: (18, 24),
    Part.NIGHT: (18, 24),
    Part.DAYTIME: (9, 18),
}
_CLOCK_CONTEXT = {Kind.FROM, Kind.TO, Kind.SINCE, Kind.BETWEEN, Kind.AND, Kind.AT, Kind.DASH}


class Form(StrEnum):
    DEFAULT = "default"
    POINT = "point"
    OPEN = "open"
    RANGE = "range"
    LAST = "last"
    DAY = "day"
    DAY_RANGE = "day_range"
    DAY_OPEN = "day_open"
    PART = "part"


@dataclass
class Point:
    """A moment as said: a clock time (maybe without day or half of day), now's time, or an offset."""

    index: int  # of its first token
    clock: Clock | None = None
    day: DayRef | None = None
    part: Part | None = None
    this_time: bool = False
    ago: timedelta | None = None


@dataclass
class Expression:
    form: Form
    points: list[Point]
    duration: timedelta | None = None
    days: tuple[DayRef, ...] = ()
    part: Part | None = None


def _durations(tokens: list[Token]) -> tuple[list[tuple[int, int, timedelta]], set[int]]:
    """(first token, last token, length) of every duration, and the token indexes they use."""
    found: list[tuple[int, int, timedelta]] = []
    used: set[int] = set()
    i = 0
    while i < len(tokens):
        t = tokens[i]
        start, seconds = i, 0.0
        if t.kind is Kind.SPAN:
            span = float(t.value)  # type: ignore[arg-type]
            half = i + 1 < len(tokens) and tokens[i + 1].kind is Kind.HALF
            if half:  # "하루 반", "이틀 반": half of the span's unit more
                span += (WEEK_SECONDS if span % WEEK_SECONDS == 0 else DAY_SECONDS) / 2
            if not (i > 0 and tokens[i - 1].kind is Kind.DAY and span == DAY_SECONDS):
                found.append((i, i + half, timedelta(seconds=span)))
                used.update(range(i, i + 1 + half))
            i += 1 + half
            continue
        half_first = t.kind is Kind.HALF and i + 2 < len(tokens) and tokens[i + 1].kind is Kind.NUMBER
        j = i + 1 if half_first else i
        while j + 1 < len(tokens) and tokens[j].kind is Kind.NUMBER and tokens[j + 1].kind is Kind.UNIT:
            unit = float(tokens[j + 1].value)  # type: ignore[arg-type]
            seconds += float(tokens[j].value) * unit  # type: ignore[arg-type]
            j += 2
            if j < len(tokens) and tokens[j].kind is Kind.HALF:
                seconds += unit / 2
                j += 1
        if seconds and half_first:
            seconds /= 2
        if not seconds and t.kind is Kind.UNIT and i > 0 and tokens[i - 1].kind in (Kind.LAST, Kind.HALF):
            unit = float(t.value)  # type: ignore[arg-type]
            if tokens[i - 1].kind is Kind.HALF:  # "half hour"
                seconds, j, start = unit / 2, i + 1, i - 1
            else:  # "last hour", "an hour and a half"
                seconds, j = unit, i + 1
                if j < len(tokens) and tokens[j].kind is Kind.HALF:
                    seconds, j = unit * 1.5, j + 1
        said_day = start > 0 and tokens[start - 1].kind is Kind.DAY and seconds == DAY_SECONDS
        if seconds and not said_day:  # "오늘 하루" is the day, not the last 24 hours
            found.append((start, j - 1, timedelta(seconds=seconds)))
            used.update(range(start, j))
            i = j
        else:
            i += 1
    return found, used


def _is_clock_context(tokens: list[Token], i: int) -> bool:
    """A bare number is a clock time next to a connector ("since 7", "from 9 to 11") or a part of day."""
    before = tokens[i - 1].kind if i > 0 else None
    after = tokens[i + 1].kind if i + 1 < len(tokens) else None
    if before is Kind.AND and not any(t.kind is Kind.BETWEEN for t in tokens[:i]):
        return False
    return before in _CLOCK_CONTEXT or after in (Kind.TO, Kind.DASH, Kind.PART, Kind.DAY)


def parse(tokens: list[Token]) -> Expression:
    """The window's shape as the question says it."""
    durations, used = _durations(tokens)
    points: list[Point] = []
    for first, last, length in durations:
        if last + 1 < len(tokens) and tokens[last + 1].kind is Kind.AGO:
            points.append(Point(first, ago=length))
            used.add(last + 1)
    for i, t in enumerate(tokens):
        if i in used:
            continue
        if t.kind is Kind.CLOCK:
            points.append(Point(i, clock=t.value))  # type: ignore[arg-type]
        elif t.kind is Kind.BARE and _is_clock_context(tokens, i) and int(t.value) <= 24:  # type: ignore[call-overload]
            hour = int(t.value)  # type: ignore[call-overload]
            points.append(Point(i, clock=Clock(hour % 24, 0, hour in (0, 24) or hour > 12)))
        elif t.kind is Kind.THIS_TIME:
            points.append(Point(i, this_time=True))
    points.sort(key=lambda p: p.index)
    _attach(tokens, points)
    kinds = [t.kind for t in tokens]
    days = tuple(t.value for t in tokens if t.kind is Kind.DAY)
    parts = [t.value for t in tokens if t.kind is Kind.PART]
    if len(points) >= 2 and _joined(kinds, points[0].index, points[1].index):
        return Expression(Form.RANGE, points[:2])
    if points:
        after = kinds[points[0].index + 1 :]
        ends_now = Kind.NOW in after or Kind.SINCE in kinds or (Kind.FROM in kinds and Kind.TO not in after)
        return Expression(Form.OPEN if ends_now else Form.POINT, points[:1])
    if durations:
        return Expression(Form.LAST, [], duration=durations[0][2])
    if days:
        day_indexes = [i for i, k in enumerate(kinds) if k is Kind.DAY]
        if len(days) >= 2 and _joined(kinds, day_indexes[0], day_indexes[1]):
            return Expression(Form.DAY_RANGE, [], days=days[:2])  # type: ignore[arg-type]
        if Kind.SINCE in kinds or Kind.NOW in kinds or Kind.FROM in kinds:
            return Expression(Form.DAY_OPEN, [], days=days[:1])  # type: ignore[arg-type]
        part = parts[0] if parts else None
        return Expression(Form.PART if part else Form.DAY, [], days=days[:1], part=part)  # type: ignore[arg-type]
    # A part of the day alone is a window when said in Korean ("오후에"); "good morning" is not.
    korean_parts = [t.value for t in tokens if t.kind is Kind.PART and _HANGUL.match(t.text)]
    if korean_parts:
        return Expression(Form.PART, [], part=korean_parts[0])  # type: ignore[arg-type]
    return Expression(Form.DEFAULT, [])


_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _joined(kinds: list[Kind], first: int, second: int) -> bool:
    """Whether two points form a range: a connector between them, or "between" before the first."""
    between = kinds[first + 1 : second]  # Korean puts the connector after the time: "9시부터 10시까지"
    return any(k in (Kind.TO, Kind.DASH, Kind.AND, Kind.FROM) for k in between) or (
        Kind.BETWEEN in kinds[:first] or Kind.BETWEEN in kinds[second:]
    )


def _attach(tokens: list[Token], points: list[Point]) -> None:
    """Give each point its day and part: the ones said right before it, else the question's others."""
    claimed: set[int] = set()
    for p in points:
        i = p.index - 1
        while i >= 0 and tokens[i].kind in (Kind.DAY, Kind.PART, Kind.AT):
            if tokens[i].kind is Kind.DAY and p.day is None:
                p.day = tokens[i].value  # type: ignore[assignment]
                claimed.add(i)
            elif tokens[i].kind is Kind.PART and p.part is None:
                p.part = tokens[i].value  # type: ignore[assignment]
                claimed.add(i)
            i -= 1
    free_days = [t.value for i, t in enumerate(tokens) if t.kind is Kind.DAY and i not in claimed]
    free_parts = [t.value for i, t in enumerate(tokens) if t.kind is Kind.PART and i not in claimed]
    if points and free_days and points[0].day is None:
        points[0].day = free_days[0]  # type: ignore[assignment]
    for p in points:
        if p.part is None and free_parts and p.ago is None:
            p.part = free_parts[0]  # type: ignore[assignment]


def _hours(clock: Clock, part: Part | None) -> list[tuple[int, int]]:
    """(hour, days after the point's day) for each reading of a clock time."""
    h = clock.hour
    if clock.marked:
        return [(h, 0)]
    if part in (Part.AM, Part.MORNING, Part.DAWN):
        return [(h % 12, 0)]
    if part is Part.NIGHT:
        if h == 12:
            return [(0, 1)]  # 밤 12시: the midnight that ends the day
        return [(h, 1)] if h <= 4 else [(h % 12 + 12, 0)]
    if part in (Part.PM, Part.EVENING):
        return [(h % 12 + 12, 0)]
    if part is Part.DAYTIME:
        return [(h + 12 if h < 7 else h, 0)]
    return [(h % 12, 0), (h % 12 + 12, 0)] if h <= 12 else [(h, 0)]


def _candidates(p: Point, now: datetime, days: list[date] | None = None) -> list[datetime]:
    """Every moment `p` may mean, given its day (or the last three days)."""
    if p.ago is not None:
        return [now - p.ago]
    if p.day is not None:
        resolved = p.day.resolve(now.date())
        days = [resolved] if resolved else []
    elif days is None:
        days = [now.date() - timedelta(days=k) for k in range(3)]
    if p.this_time:
        return [datetime.combine(d, now.timetz()) for d in days]
    assert p.clock is not None
    return [
        datetime.combine(d + timedelta(days=shift), time(hour, p.clock.minute), tzinfo=now.tzinfo)
        for d in days
        for hour, shift in _hours(p.clock, p.part)
    ]


def _latest_past(moments: list[datetime], now: datetime) -> datetime | None:
    past = [m for m in moments if m <= now]
    return max(past) if past else None


def _range(start: Point, end: Point, now: datetime) -> tuple[datetime, datetime] | None:
    pairs = []
    for s in _candidates(start, now):
        ends = [e for e in _candidates(end, now, [s.date(), s.date() + timedelta(days=1)]) if e > s]
        if ends:
            pairs.append((s, min(ends)))
    begun = [pair for pair in pairs if pair[0] < now]
    # A reading under half a day wins over a longer one ("10시~14시" is not 22:00 to 14:00).
    short = [pair for pair in begun if pair[1] - pair[0] <= timedelta(hours=12)]
    if not begun:
        return None
    s, e = max(short or begun)  # the latest reading that has begun; one still running ends now
    return s, min(e, now)


def _day_start(day: date, now: datetime) -> datetime:
    return datetime.combine(day, time(0), tzinfo=now.tzinfo)


def _part_window(day: DayRef | None, part: Part, now: datetime) -> tuple[datetime, datetime] | None:
    first, last = PART_HOURS[part]
    if day is not None:
        resolved = day.resolve(now.date())
        options = [resolved] if resolved else []
    else:
        options = [now.date(), now.date() - timedelta(days=1)]
    for d in options:
        start = _day_start(d, now) + timedelta(hours=first)
        if start < now:
            return start, min(_day_start(d, now) + timedelta(hours=last), now)
    return None


def resolve(expr: Expression, now: datetime) -> tuple[datetime, datetime] | None:
    """The window of an expression as of `now`; None for "no time said" or nothing that fits."""
    if expr.form is Form.RANGE:
        return _range(expr.points[0], expr.points[1], now)
    if expr.form in (Form.POINT, Form.OPEN):
        moments = _candidates(expr.points[0], now)
        moment = _latest_past(moments, now)
        if moment is None:  # only a reading later today ("오늘 8시 30분" at 08:00): the hour up to now
            soonest = min(moments, default=None)
            if expr.form is Form.OPEN or soonest is None or soonest - DEFAULT_SPAN >= now:
                return None
            return soonest - DEFAULT_SPAN, now
        return (moment, now) if expr.form is Form.OPEN else (moment - DEFAULT_SPAN, moment)
    if expr.form is Form.LAST:
        assert expr.duration is not None
        return now - expr.duration, now
    if expr.form is Form.PART:
        assert expr.part is not None
        return _part_window(expr.days[0] if expr.days else None, expr.part, now)
    days = [d.resolve(now.date()) for d in expr.days]
    if not days or any(d is None for d in days):
        return None
    starts = [_day_start(d, now) for d in days if d is not None]
    if expr.form is Form.DAY_OPEN:
        return (starts[0], now) if starts[0] < now else None
    end = starts[-1] + timedelta(days=1)
    return (starts[0], min(end, now)) if starts[0] < now else None


def window_of(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The window `text` names, or None when it names no time (the caller's default applies)."""
    expr = parse(scan(text))
    if expr.form is Form.DEFAULT:
        return None
    found = resolve(expr, now)
    if found is None or not found[0] < found[1]:
        return None
    return found[0].replace(microsecond=0), found[1].replace(microsecond=0)
