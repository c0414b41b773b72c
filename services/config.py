"""One Settings object from environment variables and `.streamlit/secrets.toml`, loaded once.

Environment variables win over the secrets file, so a deployment can override a checked-in
default. Every key the README documents is read here and nowhere else; the rest of the code
receives the section it needs. With no `PROMETHEUS_URL` anywhere the dashboard runs on the
bundled demo scenario.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# The checkout, or site-packages: the wheel installs app.py, pages/, components/, services/ and
# data/ side by side as they are in the repo (pyproject.toml), so one lookup serves both.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"  # bundled data: demo scenario, runbooks, prompts, glossary, eval sets
# What the dashboard writes (database, runbook index) unless ONCALL_DATA_DIR says: var/ in a
# checkout; an installed package must not write into site-packages, so there it is var/ in the
# working directory, where `.streamlit/secrets.toml` is read from as well.
STATE_DIR = PROJECT_ROOT / "var" if (PROJECT_ROOT / "pyproject.toml").is_file() else Path("var").resolve()
DEFAULT_SECRETS = Path(".streamlit") / "secrets.toml"

# USD per million tokens (input, output); ONCALL_PRICE_TABLE='{"model": [in, out]}' adds or overrides.
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1-mini": (0.40, 1.60), "gpt-4.1": (2.00, 8.00)}


def without_credentials(url: str) -> str:
    """`url` with any user:password@ removed, for showing, logging and exporting."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=host))


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class SourceSettings:
    """Where metrics and alerts are read: Prometheus (and Alertmanager), or the demo."""

    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    # Sent as the Authorization header, e.g. "Bearer <token>".
    auth_header: str | None = field(default=None, repr=False)
    basic_auth_user: str | None = None
    basic_auth_password: str | None = field(default=None, repr=False)
    # Sent as X-Scope-OrgID: the tenant of a multi-tenant Mimir, Cortex or Loki-style backend.
    tenant: str | None = None
    # True, False, or a path to a CA bundle.
    verify_tls: bool | str = True
    cluster_label: str = "cluster"
    # Query resolution in seconds; None picks one from the window length.
    step_seconds: int | None = None
    rate_window: str = "5m"
    # Read Istio's recorded workload:* series (README, "Recording rules") when they hold the window.
    recording_rules: bool = True
    timeout_seconds: float = 10.0  # the overall deadline of one request
    max_response_mb: float = 50.0  # a larger answer is refused, not read
    # Freezes the demo scenario's clock (ISO time) for reproducible runs; unset = now.
    demo_now: str | None = None

    @property
    def source_name(self) -> str:
        """What the dashboard calls its source: the URL without any credentials in it, or demo."""
        return without_credentials(self.prometheus_url) if self.prometheus_url else "demo"

    def with_prometheus(self, url: str | None) -> SourceSettings:
        return replace(self, prometheus_url=url.rstrip("/") if url else self.prometheus_url)


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds of the alert analysis: what counts as flapping and as likely false."""

    flap_min_transitions: int = 6
    flap_span_minutes: float = 60.0  # ... within this long: flapping is rapid change
    false_alert_max_minutes: float = 5.0
    false_alert_min_count: int = 3


@dataclass(frozen=True)
class ModelSettings:
    """An OpenAI or OpenAI-compatible chat model."""

    api_key: str = field(repr=False)
    base_url: str | None
    model: str
    timeout: float
    temperature: float = 0.0
    seed: int | None = 7
    context_tokens: int = 16000
    prices: tuple[tuple[str, float, float], ...] = ()

    def cost(self, tokens_in: int, tokens_out: int) -> float | None:
        """Estimated USD, or None for a model with no known price."""
        table = {**PRICES, **{m: (i, o) for m, i, o in self.prices}}
        price = table.get(self.model)
        return None if price is None else (tokens_in * price[0] + tokens_out * price[1]) / 1e6


@dataclass(frozen=True)
class KnowledgeSettings:
    """The runbook index: its folder, the runbook folders and the embedder."""

    index_dir: Path = STATE_DIR / "kb"
    runbook_dirs: tuple[Path, ...] = ()
    internal_runbook_dirs: tuple[Path, ...] = ()
    embedder: str = "local"  # "local" (USE, offline), "e5" (multilingual-e5-small, offline, slower builds) or "openai"
    embedding_model: str = "text-embedding-3-small"
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    send_internal: bool = False  # internal runbooks go to a remote embedder only when the operator opts in


@dataclass(frozen=True)
class StorageSettings:
    data_dir: Path = STATE_DIR
    db_url: str = f"sqlite:///{STATE_DIR / 'oncall.db'}"
    retention_days: int = 90  # answers, feedback, audit rows and reports older than this are deleted
    # ONCALL_REPORT_WORKER=external: shift summaries are run by `oncall worker` processes only.
    external_report_worker: bool = False


@dataclass(frozen=True)
class TriageSettings:
    log_dirs: tuple[Path, ...] = ()  # folders whose log files the triage page may read; none = off
    max_log_bytes: int = 20_000_000


@dataclass(frozen=True)
class IntegrationSettings:
    slack_webhook_url: str | None = field(default=None, repr=False)
    chromium: str | None = None  # the browser that prints PDF summaries; None = look on the PATH
    # A silence confirmed from the dashboard: at most this long and this broad.
    silence_max_minutes: int = 240
    silence_max_alerts: int = 10


@dataclass(frozen=True)
class AccessSettings:
    """Sign-in and roles (services/auth): who may confirm side effects, edit prompts, rebuild the index."""

    sign_in: bool = False  # an [auth] section in secrets.toml: Streamlit's OIDC sign-in (st.login)
    role_claim: str = "groups"  # the identity token's claim holding group names (the email always counts)
    # Claim values (groups or emails, lower case) per role; no viewer list = every signed-in user views.
    admins: frozenset[str] = frozenset()
    responders: frozenset[str] = frozenset()
    viewers: frozenset[str] = frozenset()
    # Without sign-in, silences and Slack posts are refused unless the operator opts in.
    allow_anonymous_actions: bool = False


@dataclass(frozen=True)
class Settings:
    sources: SourceSettings = SourceSettings()
    alerts: AlertSettings = AlertSettings()
    model: ModelSettings | None = None
    # Why a configured model cannot be used (the dashboard then answers offline and says so).
    model_problem: str | None = None
    knowledge: KnowledgeSettings = KnowledgeSettings()
    storage: StorageSettings = StorageSettings()
    integrations: IntegrationSettings = IntegrationSettings()
    triage: TriageSettings = TriageSettings()
    access: AccessSettings = AccessSettings()
    log_level: str = "INFO"

    def with_prometheus(self, url: str | None) -> Settings:
        return replace(self, sources=self.sources.with_prometheus(url))

    def require_model(self) -> ModelSettings | None:
        """The model, None when none is configured; a configured but unusable one is an error."""
        if self.model_problem:
            raise ConfigError(self.model_problem)
        return self.model


def read_secrets(path: Path) -> dict[str, object]:
    """Flat keys of a Streamlit secrets file; a missing file is no secrets."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


