"""Log lines as records: the header (time, level, host, component) told from the message, generically.

No per-format configuration: a header is whatever leads a line in the shapes logs share
(timestamps in their common forms, a level word, klog's "E1121", syslog's "host proc[pid]:",
an access log's client address and request). A line that does not start like a header (a stack
frame, "Caused by:", a goroutine dump) continues the record above it, so a Java or Python trace
is one record whose first line names the event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
# Timestamps as logs write them; one pattern per family, all anchored by the caller.
TIMESTAMP = re.compile(
    rf"""
    \[?(?:
        \d{{4}}-\d{{2}}-\d{{2}}[T\s]\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?(?:\s?(?:Z|[+-]\d{{2}}:?\d{{2}}|UTC|GMT|KST|JST|PST|PDT|EST|EDT|CET|CEST|BST|IST)(?![A-Za-z]))?
      | \d{{2,4}}/\d{{2}}/\d{{2}}\s\d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?
      | \d{{1,2}}/{_MONTH}/\d{{4}}:\d{{2}}:\d{{2}}:\d{{2}}(?:\s[+-]\d{{4}})?
      | (?:{_DAY},?\s+)?{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?\s+\d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?(?:\s+\d{{4}})?
      | (?:{_DAY},?\s+)?\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\s+\d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?
      | [IWEF]\d{{4}}\s+\d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)?
      | \d{{10}}(?:\.\d+)?
      | \d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?
    )\]?""",
    re.VERBOSE,
)
LEVELS = {
    "trace": "debug",
    "debug": "debug",
    "dbg": "debug",
    "verbose": "debug",
    "info": "info",
    "inf": "info",
    "information": "info",
    "notice": "info",
    "log": "info",
    "statement": "info",
    "detail": "info",
    "hint": "info",
    "warn": "warning",
    "warning": "warning",
    "wrn": "warning",
    "error": "error",
    "err": "error",
    "eror": "error",
    "severe": "error",
    "fatal": "critical",
    "crit": "critical",
    "critical": "critical",
    "alert": "critical",
    "emerg": "critical",
    "panic": "critical",
}
_LEVEL_WORD = re.compile(
    r"(?<![\w.-])\[?<?(TRACE|DEBUG|DBG|VERBOSE|INFO|INF|INFORMATION|NOTICE|LOG|STATEMENT|DETAIL|HINT|WARN|WARNING|WRN|ERROR|ERR|EROR"
    r"|SEVERE|FATAL|CRIT|CRITICAL|ALERT|EMERG|PANIC)>?\]?:?(?![\w.-])",
    re.IGNORECASE,
)
_KEYED_LEVEL = re.compile(
    r"""(?:\blevel|\blvl|\bseverity|"level"|"lvl"|"severity")["']?\s*[=:]\s*["']?([A-Za-z]+)""", re.IGNORECASE
)
_LETTER_SEVERITY = re.compile(r'"s"\s*:\s*"([DIWEF])\d?"')
_KLOG = re.compile(r"^([IWEF])\d{4}\s+\d{2}:\d{2}:\d{2}")
_REDIS = re.compile(r"^\d+:[XCSM]\s+.*?\d{2}:\d{2}:\d{2}\.\d+\s+([.\-*#])\s")
_REDIS_LEVELS = {".": "debug", "-": "debug", "*": "info", "#": "warning"}
# HTTP status of an access log: right after the quoted request, or a status= / "status": field.
_REQUEST_STATUS = re.compile(
    r"\"[A-Z]+ [^\"]* HTTP/[\d.]+\"\s+(\d{3}|0)(?:\s|$)"  # combined / Envoy: after the request (0: no response)
    r"|\s(?:-?\d+/){3,}-?\d+\s+(\d{3}|-1)\s"  # HAProxy: after its timers (Tq/Tw/Tc/Tr/Tt)
)
_KEYED_STATUS = re.compile(r"""(?:\bstatus(?:_code)?|"status(?:_code)?"|\bcode)["']?\s*[=:]\s*["']?(\d{3})\b""", re.IGNORECASE)
_FAILURE = re.compile(
    r"\b(?:error|errors|exception|fatal|panic|panicked|fail|fails|failed|failure|failing|refused|denied|timeout|timed out"
    r"|unreachable|unavailable|unhealthy|killed|oom\w*|crash\w*|segfault|abort(?:ed)?|cannot|can't|could not|unable to"
    r"|not found|broken pipe|reset by peer|back-?off|traceback|corrupt\w*|no space left|overflow|lost|deadlock\w*"
    r"|no \w+ available|not available|exiting)\b"
    r"|\w+(?:Exception|Error)\b|Failed[A-Z]|BackOff|OOMKill|Unhealthy|Evicted|FailedMount|NodeNotReady",
    re.IGNORECASE,
)
# Lines that start an event of their own even without a header.
_OWN_RECORD = re.compile(
    r"^(?:panic:|fatal error|Exception in thread|Traceback \(most recent call last\):|<--- Last few GCs|-- .* --$)",
    re.IGNORECASE,
)
# The exception a trace reports: Java's first, Python's last line ("KeyError: 'x'").
_EXCEPTION_LINE = re.compile(
    r"^\s*(?:Caused by: )?(?:[\w$]+\.)*((?:[A-Z][\w$]*)?(?:Exception|Error|Exit|Interrupt|Throwable))\b:?\s*(.*)$"
)
# PostgreSQL writes an error's details as lines of their own; they belong to the error above.
_SECONDARY = re.compile(r"\b(?:DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION):\s")
# Lines that continue the record above: frames, causes, dumps.
_CONTINUATION = re.compile(
    r"^(?:\s+\S|at\s|Caused by:|\.\.\.\s*\d+\s+more|goroutine\s+\d+\s+\[|created by\s|[\w./]+\.go:\d+|\S+\(.*\)$|\}$|\]$"
    r"|\[signal\s|[\w/.-]+\.(?:rb|py|js|ts|cs|java):\d+)"
)
_CHAINED = re.compile(r"^(?:During handling of the above exception|The above exception was the direct cause)")
_REQUEST_TAG = re.compile(r"^\[[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\]\s?")
# journald's "-- Boot ... --", "-- Logs begin at ... --": markers, not events of the service.
_MARKER = re.compile(r"^-- .* --$")
_KUBECTL_PREFIX = re.compile(r"^\[(?:pod|deployment|statefulset|job)/[^\]]+\]\s")


