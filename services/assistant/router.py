"""The question router: what the user asks about (action) and for which time window.

Offline rules handle Korean and English: "지난 3시간", "last 30 minutes", "11월 3일 오전 8시",
"yesterday at this time", "from 2pm to 4pm yesterday", "오전 9시부터 지금까지". Windows are ISO 8601
with seconds, in the UTC offset of "now".
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.llm.client import ChatModel, ModelError, complete

log = logging.getLogger(__name__)

ACTIONS = ("summary", "alerts", "istio_p99_latency", "istio_http_errors", "unknown")

_KEYWORDS = {
    "summary": r"요약|정리|브리핑|보고|상황|인수인계|핸드오버|전반|summar|overview|report|brief|handover|hand over"
    r"|status|what happened|how are things|shift",
    "istio_p99_latency": r"지연|느려|느림|느린|응답\s*시간|레이턴시|latency|p99|p95|p90|slow|response time|duration",
    "istio_http_errors": r"에러|오류|5xx|4xx|50[0-9]|실패율|error|fail(?:ure|ing|ed)?|exception|http code|status code",
    "alerts": r"얼럿|알림|알람|경보|경고|울렸|울린|울리|플래핑|재시작|크래시|다운|alert|firing|fired|flapping|flap"
    r"|page[ds]?\b|paging|incident|장애|silence|crash|restart|oom|outage|\bdown\b",
}
# Words that make a question an on-call one even without the words above.
_ONCALL = (
    r"서비스|클러스터|네임스페이스|파드|노드|프로메테우스|service|cluster|namespace|pod|node|prometheus|istio|mesh|trace|on-?call"
)

_KO_NUM = {
    "한": 1,
    "두": 2,
    "세": 3,
    "네": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
    "열두": 12,
    "열한": 11,
}
_EN_NUM = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "few": 3,
}
_MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_UNIT_SECONDS = {
    "분": 60,
    "시간": 3600,
    "일": 86400,
    "주": 604800,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 604800,
}

_DURATION_KO = re.compile(
    r"(?:지난|최근|과거|요|이전)\s*(\d+|한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|열한|열두)\s*(분|시간|일|주)|(\d+)\s*(분|시간|일|주)\s*(?:동안|간|사이)"
)
_DURATION_EN = re.compile(
    r"(?:last|past|previous|recent)\s+(?:(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|few)\s+)?(min(?:ute)?s?|hours?|hrs?|days?|weeks?)\b"
)
_TIME_KO = re.compile(
    r"(오전|오후|새벽|아침|저녁|밤|낮)?\s*(\d{1,2}|열두|열한|열|한|두|세|네|다섯|여섯|일곱|여덟|아홉)\s*시(?!간)(?:\s*(\d{1,2})\s*분|\s*(반))?"
)
_TIME_EN = re.compile(
    r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])|\b(?:at|from|to|until|till|since|between|and)\s+(\d{1,2}):(\d{2})\b|\b(\d{1,2}):(\d{2})\b"
)
_DATE_ISO = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_DATE_KO = re.compile(r"(?:(\d{4})\s*년\s*)?(\d{1,2})\s*월\s*(\d{1,2})\s*일")
_DATE_EN = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(\d{4}))?\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:,?\s*(\d{4}))?\b"
)
_RELATIVE_DAY = [
    (re.compile(r"그저께|그제|day before yesterday"), -2),
    (re.compile(r"어제|yesterday|last night|어젯밤"), -1),
    (re.compile(r"오늘|today|this morning|tonight|오늘밤"), 0),
]
_THIS_TIME = re.compile(r"이\s*시간|이맘때|지금\s*이\s*시각|this time|same time")
_RANGE = re.compile(r"부터.*까지|에서.*까지|~|∼|\bfrom\b.*\b(?:to|until|till)\b|\bbetween\b.*\band\b|\d\s*-\s*\d")
_SINCE = re.compile(r"부터\s*(?:지금|현재|now)|부터$|부터[^까]*$|이후|\bsince\b|지금까지")


@dataclass(frozen=True)
class Route:
    action_type: str
    start: datetime
    end: datetime

    def to_dict(self) -> dict:
        return {
            "action_type": self.action_type,
            "from_datetime": self.start.isoformat(timespec="seconds"),
            "to_datetime": self.end.isoformat(timespec="seconds"),
        }


def classify(text: str) -> str:
    lower = text.lower()
    for action in ("summary", "istio_p99_latency", "istio_http_errors", "alerts"):
        if re.search(_KEYWORDS[action], lower):
            return action
    return "summary" if re.search(_ONCALL, lower) else "unknown"


def _number(token: str) -> int:
    if token.isdigit():
        return int(token)
    return _KO_NUM.get(token) or _EN_NUM.get(token.lower(), 1)


_NAMED_SPANS = [
    (re.compile(r"지난\s*주|저번\s*주|한\s*주|last week|past week|this week"), timedelta(days=7)),
    (re.compile(r"지난\s*달|last month|past month"), timedelta(days=30)),
]


def _duration(text: str) -> timedelta | None:
    for pattern, span in _NAMED_SPANS:
        if pattern.search(text.lower()):
            return span
    match = _DURATION_KO.search(text)
    if match:
        amount, unit = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        return timedelta(seconds=_number(amount) * _UNIT_SECONDS[unit])
    match = _DURATION_EN.search(text.lower())
    if match:
        amount = _number(match.group(1)) if match.group(1) else 1
        unit = next(u for u in ("min", "hour", "hr", "day", "week") if match.group(2).startswith(u))
        return timedelta(seconds=amount * _UNIT_SECONDS[unit])
    return None


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    marked: bool  # am/pm (오전/오후) given: no guessing which half of the day


def _times(text: str) -> list[tuple[int, _Clock]]:
    found = []
    for m in _TIME_KO.finditer(text):
        marker, hour = m.group(1), _number(m.group(2))
        minute = int(m.group(3)) if m.group(3) else (30 if m.group(4) else 0)
        if marker in ("오후", "저녁", "밤") and hour < 12:
            hour += 12
        elif marker in ("오전", "새벽", "아침") and hour == 12:
            hour = 0
        elif marker == "낮" and hour < 6:
            hour += 12
        found.append((m.start(), _Clock(hour % 24, minute, marker is not None)))
    lower = text.lower()
    for m in _TIME_EN.finditer(lower):
        if m.group(1):
            hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)[0]
            hour = (hour % 12) + (12 if half == "p" else 0)
            found.append((m.start(), _Clock(hour, minute, True)))
        else:
            hour, minute = (int(m.group(4)), int(m.group(5))) if m.group(4) else (int(m.group(6)), int(m.group(7)))
            if hour < 24 and minute < 60:
                found.append((m.start(), _Clock(hour, minute, hour > 12 or hour == 0)))
    return sorted(found, key=lambda f: f[0])


def _date(text: str, now: datetime) -> date | None:
    """An explicit or relative day; a month and day without a year is the latest not in the future."""
    m = _DATE_ISO.search(text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DATE_KO.search(text)
    lower = text.lower()
    if m:
        year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
    else:
        m = _DATE_EN.search(lower)
        if m:
            if m.group(1):
                month, day, year = _MONTHS[m.group(1)], int(m.group(2)), m.group(3)
            else:
                day, month, year = int(m.group(4)), _MONTHS[m.group(5)], m.group(6)
    if m:
        if year:
            return date(int(year), month, day)
        candidate = date(now.year, month, day)
        return candidate if candidate <= now.date() else date(now.year - 1, month, day)
    for pattern, offset in _RELATIVE_DAY:
        if pattern.search(lower):
            return now.date() + timedelta(days=offset)
    return None


def _at(day: date, clock: _Clock, now: datetime) -> datetime:
    return datetime.combine(day, time(clock.hour, clock.minute), tzinfo=now.tzinfo)


def _latest_past(day: date | None, clock: _Clock, now: datetime) -> datetime:
    """The clock time on `day`, or (no day given) its latest occurrence not after now.

    Without am/pm a 1-12 o'clock may be either half of the day: take the latest not in the future.
    """
    days = [day] if day else [now.date(), now.date() - timedelta(days=1)]
    hours = [clock.hour] if clock.marked or clock.hour > 12 else sorted({clock.hour % 12, clock.hour % 12 + 12}, reverse=True)
    candidates = [_at(d, _Clock(h, clock.minute, True), now) for d in days for h in hours]
    past = [c for c in candidates if c <= now]
    return max(past) if past else min(candidates)


_AGO = re.compile(
    r"(\d+|한|두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s*(분|시간|일)\s*전|\b(\d+|an?|one|two|three|four|five|six|ten|twelve|thirty)\s+(min(?:ute)?s?|hours?|days?)\s+ago\b"
)


def _ago(text: str, now: datetime) -> datetime | None:
    """ "3시간 전" / "3 hours ago" as a moment."""
    m = _AGO.search(text.lower())
    if not m:
        return None
    amount, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    key = unit if unit in _UNIT_SECONDS else next(u for u in ("min", "hour", "day") if unit.startswith(u))
    return now - timedelta(seconds=_number(amount) * _UNIT_SECONDS[key])


def window(text: str, now: datetime) -> tuple[datetime, datetime]:
    """The window a question is about, by the rules in the module docstring."""
    lower = text.lower()
    moment = _ago(text, now)
    if moment is not None:
        return (moment, now) if _SINCE.search(lower) else (moment - timedelta(hours=1), moment)
    duration = _duration(text)
    times = _times(text)
    day = _date(text, now)
    if duration and not times:
        return now - duration, now
    if len(times) >= 2 and _RANGE.search(lower):
        start = _latest_past(day, times[0][1], now)
        end_clock = times[1][1]
        end = _at(start.date(), end_clock, now)
        if not end_clock.marked and end_clock.hour <= 12:
            while end <= start:
                end += timedelta(hours=12)
        elif end <= start:
            end += timedelta(days=1)
        return start, end
    if times and _SINCE.search(lower):
        return _latest_past(day, times[0][1], now), now
    if times:
        point = _latest_past(day, times[0][1], now)
        return point - timedelta(hours=1), point
    if _THIS_TIME.search(lower):
        point = datetime.combine(day or now.date(), now.timetz()).replace(microsecond=0) if day else now
        return point - timedelta(hours=1), point
    if day:
        start = datetime.combine(day, time(0), tzinfo=now.tzinfo)
        return start, min(start + timedelta(days=1), now)
    return now - timedelta(hours=1), now


def mentions_time(text: str, now: datetime) -> bool:
    """Whether the question names a time or period (else it is about the window on screen)."""
    now = now.replace(microsecond=0)
    return window(text, now) != (now - timedelta(hours=1), now)


def route_offline(text: str, now: datetime) -> Route:
    """Rules only; a question that is not about on-call gets the default last hour."""
    now = now.replace(microsecond=0)
    action = classify(text)
    start, end = window(text, now) if action != "unknown" else (now - timedelta(hours=1), now)
    return Route(action, start, end)


def parse_route(raw: str, now: datetime) -> Route:
    """A model's JSON answer as a Route; ValueError if it breaks any rule."""
    data = json.loads(raw)
    action = data["action_type"]
    if action not in ACTIONS:
        raise ValueError(f"unknown action_type {action!r}")
    start, end = datetime.fromisoformat(data["from_datetime"]), datetime.fromisoformat(data["to_datetime"])
    if start.utcoffset() != now.utcoffset() or end.utcoffset() != now.utcoffset():
        raise ValueError("times are not in the UTC offset of now")
    if not start < end <= now + timedelta(minutes=1):
        raise ValueError("window is empty or ends in the future")
    return Route(action, start.replace(microsecond=0), end.replace(microsecond=0))


def route(text: str, now: datetime, model: ChatModel | None = None, request_id: str = "", session: str = "") -> tuple[Route, str]:
    """(route, "model" or "offline"): the model first when configured, the rules on any bad answer."""
    if model is not None:
        user = f"NOW: {now.replace(microsecond=0).isoformat(timespec='seconds')}\nQUESTION: {text}"
        try:
            raw = complete(model, "router", user, request_id, session, seed=0, response_format={"type": "json_object"})
            return parse_route(raw, now), "model"
        except (ModelError, ValueError, KeyError, TypeError) as exc:
            log.warning("request %s: model router answer refused, rules used (%s)", request_id or "-", exc)
    return route_offline(text, now), "offline"
