"""Removing secrets from text before it leaves: to a model, to Slack, to the database, to an export.

Runbooks, labels, logs, questions and notes carry tokens and passwords more often than anyone
intends. Two passes: our own rules (fast, for the formats on-call text is full of: env-style
assignments, connection strings, CLI flags, headers, PEM blocks, Kubernetes Secret data, Korean
labels), then Yelp's detect-secrets plugins for vendor token formats we have no rule for. The
high-entropy plugins are left out: trace ids, git SHAs, UUIDs and digests must survive.
Each secret becomes [REDACTED:<kind>]; the key or label before it is kept, so the text still reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_MARK = "[REDACTED:{}]"
_VALUE = r"[^\s\"',;&`]+"

# (kind, pattern, group of the secret in the match: 0 = all of it)
_RULES: list[tuple[str, re.Pattern[str], int]] = [
    (
        "PRIVATE_KEY",
        re.compile(
            r"-----BEGIN[ A-Z]*PRIVATE[ ]KEY(?:[ ]BLOCK)?-----"
            r"(?:.*?-----END[ A-Z]*PRIVATE[ ]KEY(?:[ ]BLOCK)?-----|[\s\S]*)",  # a paste cut before its END line: all the rest
            re.DOTALL,
        ),
        0,
    ),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}"), 0),
    ("AWS_ACCESS_KEY", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"), 0),
    (
        "TOKEN",
        re.compile(
            r"""\b(?:
            github_pat_[A-Za-z0-9_]{20,}          # GitHub fine-grained
          | gh[pousr]_[A-Za-z0-9]{20,}            # GitHub classic, OAuth, app
          | glpat-[A-Za-z0-9_-]{20,}              # GitLab
          | xox[abposr]-[A-Za-z0-9-]{10,}         # Slack bot, user, legacy
          | xapp-\d-[A-Za-z0-9-]{10,}             # Slack app-level
          | (?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}   # Stripe
          | whsec_[A-Za-z0-9]{16,}                # Stripe webhook signing
          | SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}    # SendGrid
          | hv[sbr]\.[A-Za-z0-9_-]{20,}           # Vault
          | hf_[A-Za-z0-9]{20,}                   # Hugging Face
          | AIza[0-9A-Za-z_-]{35}                 # Google API key
          | shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}    # Shopify
          | npm_[A-Za-z0-9]{36}                   # npm
          | pypi-[A-Za-z0-9_-]{50,}               # PyPI
          | sk-ant-[A-Za-z0-9_-]{20,}             # Anthropic
          | sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}  # OpenAI
          | ATATT[A-Za-z0-9_=-]{20,}              # Atlassian
          | [A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{40,}     # Terraform Cloud
          | SK[0-9a-fA-F]{32}                     # Twilio API key
        )""",
            re.VERBOSE,
        ),
        0,
    ),
    ("TELEGRAM_BOT_TOKEN", re.compile(r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b"), 0),
    ("SLACK_WEBHOOK", re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"), 0),
    ("WEBHOOK", re.compile(r"https://(?:discord(?:app)?\.com|[\w.-]*webhook\.office\.com)/api/webhooks/\d+/([A-Za-z0-9_-]+)"), 1),
    # htpasswd / crypt hashes: apr1, bcrypt, md5/sha crypt ($$ in compose files), {SHA}
    ("PASSWORD_HASH", re.compile(r"\$\$?(?:apr1|2[abxy]|1|5|6)\$\$?[./A-Za-z0-9$]{8,}|\{SHA\}[A-Za-z0-9+/]{20,}=*"), 0),
    # ~/.pgpass: host:port:database:user:password
    ("PGPASS", re.compile(r"^[^\s:#]+:(?:\d+|\*):[^\s:]+:[^\s:]+:(\S+)$", re.MULTILINE), 1),
    # What `kubectl get secret ... -o jsonpath=...` prints on the next line.
    ("K8S_SECRET", re.compile(r"kubectl\s[^\n]*\bget\s+secrets?\b[^\n]*(?:jsonpath|go-template|base64)[^\n]*\n([^\n$#]+)"), 1),
    # An env entry in a manifest: "- name: DB_PASSWORD" then "value: ..."
    (
        "SECRET",
        re.compile(
            r"(?i)name:\s*[\"']?[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|credentials?)[A-Za-z0-9_.-]*[\"']?\s*\n"
            r"\s*value:\s*[\"']?([^\s\"']+)"
        ),
        1,
    ),
    (
        "CLI_PASSWORD",
        re.compile(
            r"""(?x)
            \b(?:docker|podman|nerdctl|helm|oras|skopeo|buildah|sshpass|redis-cli|mongo(?:sh)?|rabbitmqctl)\b[^\n|;&]*?
            \s(?:-p|-a|--pass(?:word)?|--auth)[=\s]+["']?([^\s"']+)"""
        ),
        1,
    ),
    ("CLI_PASSWORD", re.compile(r"(?:^|\s)(?:-u|--user)[=\s]+[\"']?[^\s:\"']+:([^\s\"']+)"), 1),
    ("COOKIE", re.compile(r"(?:^|\s)(?:-b|--cookie)[=\s]+[\"']?([^\s\"']*=[^\s\"']+)"), 1),
    ("AZURE_KEY", re.compile(r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig)=([A-Za-z0-9+/%=]{16,})"), 1),
    ("CONNECTION_STRING", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]*:([^\s@/]+)@", re.IGNORECASE), 1),
    (
        "AUTH_HEADER",
        re.compile(
            r"(?i)\b(?:authorization|proxy-authorization)\s*[:=]\s*[\"']?(?:bearer|basic|token|apikey|api-key|digest|negotiate)?\s*"
            r"([A-Za-z0-9._~+/=:-]{8,})"
        ),
        1,
    ),
    ("BEARER_TOKEN", re.compile(r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9._~+/=-]{16,})"), 1),
    ("COOKIE", re.compile(r"(?i)\b(?:set-)?cookie[\"']?\s*:\s*[\"']?([^\r\n\"']+)"), 1),
    (
        "API_KEY_HEADER",
        re.compile(
            r"(?i)\b(?:x-api-key|x-auth-token|api-key|x-goog-api-key|dd-api-key|dd-application-key)"
            r"\s*[:=]\s*[\"']?(" + _VALUE + ")"
        ),
        1,
    ),
    ("NPM_TOKEN", re.compile(r"(?i)_auth(?:Token)?\s*=\s*(\S+)"), 1),
    (
        "PASSWORD_FLAG",
        re.compile(
            r"""(?x)
        (?:^|\s)(?:
            -p(?!\s)(?=\S*[A-Za-z0-9])([^\s]{3,})        # mysql -pPASS (no space)
          | --[a-z-]*(?:password|passwd|secret|token|account-key|access-key|api-key|sas)[=\s]+["']?([^\s"'-][^\s"']{2,})
          | -P\s+["']?([^\s"']{3,})(?=.*\b(?:redis-cli|sshpass)\b)
        )"""
        ),
        -1,
    ),
    (
        "SECRET",
        re.compile(
            r"""(?ix)
        (?<![A-Za-z0-9])
        [A-Za-z0-9_.-]*?                         # DB_, PG, MYSQL_ROOT_, spring.datasource.
        (?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key
          |client[_-]?secret|auth[_-]?token|credentials?|secret[_-]?key|signing[_-]?key|encryption[_-]?key
          |app[_-]?key|application[_-]?key|account[_-]?key)
        (?![_.-]?(?:ttl|seconds|secs|minutes|length|len|header|store|file|path|dir|name|type|url|uri|enabled
          |expiry|expires|expiration|ref|count|min|max|policy|rotation|rotator|id\b))
        (?:[_.-][A-Za-z0-9]+)*                   # AWS_SECRET_ACCESS_KEY, SECRET_KEY_BASE
        ["']?\s*(?P<sep>=>|:=|=|:|,)\s*["']?      # KEY=, key: , "key": , define('KEY', '...')
        (?!\$\{|\$\(|\$[A-Za-z_]|%[A-Za-z_]+%|\{\{|<|\(|\[REDACTED)   # placeholders and references stay
        (?P<value>[^\s"',;`]{3,})"""
        ),
        -2,
    ),
    (
        "SECRET",
        re.compile(
            r"(?:비밀번호|패스워드|비번|암호|토큰|시크릿|API\s?키|api\s?키)\s*(?:는|은|이|가)?\s*(?:[:=]|\s)\s*"
            r"(?=\S*[A-Za-z0-9])([^\s\"',;]{4,})"
        ),
        1,
    ),
]

