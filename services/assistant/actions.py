"""What a question asks about: the router's actions."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    SUMMARY = "summary"
    ALERTS = "alerts"
    LATENCY = "istio_p99_latency"
    ERRORS = "istio_http_errors"
    UNKNOWN = "unknown"


# Which dashboard page shows an action's answer.
PAGE_FOR_ACTION = {Action.ALERTS: "alerts", Action.LATENCY: "mesh", Action.ERRORS: "mesh", Action.SUMMARY: "overview"}
