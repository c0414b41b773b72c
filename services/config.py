"""Settings from environment variables and `.streamlit/secrets.toml`.

Environment variables win over the secrets file, so a deployment can override a checked-in
default. With no `PROMETHEUS_URL` anywhere the dashboard runs on the bundled demo scenario.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_SECRETS = Path(".streamlit") / "secrets.toml"


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    # Sent as the Authorization header, e.g. "Bearer <token>".
    auth_header: str | None = None
    basic_auth_user: str | None = None
    basic_auth_password: str | None = field(default=None, repr=False)
    # True, False, or a path to a CA bundle.
    verify_tls: bool | str = True
    cluster_label: str = "cluster"
    # Query resolution in seconds; None picks one from the window length.
    step_seconds: int | None = None
    rate_window: str = "5m"
    timeout_seconds: float = 10.0
    flap_min_transitions: int = 6
    false_alert_max_minutes: float = 5.0
    false_alert_min_count: int = 3
    # Freezes the demo scenario's clock (ISO time) for reproducible runs; unset = now.
    demo_now: str | None = None

    @property
    def source_name(self) -> str:
        return self.prometheus_url or "demo"

    def with_prometheus(self, url: str | None) -> "Settings":
        return replace(self, prometheus_url=url.rstrip("/") if url else self.prometheus_url)


# setting name -> (environment variable, secrets.toml key)
_KEYS = {
    "prometheus_url": "PROMETHEUS_URL",
    "alertmanager_url": "ALERTMANAGER_URL",
    "auth_header": "PROMETHEUS_AUTH_HEADER",
    "basic_auth_user": "PROMETHEUS_BASIC_AUTH_USER",
    "basic_auth_password": "PROMETHEUS_BASIC_AUTH_PASSWORD",
    "verify_tls": "PROMETHEUS_VERIFY_TLS",
    "cluster_label": "ONCALL_CLUSTER_LABEL",
    "step_seconds": "ONCALL_STEP_SECONDS",
    "rate_window": "ONCALL_RATE_WINDOW",
    "timeout_seconds": "ONCALL_TIMEOUT_SECONDS",
    "flap_min_transitions": "ONCALL_FLAP_MIN_TRANSITIONS",
    "false_alert_max_minutes": "ONCALL_FALSE_ALERT_MAX_MINUTES",
    "false_alert_min_count": "ONCALL_FALSE_ALERT_MIN_COUNT",
    "demo_now": "ONCALL_DEMO_NOW",
}


def read_secrets(path: Path) -> dict[str, object]:
    """Flat keys of a Streamlit secrets file; a missing file is no secrets."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def _parse_bool_or_path(raw: str) -> bool | str:
    low = raw.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    return raw.strip()  # a CA bundle path


def load_settings(
    env: Mapping[str, str] | None = None, secrets_path: Path | None = None
) -> Settings:
    env = os.environ if env is None else env
    secrets = read_secrets(secrets_path or DEFAULT_SECRETS)
    values: dict[str, object] = {}
    for attr, key in _KEYS.items():
        raw = env.get(key)
        if raw is None or raw == "":
            raw = secrets.get(key)
        if raw is None or raw == "":
            continue
        values[attr] = _convert(attr, key, raw)
    for url_attr in ("prometheus_url", "alertmanager_url"):
        if url_attr in values:
            values[url_attr] = str(values[url_attr]).rstrip("/")
    return Settings(**values)


def _convert(attr: str, key: str, raw: object) -> object:
    default = getattr(Settings(), attr)
    try:
        if attr == "verify_tls":
            return raw if isinstance(raw, bool) else _parse_bool_or_path(str(raw))
        if attr == "step_seconds" or isinstance(default, int) and not isinstance(default, bool):
            value = int(raw)  # type: ignore[arg-type]
            if value <= 0:
                raise ValueError
            return value
        if isinstance(default, float):
            value = float(raw)  # type: ignore[arg-type]
            if value <= 0:
                raise ValueError
            return value
    except (TypeError, ValueError):
        raise ConfigError(f"{key}={raw!r} is not a positive number") from None
    return str(raw)
