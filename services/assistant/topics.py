"""What a question is about: alerts, latency, errors, the whole picture, or nothing on-call.

Topic words are matched as word stems (Korean conjugations: 느려, 느렸, 느린) and English words
with one typo allowed (two for long words): "laytency", "erors", "sumary". A topic followed by
"report"/"리포트"/"정리"/"요약" stays that topic ("에러 리포트" is about errors); only a report
with no topic, or one that asks for everything ("전체", "shift", "handover"), is the summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from services.assistant.actions import Action

# Korean stems and phrases (substring match), English words (whole words, typo tolerant).
TOPICS_KO = {
    Action.LATENCY: (
        "지연",
        "느려",
        "느렸",
        "느린",
        "느림",
        "느리",
        "느려짐",
        "응답 시간",
        "응답시간",
        "응답 속도",
        "응답속도",
        "레이턴",
        "오래 걸",
        "속도",
        "슬로우",
        "리스폰스",
        "딜레이",
        "레이턴",
        "퍼센타일",
    ),
    Action.ERRORS: ("에러", "에라", "오류", "실패", "예외", "익셉션", "5xx", "4xx", "에러율", "실패율", "페일", "오륲"),
    Action.ALERTS: (
        "얼럿",
        "알럿",
        "얼렛",
        "알렛",
        "얼랏",
        "알러트",
        "알림",
        "알람",
        "경보",
        "경고",
        "울렸",
        "울린",
        "울리",
        "울려",
        "플래핑",
        "재시작",
        "리스타트",
        "크래시",
        "크래쉬",
        "다운",
        "죽었",
        "죽은",
        "뻗",
        "사일런스",
        "떴",
        "뜬 ",
        "페이지 왔",
        "호출",
    ),
}
TOPICS_EN = {
    Action.LATENCY: (
        "latency",
        "latencies",
        "slow",
        "slower",
        "slowest",
        "slowly",
        "slowness",
        "sluggish",
        "laggy",
        "percentile",
        "duration",
        "durations",
        "responsiveness",
    ),
    Action.ERRORS: (
        "error",
        "errors",
        "erroring",
        "errored",
        "failure",
        "failures",
        "failing",
        "failed",
        "fails",
        "exception",
        "exceptions",
    ),
    Action.ALERTS: (
        "alert",
        "alerts",
        "alerting",
        "alarm",
        "alarms",
        "firing",
        "fired",
        "fire",
        "fires",
        "flapping",
        "flap",
        "flaps",
        "flappy",
        "paged",
        "paging",
        "pager",
        "pages",
        "silence",
        "silenced",
        "silences",
        "crash",
        "crashed",
        "crashes",
        "crashing",
        "crashloop",
        "crashlooping",
        "restart",
        "restarts",
        "restarted",
        "restarting",
        "oom",
        "oomkilled",
        "down",
        "notification",
        "notifications",
    ),
}
# Patterns that are a topic whatever the words around them (status codes, percentiles, phrases).
TOPIC_PATTERNS = {
    Action.LATENCY: re.compile(r"\bp(?:50|75|90|95|99|999)\b|\bre?s?pon?[sc]e?\s*times?|tail\s+lat|\bms\b", re.ASCII),
    Action.ERRORS: re.compile(
        r"\b[45]xx\b|\b[45]\d\d\b|\b[45]\d\ds\b|http\s+code|status\s+code|grpc|non-?ok|error\s*rate", re.ASCII
    ),
    Action.ALERTS: re.compile(r"\bgo(?:ne|ing)?\s+off\b|\bwent\s+off\b|\bpagerduty\b|\bopsgenie\b|\boom", re.ASCII),
}
# Timeouts are errors to the caller and slowness to the callee: errors unless another topic is named.
WEAK_ERRORS = re.compile(r"타임아웃|time\s*-?\s*outs?|timing\s+out|timed\s+out")
# "Something blew up" is an alert unless it names what ("에러 터졌어?" is about errors).
WEAK_ALERTS = re.compile(r"터진|터졌|터짐|\bblew\s+up\b|\bblow\s*up\b|\bexploded\b", re.ASCII)
# Asking for everything: the summary whatever topics are named.
WHOLE_PICTURE = re.compile(
    r"전체|전반|종합|인수\s*인계|핸드오버|브리핑|\boverall\b|\beverything\b|\bshift\b|\bhand\s*-?\s*(?:over|off)\b"
    r"|\bfull\s+(?:report|summary|picture)\b|\bwhole\s+picture\b|\brundown\b|\brecap\b",
    re.ASCII,
)
# A question about the system with no topic word: the summary.
ONCALL_HINTS_KO = (
    "상황",
    "무슨 일",
    "무슨일",
    "뭔 일",
    "뭐 있었",
    "뭐있었",
    "뭐 있어",
    "어때",
    "어땠",
    "괜찮",
    "문제",
    "이상",
    "장애",
    "이슈",
    "요약",
    "서머리",
    "썸머리",
    "정리",
    "보고",
    "리포트",
    "현황",
    "상태",
    "서비스",
    "클러스터",
    "네임스페이스",
    "파드",
    "노드",
    "메시",
    "트래픽",
    "온콜",
    "프로메테우스",
    "이스티오",
)
ONCALL_HINTS_EN = (
    "summary",
    "summarize",
    "summarise",
    "report",
    "overview",
    "brief",
    "status",
    "happened",
    "happening",
    "going",
    "wrong",
    "broken",
    "issue",
    "issues",
    "problem",
    "problems",
    "incident",
    "incidents",
    "outage",
    "outages",
    "health",
    "healthy",
    "platform",
    "prod",
    "production",
    "service",
    "services",
    "svc",
    "cluster",
    "clusters",
    "namespace",
    "pod",
    "pods",
    "node",
    "nodes",
    "mesh",
    "istio",
    "envoy",
    "traffic",
    "prometheus",
    "oncall",
    "on-call",
    "looking",
    "update",
    "sitrep",
)
# Plainly not about the dashboard: no topic word and one of these means "unknown".
OFF_TOPIC = re.compile(
    r"날씨|농담|메뉴|점심\s*뭐|저녁\s*뭐|먹지|맛집|레시피|요리|영화|노래|드라마|여행|주식|축구|야구|게임|강아지|고양이|생일|"
    r"번역|숙제|시\s*(?:하나|한\s*편)|추천해|파이썬|자바스크립트|"
    r"\bweather\b|\bjoke\b|\brecipe|\bmovie|\bsong|\bpoem|\bhomework\b|\btranslate\b|\bpython\b|\bjavascript\b|"
    r"\brestaurant|\bstock\s+price|\bfootball\b|\bsoccer\b|\bbirthday\b|\brecommend\s+(?:a|me)\b|\bcapital\s+of\b|"
    r"\bwho\s+won\b|\bhow\s+do\s+i\s+(?:reverse|sort|cook|make)\b|\bdog\b|\bcat\b|\bpizza\b|\blunch\b(?!\s*time)",
    re.ASCII,
)
_WORD = re.compile(r"[a-z][a-z'-]*")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance, stopping early above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed_typos(word: str) -> int:
    return 0 if len(word) < 5 else (1 if len(word) < 8 else 2)


def _matches(word: str, lexicon: Iterable[str]) -> bool:
    """`word` (or its singular) is in `lexicon`, allowing the typos `_allowed_typos` permits."""
    if len(word) > 3 and word.endswith("s") and word[:-1] in lexicon:
        return True
    for entry in lexicon:
        if word == entry:
            return True
        limit = _allowed_typos(entry)
        if limit and word[:1] == entry[:1] and edit_distance(word, entry, limit) <= limit:
            return True
    return False


def _named(name: str) -> re.Pattern[str]:
    """A known name as a whole word of a lower-cased question."""
    return re.compile(rf"(?<![a-z0-9-]){re.escape(name.lower())}(?![a-z0-9-])")


def _without_names(text: str, names: list[str]) -> str:
    lower = text.lower()
    for name in sorted(names, key=len, reverse=True):
        if name:
            lower = _named(name).sub(" ", lower)
    return lower


def topics(text: str) -> set[Action]:
    """The topics named in `text` (alerts, latency, errors)."""
    lower = text.lower()
    words = _WORD.findall(lower)
    found = set()
    for action in (Action.ALERTS, Action.LATENCY, Action.ERRORS):
        if (
            any(stem in lower for stem in TOPICS_KO[action])
            or TOPIC_PATTERNS[action].search(lower)
            or any(_matches(w, TOPICS_EN[action]) for w in words)
        ):
            found.add(action)
    if not found and WEAK_ERRORS.search(lower):
        found.add(Action.ERRORS)
    if not found and WEAK_ALERTS.search(lower):
        found.add(Action.ALERTS)
    return found


def is_oncall(text: str, entities: Iterable[str] = ()) -> bool:
    """Whether a question with no topic word is still about the system (the summary)."""
    lower = text.lower()
    words = _WORD.findall(lower)
    if any(name and _named(name).search(lower) for name in entities):
        return True
    if OFF_TOPIC.search(lower):
        return False
    return any(h in lower for h in ONCALL_HINTS_KO) or any(_matches(w, ONCALL_HINTS_EN) for w in words)


def classify(text: str, says_time: bool = False, entities: Iterable[str] = ()) -> Action:
    """The action for `text`; a question naming a time or a known service is on-call unless plainly not.

    A service's name is not a topic word: "what is wrong with notification?" is not about alerts.
    """
    entities = list(entities)
    named = topics(_without_names(text, entities))
    if WHOLE_PICTURE.search(text.lower()):
        return Action.SUMMARY
    if len(named) == 1:
        return named.pop()
    if named == {Action.ALERTS, Action.LATENCY} or named == {Action.ALERTS, Action.ERRORS}:
        return Action.ALERTS  # "latency alerts", "5xx 알림": the metric names the alert
    if named:
        return Action.SUMMARY
    if is_oncall(text, entities) or (says_time and not OFF_TOPIC.search(text.lower())):
        return Action.SUMMARY
    return Action.UNKNOWN