@dataclass
class Record:
    """One log event: its first line (the header and message) and the lines that continue it."""

    first: int  # 1-based line number
    lines: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    @property
    def head(self) -> str:
        return self.text[0]


def strip_prefix(line: str) -> tuple[str, str]:
    """(prefix, rest): a `kubectl logs --prefix` tag is the source, not the message."""
    m = _KUBECTL_PREFIX.match(line)
    return (m.group(0), line[m.end() :]) if m else ("", line)


def starts_like_header(line: str) -> bool:
    _, rest = strip_prefix(line)
    rest = rest.lstrip("[")
    return bool(
        TIMESTAMP.match(rest)
        or _LEVEL_WORD.match(rest)
        or rest.startswith("{")
        or re.match(r"\d+:[XCSM]\s", rest)  # redis
        or re.match(r"(?:\d{1,3}\.){3}\d{1,3}\s", rest)  # access log client address
        or re.match(r"\w+=\S", rest)  # logfmt
        or re.match(r"(?:LAST SEEN|NAMESPACE|(?:\d+[smhd])+\s|<unknown>|\S+\s+(?:\d+[smhd])+\s)", rest)  # kubectl get events
    )


def _source(line: str) -> tuple[str, str]:
    """(who wrote the line, what it says): kubectl's pod tag, syslog's host and process, a request id.

    Continuation lines under journald or a request-tagged logger carry the same prefix as the
    line that starts their record; without it they read like any other line.
    """
    prefix, rest = strip_prefix(line)
    syslog = _SYSLOG_HEAD.match(rest)
    if syslog:  # the pattern looks ahead for "proc[pid]:", so the colon is there
        colon = rest.index(":", syslog.end())
        prefix += rest[syslog.start(1) : colon + 1]
        rest = rest[colon + 1 :].lstrip()
    request = _REQUEST_TAG.match(rest)
    if request:
        prefix += request.group(0)
        rest = rest[request.end() :]
    return prefix, rest


