"""Which metric source the settings name, and the clock it runs on."""

from __future__ import annotations

from datetime import datetime

from services.config import SourceSettings
from services.sources.base import MetricSource
from services.sources.demo import DemoSource
from services.sources.prometheus import PrometheusSource
from services.timewindow import parse_time, utcnow


def make_source(settings: SourceSettings) -> MetricSource:
    """Prometheus when PROMETHEUS_URL is set, otherwise the bundled demo."""
    return PrometheusSource(settings) if settings.prometheus_url else DemoSource(settings)


def now_for(settings: SourceSettings) -> datetime:
    """The dashboard's "now": real time, or the frozen demo clock (ONCALL_DEMO_NOW) on the demo."""
    if settings.demo_now and not settings.prometheus_url:
        return parse_time(settings.demo_now)
    return utcnow()