class _Reader:
    """Values by key: the environment first, then the secrets file; empty means unset."""

    def __init__(self, env: Mapping[str, str], secrets: Mapping[str, object]):
        self.env, self.secrets = env, secrets

    def raw(self, key: str) -> object | None:
        value: object | None = self.env.get(key)
        if value is None or value == "":
            value = self.secrets.get(key)
        return None if value is None or value == "" else value

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.raw(key)
        return default if value is None else str(value).strip()

    def number(self, key: str, default: float, kind: Callable[[Any], float] = float) -> float:
        value = self.raw(key)
        if value is None:
            return default
        try:
            parsed = kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}={value!r} is not a positive number") from None
        if parsed <= 0:
            raise ConfigError(f"{key}={value!r} is not a positive number")
        return parsed

    def paths(self, key: str) -> tuple[Path, ...]:
        value = self.text(key) or ""
        return tuple(Path(part.strip()).expanduser().resolve() for part in value.split(os.pathsep) if part.strip())


def _bool_or_path(raw: object) -> bool | str:
    if isinstance(raw, bool):
        return raw
    low = str(raw).strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    return str(raw).strip()  # a CA bundle path


def _url(value: str | None) -> str | None:
    return value.rstrip("/") if value else None


def _sources(read: _Reader) -> SourceSettings:
    step = read.raw("ONCALL_STEP_SECONDS")
    return SourceSettings(
        prometheus_url=_url(read.text("PROMETHEUS_URL")),
        alertmanager_url=_url(read.text("ALERTMANAGER_URL")),
        auth_header=read.text("PROMETHEUS_AUTH_HEADER"),
        basic_auth_user=read.text("PROMETHEUS_BASIC_AUTH_USER"),
        basic_auth_password=read.text("PROMETHEUS_BASIC_AUTH_PASSWORD"),
        tenant=read.text("PROMETHEUS_TENANT"),
        verify_tls=_bool_or_path(read.raw("PROMETHEUS_VERIFY_TLS") if read.raw("PROMETHEUS_VERIFY_TLS") is not None else True),
        cluster_label=read.text("ONCALL_CLUSTER_LABEL", "cluster") or "cluster",
        step_seconds=int(read.number("ONCALL_STEP_SECONDS", 1, int)) if step is not None else None,
        rate_window=read.text("ONCALL_RATE_WINDOW", "5m") or "5m",
        recording_rules=_recording_rules(read.text("ONCALL_RECORDING_RULES")),
        timeout_seconds=read.number("ONCALL_TIMEOUT_SECONDS", 10.0),
        max_response_mb=read.number("ONCALL_MAX_RESPONSE_MB", 50.0),
        demo_now=read.text("ONCALL_DEMO_NOW"),
    )