def records(lines: list[str]) -> list[Record]:
    """Lines grouped into records: a continuation joins the record above it; table rows stand alone."""
    table = table_layout(lines)
    leading = [line for line in lines if line.strip() and not _CONTINUATION.match(line) and not _EXCEPTION_LINE.match(line)]
    mostly_headed = sum(starts_like_header(line) for line in leading) >= 0.5 * max(1, len(leading))
    out: list[Record] = []
    tags: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        tag, body = _source(line)
        previous = out[-1] if out and number not in table and not _TABLE_HEADER.match(line) else None
        if previous is not None and tag and tag == tags[-1] and tag != strip_prefix(line)[0]:
            joins = not body.strip() or _continues(body, starts_like_header(body), previous, False)  # same writer
        else:
            joins = previous is not None and _continues(strip_prefix(line)[1], starts_like_header(line), previous, mostly_headed)
        if joins:
            out[-1].lines.append(number)
            out[-1].text.append(line)
        else:
            out.append(Record(number, [number], [line]))
            tags.append(tag)
    return out


def _continues(rest: str, headed: bool, previous: Record | None, mostly_headed: bool) -> bool:
    """Whether a line belongs to the record above it."""
    if previous is None:
        return False
    if headed:
        return _SECONDARY.search(rest[:120]) is not None
    if _CONTINUATION.match(rest) or _EXCEPTION_LINE.match(rest) or _CHAINED.match(rest):
        return True
    if rest.startswith("Traceback"):  # logging.exception(): the trace right under its message, or a chained one
        return (len(previous.lines) == 1 and level_of(previous.head) in ("error", "critical", "warning")) or bool(
            _CHAINED.match(strip_prefix(previous.text[-1])[1])
        )
    return mostly_headed and not _OWN_RECORD.match(rest)


def level_of(line: str) -> str | None:
    """The line's level (debug, info, warning, error, critical) when its header says it."""
    _, rest = strip_prefix(line)
    m = _KLOG.match(rest)
    if m:
        return {"I": "info", "W": "warning", "E": "error", "F": "critical"}[m.group(1)]
    m = _REDIS.match(rest)
    if m:
        return _REDIS_LEVELS[m.group(1)]
    m = _KEYED_LEVEL.search(rest[:400])
    if m and m.group(1).lower() in LEVELS:
        return LEVELS[m.group(1).lower()]
    m = _LETTER_SEVERITY.search(rest[:200])  # MongoDB's "s":"W"
    if m:
        return {"D": "debug", "I": "info", "W": "warning", "E": "error", "F": "critical"}[m.group(1)]
    head = TIMESTAMP.sub(" ", rest[:160], count=2)
    for word in _LEVEL_WORD.finditer(" ".join(head.split()[:8])):  # a level among the header's first words
        found = word.group(1)
        if found.isupper() or word.group(0).startswith(("[", "<")) or word.group(0).endswith(":"):
            return LEVELS[found.lower()]
    return None


def http_status(line: str) -> int | None:
    m = _REQUEST_STATUS.search(line) or _KEYED_STATUS.search(line)
    return int(next(g for g in m.groups() if g)) if m else None


def is_error(record: Record) -> bool:
    """An error by the record's own level; without one, a 5xx answer or a failure it reports."""
    line = record.head
    level = level_of(line)
    if level in ("error", "critical"):
        return True
    status = http_status(line)
    if status is not None:
        return status >= 500
    _, rest = strip_prefix(line)
    if _MARKER.match(rest):
        return False
    if _OWN_RECORD.match(rest):
        return True
    if level is not None:
        return False  # debug, info and warning: the log's own level says it is not an error
    return bool(_FAILURE.search(rest))  # no level: what the line reports


# --- templates ------------------------------------------------------------------------------------

# `kubectl get events` and other tables: columns that say where and when, not what happened.
CONTEXT_COLUMNS = frozenset(
    {"NAMESPACE", "LAST SEEN", "FIRST SEEN", "AGE", "COUNT", "NAME", "OBJECT", "SUBOBJECT", "SOURCE", "NODE", "IP"}
)
_TABLE_HEADER = re.compile(r"^[A-Z][A-Z_-]*(?: [A-Z][A-Z_-]*)?(?:\s{2,}[A-Z][A-Z_-]*(?: [A-Z][A-Z_-]*)?){2,}\s*$")


def _columns(header: str) -> list[tuple[str, int, int]]:
    spans = [(m.group(), m.start()) for m in re.finditer(r"[A-Z][A-Z_-]*(?: [A-Z][A-Z_-]*)?", header)]
    return [(name, start, spans[i + 1][1] if i + 1 < len(spans) else 10**6) for i, (name, start) in enumerate(spans)]


