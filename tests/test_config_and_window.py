"""Configuration sources and time-window rules."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.config import ConfigError, load_settings
from services.timewindow import Window, WindowError, auto_step, parse_duration, parse_time, window_from_args

UTC = UTC


def test_no_prometheus_url_means_the_demo(tmp_path):
    settings = load_settings({}, tmp_path / "none.toml")
    assert settings.sources.prometheus_url is None and settings.sources.source_name == "demo"


def test_environment_wins_over_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        'PROMETHEUS_URL = "http://from-file:9090/"\nONCALL_CLUSTER_LABEL = "kube_cluster"\nPROMETHEUS_VERIFY_TLS = false\n'
    )
    settings = load_settings({"PROMETHEUS_URL": "http://from-env:9090"}, secrets)
    assert settings.sources.prometheus_url == "http://from-env:9090"
    assert settings.sources.cluster_label == "kube_cluster"
    assert settings.sources.verify_tls is False
    assert load_settings({}, secrets).sources.prometheus_url == "http://from-file:9090"


def test_every_key_is_read_from_the_secrets_file_too(tmp_path):
    """Model, Slack, storage, index, embedder and Chromium keys used to ignore secrets.toml."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        'OPENAI_API_KEY = "sk-from-file"\nOPENAI_BASE_URL = "http://llm.internal/v1/"\nONCALL_CHAT_MODEL = "small"\n'
        'SLACK_WEBHOOK_URL = "https://hooks.example/T/B/X"\nONCALL_DB_URL = "sqlite:////srv/oncall/db.sqlite"\n'
        'ONCALL_INDEX_DIR = "/srv/oncall/kb"\nONCALL_EMBEDDER = "openai"\nONCALL_CHROMIUM = "/opt/chromium/chrome"\n'
        'ONCALL_DATA_DIR = "/srv/oncall"\nONCALL_LOG_LEVEL = "debug"\n'
    )
    settings = load_settings({}, secrets)
    assert settings.model is not None and settings.model.api_key == "sk-from-file" and settings.model.model == "small"
    assert settings.model.base_url == "http://llm.internal/v1"
    assert settings.integrations.slack_webhook_url == "https://hooks.example/T/B/X"
    assert settings.integrations.chromium == "/opt/chromium/chrome"
    assert settings.storage.db_url == "sqlite:////srv/oncall/db.sqlite"
    assert settings.knowledge.index_dir == Path("/srv/oncall/kb") and settings.knowledge.embedder == "openai"
    assert settings.knowledge.api_key == "sk-from-file" and settings.log_level == "DEBUG"
    # the environment still wins, and the data directory is the default home of the rest
    moved = load_settings({"ONCALL_DATA_DIR": "/data", "ONCALL_DB_URL": "", "ONCALL_INDEX_DIR": ""}, tmp_path / "none.toml")
    assert moved.storage.db_url == "sqlite:////data/oncall.db" and moved.knowledge.index_dir == Path("/data/kb")


def test_an_unusable_model_is_reported_not_fatal(tmp_path):
    settings = load_settings(
        {"OPENAI_API_KEY": "sk-x", "ONCALL_TEMPERATURE": "warm", "PROMETHEUS_URL": "http://p:9090"}, tmp_path / "none.toml"
    )
    assert settings.model is None and (settings.model_problem or "").startswith("model configuration is invalid")
    assert settings.sources.prometheus_url == "http://p:9090"  # the rest of the configuration still applies
    with pytest.raises(ConfigError, match="model configuration is invalid"):
        settings.require_model()


def test_a_ca_bundle_path_is_kept(tmp_path):
    assert load_settings({"PROMETHEUS_VERIFY_TLS": "/etc/ssl/ca.pem"}, tmp_path / "x").sources.verify_tls == "/etc/ssl/ca.pem"


def test_the_password_never_shows_in_a_repr(tmp_path):
    settings = load_settings({"PROMETHEUS_BASIC_AUTH_PASSWORD": "hunter2"}, tmp_path / "x")
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"ONCALL_STEP_SECONDS": "-5"}, "ONCALL_STEP_SECONDS='-5' is not a positive number"),
        ({"ONCALL_TIMEOUT_SECONDS": "fast"}, "ONCALL_TIMEOUT_SECONDS='fast'"),
    ],
)
def test_bad_numbers_are_named(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(env, tmp_path / "x")


def test_broken_secrets_file_is_named(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("PROMETHEUS_URL = \n")
    with pytest.raises(ConfigError, match="secrets.toml: not valid TOML"):
        load_settings({}, secrets)


def test_window_rules():
    end = datetime(2026, 11, 3, 9, 0, 30, tzinfo=UTC)
    with pytest.raises(WindowError, match="is not before its end"):
        Window(end, end)
    with pytest.raises(WindowError, match="has no time zone"):
        Window(datetime(2026, 11, 3), end)
    assert Window(end - timedelta(hours=1), end).aligned().end == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert window_from_args(None, None, now=end) == Window(end - timedelta(hours=1), end)
    assert parse_time("2026-11-03T08:00:00+09:00") == datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
    assert parse_time("2026-11-03T08:00:00Z") == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def test_steps_and_durations():
    end = datetime(2026, 11, 3, tzinfo=UTC)
    assert auto_step(Window(end - timedelta(hours=1), end)) == 60
    assert auto_step(Window(end - timedelta(hours=24), end)) == 600
    assert auto_step(Window(end - timedelta(days=30), end), override=60) == 236  # capped at 11000 points
    assert parse_duration("5m") == 300 and parse_duration("1h30m") == 5400
    with pytest.raises(WindowError):
        parse_duration("5 minutes")