# Lines of a Kubernetes Secret's data/stringData block: "  key: value".
_K8S_SECRET = re.compile(r"^kind:\s*Secret\s*$", re.MULTILINE)
_K8S_DATA_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*\n(?P<body>(?:(?P=indent)[ \t]+\S[^\n]*\n?)+)", re.MULTILINE
)
_K8S_ENTRY = re.compile(r"^([ \t]+[\w.-]+:[ \t]*)(\S+)", re.MULTILINE)


def _replace(pattern: re.Pattern[str], kind: str, group: int) -> Callable[[str], str]:
    mark = _MARK.format(kind)

    def sub(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            if group == 0:
                return mark
            if group == -2:
                return _assignment(m, mark)
            index = group if group > 0 else next((i for i in range(1, (m.lastindex or 0) + 1) if m.group(i)), 0)
            if not index or m.group(index) is None:
                return m.group(0)
            start, end = m.start(index) - m.start(0), m.end(index) - m.start(0)
            return m.group(0)[:start] + mark + m.group(0)[end:]

        return pattern.sub(one, text)

    return sub


# A key that ends in the secret word: "password:", "db_password:", "client-secret:".
_SECRET_WORD = re.compile(r"(?i)^[\"']?[A-Za-z0-9_.-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey)[\"']?\s*[:,]")


def _assignment(m: re.Match[str], mark: str) -> str:
    """KEY=value always goes; after ':' or ',' (logs, YAML) the value must look like a secret,
    or the key end in the secret word: "db_password: hunter", not "secret-rotator: rotation"."""
    value = m.group("value")
    if m.group("sep") in (":", ",") and not _SECRET_WORD.match(m.group(0)) and re.fullmatch(r"[A-Za-z]+", value):
        return m.group(0)
    start, end = m.start("value") - m.start(0), m.end("value") - m.start(0)
    return m.group(0)[:start] + mark + m.group(0)[end:]


_PASSES = [_replace(pattern, kind, group) for kind, pattern, group in _RULES]


def _kubernetes_secret_data(text: str) -> str:
    if not _K8S_SECRET.search(text):
        return text

    def block(m: re.Match[str]) -> str:
        return m.group(0).replace(
            m.group("body"), _K8S_ENTRY.sub(lambda e: e.group(1) + _MARK.format("K8S_SECRET"), m.group("body"))
        )

    return _K8S_DATA_BLOCK.sub(block, text)


@lru_cache(maxsize=1)
def _detect_secrets_plugins() -> list[object]:
    """detect-secrets' vendor detectors (not keyword or entropy: our rules and the false positives)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    skip = ("Entropy", "Keyword", "IPPublic")
    classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
    return [cls() for cls in classes if not any(s in cls.__name__ for s in skip)]


def _vendor_tokens(text: str) -> str:
    """What detect-secrets finds that the rules did not; the whole token around its finding goes."""
    for plugin in _detect_secrets_plugins():
        for pattern in getattr(plugin, "denylist", ()):
            for m in list(pattern.finditer(text)):
                found = next((g for g in m.groups() if g), m.group(0)) if m.groups() else m.group(0)
                if "REDACTED" in found or len(found) < 8:
                    continue
                token = re.search(r"[^\s\"',;&`]*" + re.escape(found) + r"[^\s\"',;&`]*", text)
                if token:
                    text = text.replace(token.group(0), _MARK.format("SECRET"))
    return text


def redact(text: str) -> str:
    """`text` with every secret-looking value replaced by [REDACTED:<kind>]."""
    if not text:
        return text
    text = _kubernetes_secret_data(text)
    for sub in _PASSES:
        text = sub(text)
    return _vendor_tokens(text)
