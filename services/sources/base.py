"""The metric source interface shared by the demo and Prometheus implementations.

Every method returns a pandas DataFrame with the columns documented in `COLUMNS`, times as
tz-aware UTC timestamps, latencies in milliseconds and ratios in [0, 1]. An empty frame with
those columns means "no data in this window"; a `SourceError` means the source failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import pandas as pd

from services.i18n import Message
from services.timewindow import Window

Grouping = Literal["service", "edge"]
# Istio writes every request twice: as the caller's sidecar saw it ("source", including the 503s
# that sidecar made itself: UO, UF, URX, UH, NR...) and as the server's did ("destination").
# Never add the two; the service-level charts read the destination view.
Reporter = Literal["destination", "source"]
REPORTERS: tuple[Reporter, ...] = ("destination", "source")
QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.99)

SERVICE_KEYS = ["cluster", "namespace", "service"]
EDGE_KEYS = SERVICE_KEYS + ["source_workload", "source_namespace"]
QUANTILE_COLUMNS = ["p50", "p90", "p99"]
P99: tuple[float, ...] = (0.99,)  # what the Mesh page draws: p50 and p90 are 61% of Prometheus' work, unseen
PEAK_COLUMNS = ["peak_slow_ratio", "peak_ratio_5xx"]
TRAFFIC_COLUMNS = ["rps", "ratio_5xx", "ratio_4xx", "ratio_grpc_error"]
FLAG_COLUMNS = EDGE_KEYS + ["response_code", "response_flags", "requests"]
INTERVAL_COLUMNS = [
    "alertname",
    "labels",
    "labels_key",
    "severity",
    "cluster",
    "namespace",
    "service",
    "state",
    "start",
    "end",
    "ongoing",
    "since",
]


def keys_for(by: Grouping) -> list[str]:
    return SERVICE_KEYS if by == "service" else EDGE_KEYS


def quantile_columns(quantiles: tuple[float, ...]) -> list[str]:
    """The frame columns of `quantiles`: 0.99 -> p99."""
    return [f"p{q * 100:g}" for q in quantiles]


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


class SourceError(RuntimeError):
    """A query could not be answered; the message names the source and the cause."""


@dataclass(frozen=True)
class Filters:
    clusters: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # destination service names (an investigation's neighbourhood)


@dataclass(frozen=True)
class SourceStatus:
    name: str
    ok: bool
    detail: str  # in English (an error's text as it came)
    message: Message | None = None  # the detail for the UI, in the reader's language, when the code wrote it


class MetricSource(Protocol):
    name: str

    def status(self) -> SourceStatus:
        """Whether the source answers, with a one-line detail for the sidebar."""

    def label_values(self, label: Literal["cluster", "namespace", "service"]) -> list[str]:
        """Clusters, namespaces or service names of the mesh, sorted."""

    def mesh_reporters(self) -> list[Reporter]:
        """The reporters the mesh's request metrics carry (both, as Istio writes them, or one)."""

    def latency_series(
        self,
        window: Window,
        step: int,
        filters: Filters,
        by: Grouping,
        reporter: Reporter = "destination",
        quantiles: tuple[float, ...] = QUANTILES,
    ) -> pd.DataFrame:
        """Columns: time, keys_for(by), the quantiles' columns (p50, p90, p99 by default; ms)."""

    def traffic_series(
        self, window: Window, step: int, filters: Filters, by: Grouping, reporter: Reporter = "destination"
    ) -> pd.DataFrame:
        """Columns: time, keys_for(by), rps, ratio_5xx, ratio_4xx, ratio_grpc_error."""

    def latency_summary(
        self,
        window: Window,
        filters: Filters,
        by: Grouping,
        reporter: Reporter = "destination",
        quantiles: tuple[float, ...] = QUANTILES,
    ) -> pd.DataFrame:
        """One row per group: keys_for(by), the quantiles' columns over the whole window."""

    def peak_summary(
        self, window: Window, step: int, filters: Filters, by: Grouping, slow_ms: float, reporter: Reporter = "destination"
    ) -> pd.DataFrame:
        """One row per group with traffic: keys_for(by), peak_slow_ratio (the largest share of
        requests slower than `slow_ms`, a histogram bucket bound) and peak_ratio_5xx, each over
        every `step` of the window (rates over the step's rate range).

        Two counter queries instead of a quantile over every bucket of every series: it finds the
        groups that may have an incident, whose curves are then read (services.overview)."""

    def traffic_summary(self, window: Window, filters: Filters, by: Grouping, reporter: Reporter = "destination") -> pd.DataFrame:
        """One row per group: keys_for(by), requests, rps, ratio_5xx, ratio_4xx, ratio_grpc_error."""

    def flag_summary(self, window: Window, filters: Filters, reporter: Reporter) -> pd.DataFrame:
        """FLAG_COLUMNS: requests per edge, response code and Envoy response flags over the window."""

    def alert_intervals(self, window: Window, filters: Filters) -> pd.DataFrame:
        """Columns INTERVAL_COLUMNS: one row per continuous active period, clipped to the window.

        `end` is NaT and `ongoing` True when the alert is still active at the window's end;
        `since` is when it became active, even if that was before the window.
        """


def rate_range(rate_window_seconds: int, step: int) -> int:
    """The range of rate(): the configured window, widened to the step so no sample is skipped."""
    return max(rate_window_seconds, step)
