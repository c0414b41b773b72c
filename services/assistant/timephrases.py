"""Time phrases in Korean and English as tokens: numbers, units, clock times, days, connectors.

The scanner knows words, not sentences: "2시간 반", "last 48h", "from 21:30 last night until now"
and "어제 오후 3시 이후로" are all sequences of the same few kinds of token, which `timegrammar`
composes into one window. Anything that is not a time word is skipped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.assistant.topics import edit_distance


class Kind(StrEnum):
    NUMBER = "number"  # value: float
    UNIT = "unit"  # value: seconds
    HALF = "half"  # "반", "and a half"
    SPAN = "span"  # a duration in one word ("이틀", "last week"); value: seconds
    CLOCK = "clock"  # value: Clock
    BARE = "bare"  # a bare 0-24 that is a clock time only next to a connector ("from 9 to 11")
    PART = "part"  # a part of the day ("오후", "this morning"); value: Part
    DAY = "day"  # value: DayRef
    THIS_TIME = "this_time"  # "이 시간", "this time": now's clock time on some day
    FROM = "from"
    TO = "to"
    DASH = "dash"  # "-" between two times
    BETWEEN = "between"
    AND = "and"
    SINCE = "since"
    NOW = "now"
    AGO = "ago"
    LAST = "last"
    AT = "at"


class Part(StrEnum):
    """Parts of the day: a meridiem for a clock time, or a window on their own."""

    AM = "am"  # 오전, a.m.: 00-12
    PM = "pm"  # 오후, p.m.: 12-24 as a meridiem, 12-18 as a window
    MORNING = "morning"  # 아침: 06-12
    DAWN = "dawn"  # 새벽: 00-06
    EVENING = "evening"  # 저녁: 18-24
    NIGHT = "night"  # 밤: 18-24 (1-4 o'clock at night are after midnight)
    DAYTIME = "daytime"  # 낮: 09-18


@dataclass(frozen=True)
class Clock:
    hour: int  # 0-23, or 1-12 when `marked` is False and the half of the day is open
    minute: int
    marked: bool  # the half of the day is known (am/pm, 24-hour form, 오전/오후)


@dataclass(frozen=True)
class DayRef:
    """A day: an offset from today, the latest such weekday before today, or a calendar date."""

    offset: int | None = None
    weekday: int | None = None  # Monday = 0
    month: int | None = None
    day: int | None = None
    year: int | None = None
    previous_week: bool = False  # "지난주 월요일": the weekday of the week before this one

    def resolve(self, today: date) -> date | None:
        if self.offset is not None:
            return today + timedelta(days=self.offset)
        if self.weekday is not None:
            back = (today.weekday() - self.weekday) % 7 or 7
            if self.previous_week and back <= today.weekday():
                back += 7
            return today - timedelta(days=back)
        assert self.month is not None and self.day is not None
        try:
            if self.year is not None:
                return date(self.year, self.month, self.day)
            candidate = date(today.year, self.month, self.day)
            return candidate if candidate <= today else date(today.year - 1, self.month, self.day)
        except ValueError:
            return None


@dataclass(frozen=True)
class Token:
    kind: Kind
    value: object
    text: str  # as scanned (normalized)


MINUTE, HOUR, DAY, WEEK = 60, 3600, 86400, 604800

KO_NUMBERS = {
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
    "열한": 11,
    "열두": 12,
    "스무": 20,
    "스물": 20,
    "서른": 30,
    "마흔": 40,
    "쉰": 50,
}
_SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
EN_NUMBERS = {
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
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "eighteen": 18,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "couple of": 2,
    "couple": 2,
    "few": 3,
    "several": 3,
}
UNITS = {
    "초": 1,
    "분": MINUTE,
    "시간": HOUR,
    "일": DAY,
    "주일": WEEK,
    "주": WEEK,
    "개월": 30 * DAY,
    "달": 30 * DAY,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": MINUTE,
    "min": MINUTE,
    "mins": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hrs": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": WEEK,
    "wk": WEEK,
    "wks": WEEK,
    "week": WEEK,
    "weeks": WEEK,
    "month": 30 * DAY,
    "months": 30 * DAY,
}
SPANS = {
    "하루": DAY,
    "이틀": 2 * DAY,
    "사흘": 3 * DAY,
    "나흘": 4 * DAY,
    "닷새": 5 * DAY,
    "일주일": WEEK,
    "보름": 15 * DAY,
    "fortnight": 2 * WEEK,
}
WEEKDAYS_KO = {"월": 0, "화": 1, "수": 2, "목": 3, "금": 4, "토": 5, "일": 6}
WEEKDAYS_EN = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
KO_PARTS = {"오전": Part.AM, "오후": Part.PM, "아침": Part.MORNING, "새벽": Part.DAWN, "저녁": Part.EVENING, "밤": Part.NIGHT}
KO_PARTS["낮"] = Part.DAYTIME
EN_PARTS = {"morning": Part.MORNING, "afternoon": Part.PM, "evening": Part.EVENING, "night": Part.NIGHT}

_KO_NUM = "|".join(sorted(KO_NUMBERS, key=len, reverse=True))
_SINO = r"[이삼사오육]?십[일이삼사오육칠팔구]?"
_EN_NUM = "|".join(sorted((re.escape(w) for w in EN_NUMBERS), key=len, reverse=True))
_DIGITS = r"\d+(?:\.\d+)?"
_EN_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?)"
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?"
)

# One alternative per token kind, most specific first: at each position the first that matches wins.
SCANNER = re.compile(
    rf"""
    (?P<iso_datetime>\b\d{{4}}-\d{{1,2}}-\d{{1,2}}[t\s]+\d{{1,2}}:\d{{2}}(?::\d{{2}})?)
  | (?P<iso_date>\b\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b)
  | (?P<ko_date>(?:\d{{4}}\s*년\s*)?\d{{1,2}}\s*월\s*\d{{1,2}}\s*일(?!\s*(?:동안|간|전|째)))
  | (?P<en_date>\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s*\d{{4}})?
      | \b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?![a-z])(?:,?\s*\d{{4}})?)
  | (?P<slash_date>(?<![\d/])\d{{1,2}}/\d{{1,2}}(?![\d/]))
  | (?P<ko_clock>(?:(?:오전|오후|새벽|아침|저녁|밤|낮)\s*)?(?:\d{{1,2}}|{_KO_NUM})\s*시(?!간|작|스템|점)
      (?:\s*(?:\d{{1,2}}|{_SINO})\s*분|\s*반(?!나절))?)
  | (?P<en_clock>\b\d{{1,2}}(?::\d{{2}})?\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z])
      | \b(?:[01]?\d|2[0-3]):[0-5]\d\b
      | \b\d{{1,2}}\s*o'?clock\b)
  | (?P<day_part>어젯밤|지난\s*밤|간밤|\blast\s+ni(?:gh)?te?\b|\btoni(?:gh)?te?\b|\bthis\s+(?:morning|afternoon|evening)\b
      | \byesterday\s+(?:morning|afternoon|evening)\b)
  | (?P<day>그저께|그제|엊그제|어저께|어제|오늘|금일|\bthe\s+day\s+before\s+yesterday\b|\bday\s+before\s+yesterday\b
      | \byesterday\b|\btoday\b|[월화수목금토일]요일|\b(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\b)
  | (?P<half_en>\b(?:and\s+a\s+half|half\s+an?|half)\b)
  | (?P<number_unit>(?:{_DIGITS}|{_KO_NUM}|{_SINO})\s*(?:시간|분|초|주일|주|개월|달|일)(?!요일)
      | {_DIGITS}\s*(?:and\s+a\s+half\s+)?{_EN_UNIT}\b
      | {_DIGITS}(?:h|m|d|w)(?![a-z])
      | \b(?:{_EN_NUM})\s+(?:and\s+a\s+half\s+)?{_EN_UNIT}\b)
  | (?P<unit_alone>\b{_EN_UNIT}\b|시간)
  | (?P<half_ko>반(?!나절|영|드시|복|대|응))
  | (?P<span>하루|이틀|사흘|나흘|닷새|일주일|보름|\bfortnight\b|\b(?:three\s+)?quarters?\s+(?:of\s+)?an?\s+hour\b
      | \b(?:a\s+)?quarter\s+hour\b
      | (?:지난|저번|이번|최근\s*한)\s*(?:주|달)(?!\s*[월화수목금토일]요일)|\b(?:last|past|this)\s+(?:week|month)\b)
  | (?P<last_week_day>(?:지난|저번)\s*주\s*[월화수목금토일]요일|\blast\s+week\s*'?s?\s+(?:mon|tues?|wed|thu|fri|sat|sun)[a-z]*)
  | (?P<this_time>이\s*시간(?:대|쯤|에)?(?!\s*동안)|이맘때|현재\s*시각|지금\s*(?:이\s*)?시각|지금\s*시간|같은\s*시간
      | \b(?:this|same)\s+time\b|\bat\s+this\s+hour\b|\bthis\s+hour\b)
  | (?P<named>정오|자정|한밤중|점심\s*(?:때|시간|쯤|무렵)|\bnoon\b|\bmidday\b|\bmidnight\b|\blunch\s*time\b|\blunchtime\b
      |\bat\s+lunch\b|\baround\s+lunch\b)
  | (?P<part>오전|오후|새벽|아침|저녁|밤|낮(?![은게아다춰추])
      | \bin\s+the\s+(?:morning|afternoon|evening)\b|\bat\s+night\b|\bmorning\b|\bafternoon\b|\bevening\b)
  | (?P<since>이후로|이후|이래|\bsince\b|\bafter\b|\bonwards?\b)
  | (?P<now>지금|현재|\bnow\b|\bpresent\b|\bcurrently\b)
  | (?P<from>부터|에서|\bfrom\b|\bstarting\b)
  | (?P<to>까지|~|∼|〜|\bto\b|\buntil\b|\btill\b|\btil\b|\bthrough\b|\bthru\b|\bbefore\b|이전)
  | (?P<between>\bbetween\b|사이)
  | (?P<and>\band\b|&)
  | (?P<ago>(?<=[\s\d분간일주])전(?![체반송부환])|\bago\b)
  | (?P<last>지난|최근|과거|요\s*(?=\d)|\blast\b|\bpast\b|\bprevious\b|\bprior\b|\brecent\b|\bwithin\b)
  | (?P<at>\bat\b|\baround\b|@)
  | (?P<dash>(?<=[\dm.])\s*-\s*(?=\d))
  | (?P<bare>\b(?:[01]?\d|2[0-4])\b(?![:.]\d|\s*%))
    """,
    re.VERBOSE | re.ASCII,  # ASCII word boundaries: "yesterday에", "5xx에러" still split
)


# English time words a typo may hide ("yesterdy", "tday", "mintues"); see `_corrected`.
VOCABULARY = (
    "today",
    "tonight",
    "yesterday",
    "minutes",
    "minute",
    "hours",
    "since",
    "until",
    "midnight",
    "morning",
    "afternoon",
    "evening",
    "between",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


def _corrected(word: str) -> str:
    """`word`, or the time word it is one typo away from (two for long words).

    Short words must also keep their last letter ("tday" is today, "unit" is not until).
    """
    if len(word) < 4 or word in VOCABULARY:
        return word
    for entry in VOCABULARY:
        limit = 2 if len(entry) >= 8 else 1
        if word[0] != entry[0] or (len(word) == 4 and word[-1] != entry[-1]):
            continue
        if edit_distance(word, entry, limit) <= limit:
            return entry
    return word


def normalize(text: str) -> str:
    """Lower case, full-width forms folded (NFKC), typographic dashes as '-', time-word typos fixed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("–", "-").replace("—", "-")
    return re.sub(r"[a-z]+", lambda m: _corrected(m.group()), text)


def _number(word: str) -> float:
    word = word.strip()
    if re.fullmatch(_DIGITS, word):
        return float(word)
    if word in KO_NUMBERS:
        return float(KO_NUMBERS[word])
    if "십" in word:  # Sino-Korean tens: 십, 이십, 삼십오
        tens, _, ones = word.partition("십")
        return float(_SINO_DIGITS.get(tens, 1) * 10 + _SINO_DIGITS.get(ones, 0))
    return float(EN_NUMBERS[word])


def _ko_clock(text: str) -> tuple[Clock | None, Part | None]:
    m = re.match(
        rf"(?:(오전|오후|새벽|아침|저녁|밤|낮)\s*)?(\d{{1,2}}|{_KO_NUM})\s*시(?:\s*(\d{{1,2}}|{_SINO})\s*분|\s*(반))?", text
    )
    assert m is not None
    hour = int(_number(m.group(2)))
    minute = int(_number(m.group(3))) if m.group(3) else (30 if m.group(4) else 0)
    part = KO_PARTS[m.group(1)] if m.group(1) else None
    if hour > 24 or minute > 59:
        return None, part  # "99시" is not a time
    return Clock(hour % 24, minute, hour > 12 or hour == 0 or hour == 24), part


def _en_clock(text: str) -> Clock | None:
    m = re.match(r"(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?", text)
    assert m is not None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if hour > (12 if half else 24) or minute > 59 or (half and hour == 0):
        return None  # "13am", "25:00"
    if half:
        return Clock(hour % 12 + (12 if half.startswith("p") else 0), minute, True)
    # 24-hour form: 13:00-23:59, 00:xx, or a leading zero ("09:30") leave no doubt.
    return Clock(hour, minute, hour > 12 or hour == 0 or text.startswith("0"))


def _month_day(text: str) -> DayRef:
    year = re.search(r"(?<!\d)(\d{4})(?!\d)", text)
    month = next(MONTHS[m[:3]] for m in re.findall(r"[a-z]+", text) if m[:3] in MONTHS)
    day = re.search(r"(?<!\d)(\d{1,2})(?!\d)", re.sub(r"(?<!\d)\d{4}(?!\d)", "", text))
    assert day is not None
    return DayRef(month=month, day=int(day.group(1)), year=int(year.group(1)) if year else None)


def _day_word(text: str) -> DayRef:
    compact = re.sub(r"\s+", " ", text)
    if compact in ("그저께", "그제", "엊그제", "the day before yesterday", "day before yesterday"):
        return DayRef(offset=-2)
    if compact in ("어제", "어저께", "yesterday"):
        return DayRef(offset=-1)
    if compact in ("오늘", "금일", "today"):
        return DayRef(offset=0)
    if compact.endswith("요일"):
        return DayRef(weekday=WEEKDAYS_KO[compact[0]])
    return DayRef(weekday=next(v for k, v in WEEKDAYS_EN.items() if compact.startswith(k[:3])))


def _tokens_for(group: str, text: str) -> list[Token]:
    """The token(s) one scanner match stands for."""

    def tok(kind: Kind, value: object = None) -> Token:
        return Token(kind, value, text)

    if group == "iso_datetime":
        day_text, clock_text = re.split(r"[t\s]+", text, maxsplit=1)
        y, mo, d = (int(x) for x in day_text.split("-"))
        clock = _en_clock(clock_text)
        dated = [tok(Kind.DAY, DayRef(year=y, month=mo, day=d))]
        return dated + ([tok(Kind.CLOCK, Clock(clock.hour, clock.minute, True))] if clock else [])
    if group == "iso_date":
        y, mo, d = (int(x) for x in re.split(r"[-/.]", text))
        return [tok(Kind.DAY, DayRef(year=y, month=mo, day=d))]
    if group == "ko_date":
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        year = numbers.pop(0) if len(numbers) == 3 else None
        return [tok(Kind.DAY, DayRef(month=numbers[0], day=numbers[1], year=year))]
    if group == "en_date":
        return [tok(Kind.DAY, _month_day(text))]
    if group == "slash_date":
        month, day = (int(x) for x in text.split("/"))
        return [tok(Kind.DAY, DayRef(month=month, day=day))] if 1 <= month <= 12 and 1 <= day <= 31 else []
    if group == "ko_clock":
        clock, part = _ko_clock(text)
        if clock is None:
            return []
        return ([tok(Kind.PART, part)] if part else []) + [tok(Kind.CLOCK, clock)]
    if group == "en_clock":
        found = _en_clock(text)
        return [tok(Kind.CLOCK, found)] if found else []
    if group in ("half_en", "half_ko"):
        return [tok(Kind.HALF)] if not text.startswith("half a") else [tok(Kind.HALF), tok(Kind.NUMBER, 1.0)]
    if group == "number_unit":
        return _number_unit(text, tok)
    if group == "unit_alone":
        return [tok(Kind.UNIT, UNITS[text.rstrip("s") if text.rstrip("s") in UNITS else text])]
    if group == "span":
        return [tok(Kind.SPAN, _span(text))]
    if group == "last_week_day":
        weekday = WEEKDAYS_KO[text.strip()[-3]] if text.endswith("요일") else _day_word(text.split()[-1]).weekday
        return [tok(Kind.DAY, DayRef(weekday=weekday, previous_week=True))]
    if group == "this_time":
        return [tok(Kind.THIS_TIME)]
    if group == "named":
        midnight = any(w in text for w in ("자정", "한밤중", "midnight"))
        return [tok(Kind.CLOCK, Clock(0 if midnight else 12, 0, True))]
    if group == "day_part":
        return _day_part(text, tok)
    if group == "day":
        return [tok(Kind.DAY, _day_word(text))]
    if group == "part":
        return [tok(Kind.PART, _part(text))]
    return [tok(Kind(group), None if group != "bare" else int(text))]


def _number_unit(text: str, tok) -> list[Token]:
    m = re.match(rf"({_DIGITS}|{_KO_NUM}|{_SINO}|{_EN_NUM})\s*(and\s+a\s+half\s+)?(.+)$", text)
    assert m is not None
    unit = m.group(3).strip()
    seconds = UNITS.get(unit) or UNITS.get(unit.rstrip("s"))
    assert seconds is not None, unit
    out = [tok(Kind.NUMBER, _number(m.group(1))), tok(Kind.UNIT, seconds)]
    return out + [tok(Kind.HALF)] if m.group(2) else out


def _span(text: str) -> int:
    compact = re.sub(r"\s+", "", text)
    if compact in SPANS:
        return SPANS[compact]
    if "quarter" in compact:
        return 45 * MINUTE if compact.startswith("three") else 15 * MINUTE
    return 30 * DAY if compact.endswith(("달", "month")) else WEEK


def _day_part(text: str, tok) -> list[Token]:
    if text in ("어젯밤", "간밤") or re.sub(r"\s+", " ", text).startswith(("지난 밤", "지난밤", "last ni")):
        return [tok(Kind.DAY, DayRef(offset=-1)), tok(Kind.PART, Part.NIGHT)]
    word = text.split()[-1]
    day = DayRef(offset=-1) if text.startswith("yesterday") else DayRef(offset=0)
    return [tok(Kind.DAY, day), tok(Kind.PART, EN_PARTS.get(word, Part.NIGHT))]


def _part(text: str) -> Part:
    if text in KO_PARTS:
        return KO_PARTS[text]
    return EN_PARTS[text.split()[-1]]


def scan(text: str) -> list[Token]:
    """The time tokens of `text`, in order."""
    out: list[Token] = []
    for m in SCANNER.finditer(normalize(text)):
        group = m.lastgroup
        assert group is not None
        out.extend(_tokens_for(group, m.group()))
    return out