def _alerts(read: _Reader) -> AlertSettings:
    return AlertSettings(
        flap_min_transitions=int(read.number("ONCALL_FLAP_MIN_TRANSITIONS", 6, int)),
        flap_span_minutes=read.number("ONCALL_FLAP_SPAN_MINUTES", 60.0),
        false_alert_max_minutes=read.number("ONCALL_FALSE_ALERT_MAX_MINUTES", 5.0),
        false_alert_min_count=int(read.number("ONCALL_FALSE_ALERT_MIN_COUNT", 3, int)),
    )


def _model(read: _Reader) -> ModelSettings | None:
    """OPENAI_API_KEY (required), OPENAI_BASE_URL, ONCALL_CHAT_MODEL, ...; None without a key."""
    key = read.text("OPENAI_API_KEY")
    if not key:
        return None
    try:
        table = json.loads(read.text("ONCALL_PRICE_TABLE") or "{}")
        prices = tuple((m, float(p[0]), float(p[1])) for m, p in table.items())
        seed = read.text("ONCALL_SEED")
        return ModelSettings(
            api_key=key,
            base_url=_url(read.text("OPENAI_BASE_URL")),
            model=read.text("ONCALL_CHAT_MODEL") or "gpt-4o-mini",
            timeout=float(read.text("ONCALL_MODEL_TIMEOUT") or 60),
            temperature=float(read.text("ONCALL_TEMPERATURE") or 0.0),
            seed=int(seed) if seed else 7,
            context_tokens=int(read.text("ONCALL_MODEL_CONTEXT_TOKENS") or 16000),
            prices=prices,
        )
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ConfigError(f"model configuration is invalid: {exc}") from None