def table_layout(lines: list[str]) -> dict[int, list[tuple[str, int, int]]]:
    """For each line (1-based) under a table's header row, that header's (name, start, end) columns.

    A paste may hold several tables (two `kubectl get events` runs): each header starts its own.
    """
    layout: dict[int, list[tuple[str, int, int]]] = {}
    current: list[tuple[str, int, int]] | None = None
    for number, line in enumerate(lines, 1):
        if _TABLE_HEADER.match(line):
            current = _columns(line)
        elif not line.strip() or TIMESTAMP.match(strip_prefix(line)[1]):
            current = None  # a blank line or a timestamped log line ends the table
        elif current is not None:
            layout[number] = current
    return layout


def without_context_columns(line: str, columns: list[tuple[str, int, int]]) -> str:
    """A table row with its context columns blanked (the last column, the message, is kept whole)."""
    kept = [line[start:end] for name, start, end in columns if name not in CONTEXT_COLUMNS]
    return " ".join(part.strip() for part in kept if part.strip())


WILDCARD = "<*>"
# Words after which a value is a name (user, unit, container...), whatever it looks like.
NAME_KEYS = frozenset(
    "user username users unit service host hostname node pod container topic queue table database db index "
    "bucket group consumer client job task executor worker peer member instance shard partition key file path dir "
    "volume account role tenant namespace app application process session channel image repository deployment "
    "replicaset statefulset daemonset cronjob application_name dbname datname usename".split()
)
_SYSLOG_HEAD = re.compile(rf"^(?:{_MONTH}\s+\d{{1,2}}\s+\d{{2}}:\d{{2}}:\d{{2}})\s+(\S+)\s+(?=\S+:\s)")
_EDGE_PUNCTUATION = "()[]{}<>,;:\"'`!?."
_HTTP_METHOD = re.compile(r"^(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT|TRACE)$")
MIN_VARIANTS = 3  # a position with this many different words across one event's lines is a name, not a word


def _variable(token: str) -> bool:
    """Whether a token is a value (id, number, path, address, quoted literal, name) rather than a word."""
    if len(token) > 2 and token[0] in "'\"" and token.rstrip(",;:.)]")[-1:] == token[0] and " " not in token:
        return True  # 'currency', "cart_item": a quoted literal
    if re.fullmatch(r"[a-z]+[A-Z]\w*", token.strip(_EDGE_PUNCTUATION)):
        return True  # listOrders, insertAuditEvent: a code identifier
    core = token.strip(_EDGE_PUNCTUATION)
    if not core:
        return False
    if re.fullmatch(r"[a-z]+_(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[a-z])[A-Za-z0-9]{6,}", core):
        return True  # inv_UgzsuUdJim, cus_RWpaTLzi: a random id
    if any(ch.isdigit() for ch in core) or "/" in core or "\\" in core or "@" in core:
        return True
    if "." in core.strip(".") and re.search(r"[A-Za-z]\.[A-Za-z]", core):  # foo.service, com.example.Foo
        return True
    return bool(_HTTP_METHOD.match(core))


def _access_template(line: str, status: int) -> list[str]:
    """An access log line's event: its status and the words that qualify it (Envoy's flags and
    details, HAProxy's termination state); paths, clients, sizes and agents vary."""
    marker = f" {status} "
    after = line[line.find(marker) + len(marker) :] if marker in line else ""
    words = [t for t in re.findall(r"\"[^\"]*\"|\S+", after) if not t.startswith('"') and t != "-" and not _variable(t)]
    return ["HTTP", str(status)] + words[:3]


def message_tokens(line: str) -> tuple[list[str], bool]:
    """The template of a record's first line (header time and host dropped, values masked), and
    whether it is final: an access log line's template is its status and flags, never merged."""
    _, rest = strip_prefix(line)
    request = _REQUEST_STATUS.search(rest)
    if request:
        return _access_template(rest, int(next(g for g in request.groups() if g))), True
    syslog = _SYSLOG_HEAD.match(rest)
    if syslog:  # RFC 3164: "Oct 18 18:01:50 host proc[pid]: message" - the host varies, not the event
        rest = rest[syslog.end() :]
    structured = _json_message(rest)
    if structured is not None:
        return _masked(_words(structured)), False
    rest = _TRAILING_CONTEXT.sub("", rest.rstrip())  # nginx's ", client: ..., server: ..., request: ..."
    rest = _SQL.sub(" " + WILDCARD, rest)  # the statement a database logs is a value
    rest = _UNIT_JOB.sub(lambda m: m.group(1) + " " + WILDCARD, rest)  # systemd: "Started Fluent Bit log shipper."
    for _ in range(2):  # the header's time (some logs write two: "[ts] 2026/11/21 ...")
        m = TIMESTAMP.match(rest.lstrip())
        if not m:
            break
        rest = rest.lstrip()[m.end() :]
    return _masked(_words(rest)), False


