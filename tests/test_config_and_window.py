"""Configuration sources and time-window rules."""

from datetime import datetime, timedelta, timezone

import pytest

from services.config import ConfigError, load_settings
from services.timewindow import Window, WindowError, auto_step, parse_duration, parse_time, window_from_args

UTC = timezone.utc


def test_no_prometheus_url_means_the_demo(tmp_path):
    settings = load_settings({}, tmp_path / "none.toml")
    assert settings.prometheus_url is None and settings.source_name == "demo"


def test_environment_wins_over_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('PROMETHEUS_URL = "http://from-file:9090/"\nONCALL_CLUSTER_LABEL = "kube_cluster"\n'
                       'PROMETHEUS_VERIFY_TLS = false\n')
    settings = load_settings({"PROMETHEUS_URL": "http://from-env:9090"}, secrets)
    assert settings.prometheus_url == "http://from-env:9090"
    assert settings.cluster_label == "kube_cluster"
    assert settings.verify_tls is False
    assert load_settings({}, secrets).prometheus_url == "http://from-file:9090"


def test_a_ca_bundle_path_is_kept(tmp_path):
    assert load_settings({"PROMETHEUS_VERIFY_TLS": "/etc/ssl/ca.pem"}, tmp_path / "x").verify_tls == "/etc/ssl/ca.pem"


def test_the_password_never_shows_in_a_repr(tmp_path):
    settings = load_settings({"PROMETHEUS_BASIC_AUTH_PASSWORD": "hunter2"}, tmp_path / "x")
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize("env, message", [
    ({"ONCALL_STEP_SECONDS": "-5"}, "ONCALL_STEP_SECONDS='-5' is not a positive number"),
    ({"ONCALL_TIMEOUT_SECONDS": "fast"}, "ONCALL_TIMEOUT_SECONDS='fast'"),
])
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