def _knowledge(read: _Reader, data_dir: Path) -> KnowledgeSettings:
    embedder = (read.text("ONCALL_EMBEDDER") or "local").lower()
    if embedder not in ("local", "e5", "openai"):
        raise ConfigError(f"ONCALL_EMBEDDER={embedder!r}: use 'local', 'e5' or 'openai'")
    index_dir = read.text("ONCALL_INDEX_DIR")
    return KnowledgeSettings(
        index_dir=Path(index_dir).expanduser() if index_dir else data_dir / "kb",
        runbook_dirs=read.paths("ONCALL_RUNBOOK_DIRS"),
        internal_runbook_dirs=read.paths("ONCALL_INTERNAL_RUNBOOK_DIRS"),
        embedder=embedder,
        embedding_model=read.text("ONCALL_EMBEDDING_MODEL") or "text-embedding-3-small",
        api_key=read.text("OPENAI_API_KEY"),
        base_url=_url(read.text("OPENAI_BASE_URL")),
        send_internal=_bool_or_path(read.raw("ONCALL_EMBED_INTERNAL_RUNBOOKS") or False) is True,
    )


def load_settings(env: Mapping[str, str] | None = None, secrets_path: Path | None = None) -> Settings:
    """Every setting, validated; a bad value raises ConfigError naming its key.

    A model configured with unusable values does not stop the dashboard: it is recorded in
    `model_problem` and the assistant answers offline.
    """
    read = _Reader(os.environ if env is None else env, read_secrets(secrets_path or DEFAULT_SECRETS))
    data_dir = Path(read.text("ONCALL_DATA_DIR") or STATE_DIR).expanduser()
    try:
        model, model_problem = _model(read), None
    except ConfigError as exc:
        model, model_problem = None, str(exc)
    level = (read.text("ONCALL_LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"ONCALL_LOG_LEVEL={level!r}: use DEBUG, INFO, WARNING or ERROR")
    return Settings(
        sources=_sources(read),
        alerts=_alerts(read),
        model=model,
        model_problem=model_problem,
        knowledge=_knowledge(read, data_dir),
        storage=StorageSettings(
            data_dir,
            read.text("ONCALL_DB_URL") or f"sqlite:///{data_dir / 'oncall.db'}",
            int(read.number("ONCALL_RETENTION_DAYS", 90, int)),
            _report_worker(read.text("ONCALL_REPORT_WORKER")),
        ),
        integrations=IntegrationSettings(
            read.text("SLACK_WEBHOOK_URL"),
            read.text("ONCALL_CHROMIUM"),
            int(read.number("ONCALL_SILENCE_MAX_MINUTES", 240, int)),
            int(read.number("ONCALL_SILENCE_MAX_ALERTS", 10, int)),
        ),
        triage=TriageSettings(read.paths("ONCALL_LOG_DIRS"), int(read.number("ONCALL_LOG_MAX_MB", 20) * 1_000_000)),
        access=_access(read),
        log_level=level,
    )


def _recording_rules(value: str | None) -> bool:
    """ONCALL_RECORDING_RULES: auto (the default: use them where they exist) or off."""
    if (value or "auto").lower() not in ("auto", "off"):
        raise ConfigError(f"ONCALL_RECORDING_RULES={value!r}: use auto or off")
    return (value or "auto").lower() == "auto"


def _report_worker(value: str | None) -> bool:
    """ONCALL_REPORT_WORKER: in-process (the default) or external; True for external."""
    if (value or "in-process").lower() not in ("in-process", "external"):
        raise ConfigError(f"ONCALL_REPORT_WORKER={value!r}: use in-process or external")
    return (value or "").lower() == "external"


def _access(read: _Reader) -> AccessSettings:
    """ONCALL_ROLE_ADMINS / _RESPONDERS / _VIEWERS: comma-separated group names or emails."""

    def members(key: str) -> frozenset[str]:
        return frozenset(part.strip().lower() for part in (read.text(key) or "").split(",") if part.strip())

    return AccessSettings(
        sign_in=isinstance(read.secrets.get("auth"), dict),
        role_claim=read.text("ONCALL_ROLE_CLAIM") or "groups",
        admins=members("ONCALL_ROLE_ADMINS"),
        responders=members("ONCALL_ROLE_RESPONDERS"),
        viewers=members("ONCALL_ROLE_VIEWERS"),
        allow_anonymous_actions=_bool_or_path(read.raw("ONCALL_ALLOW_ANONYMOUS_ACTIONS") or False) is True,
    )