# Trailing ", key: value" pairs whose values are addresses, names or quoted requests: context, not the event.
_TRAILING_CONTEXT = re.compile(r"(?:,\s+[a-z_]+:\s+(?:\"[^\"]*\"|[^,\s]*[\d./:][^,\s]*))+$")
_SQL = re.compile(r"\s(?:SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WITH|BEGIN|COMMIT)\s.*$", re.IGNORECASE)
# systemd's job messages name a unit by its description, which is free text.
_UNIT_JOB = re.compile(
    r"(?<=systemd\[1\]: )(Started|Starting|Stopped|Stopping|Failed to start|Reloading|Reloaded|Finished|Mounted|Unmounted"
    r"|Listening on|Closed|Reached target|Stopped target)\s.*$"
)
_MESSAGE_KEYS = ("msg", "message", "MESSAGE", "log", "event", "error", "err", "exception", "level", "lvl", "severity")


def _json_message(line: str) -> str | None:
    """A JSON log line's level, message and error fields (what its event is), else None."""
    stripped = line.strip()
    if not stripped.startswith("{"):
        return None
    try:
        data = json.loads(stripped)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return " ".join(
        f"{key}={data[key]}" if key in ("level", "lvl", "severity") else str(data[key]) for key in _MESSAGE_KEYS if key in data
    )


def _words(text: str) -> list[str]:
    """Whitespace tokens; a double-quoted span is one token ("GET /x HTTP/1.1")."""
    return re.findall(r"\"[^\"]*\"|\S+", text)


def _masked(words: list[str]) -> list[str]:
    out: list[str] = []
    for token in words:
        key, eq, value = token.partition("=")
        if eq and key and value:
            named = key.strip(_EDGE_PUNCTUATION).lower() in NAME_KEYS
            out.append(f"{key}={WILDCARD}" if named or _variable(value) else token)
        elif _variable(token) or (out and out[-1].strip(_EDGE_PUNCTUATION).lower() in NAME_KEYS):
            if not out or out[-1] != WILDCARD:
                out.append(WILDCARD)
        else:
            out.append(token)
    return out


def record_template(record: Record, columns: list[tuple[str, int, int]] | None = None) -> tuple[tuple[str, ...], bool]:
    """A record's template: its first line's, with the exception its trace reports when it has one."""
    tokens, final = message_tokens(without_context_columns(record.head, columns) if columns else record.head)
    for line in record.text[1:]:
        m = _EXCEPTION_LINE.match(strip_prefix(line)[1])
        if m:
            return tuple(tokens + ["|", m.group(1)] + _masked(m.group(2).split())), final
    return tuple(tokens), final


def merge_names(templates: dict[tuple[str, ...], list[int]]) -> dict[tuple[str, ...], list[int]]:
    """Templates that differ at one position holding MIN_VARIANTS or more different words, merged.

    User, unit and process names split one event into many templates; a word with only a few
    alternatives ("refused"/"reset", "opened"/"closed") is part of the event and stays. The
    first word of a message (usually its verb) is never generalized.
    """

    def _verb(t: tuple[str, ...]) -> int:
        return next((i for i, token in enumerate(t) if token != WILDCARD), -1)

    changed = True
    while changed:
        changed = False
        by_length: dict[int, list[tuple[str, ...]]] = {}
        for t in templates:
            by_length.setdefault(len(t), []).append(t)
        for length, group in by_length.items():
            for pos in range(length):
                buckets: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
                for t in group:
                    if t[pos] != WILDCARD and pos != _verb(t):
                        buckets.setdefault(t[:pos] + t[pos + 1 :], set()).add(t)
                for rest, members in buckets.items():
                    if len(members) < MIN_VARIANTS:
                        continue
                    merged = rest[:pos] + (WILDCARD,) + rest[pos:]
                    lines = templates.pop(merged, [])
                    for t in members:
                        lines.extend(templates.pop(t))
                    templates[merged] = sorted(lines)
                    changed = True
                if changed:
                    break
            if changed:
                break
    return templates
