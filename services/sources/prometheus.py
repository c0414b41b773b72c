"""The Prometheus source: Istio standard metrics and the ALERTS series through PromQL."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from services.config import SourceSettings
from services.i18n import Message
from services.sources.base import (
    FLAG_COLUMNS,
    PEAK_COLUMNS,
    QUANTILES,
    REPORTERS,
    Filters,
    Grouping,
    Reporter,
    SourceError,
    SourceStatus,
    empty_frame,
    keys_for,
    quantile_columns,
    rate_range,
)
from services.sources.frames import interval_frame, interval_row, traffic_frame
from services.sources.histogram import quantile_vectors
from services.sources.http import BoundedClient
from services.sources.incremental import Combine, Expression, IncrementalReads
from services.sources.reads import run_all
from services.timewindow import Window, parse_duration

REQUESTS = "istio_requests_total"
DURATION_BUCKET = "istio_request_duration_milliseconds_bucket"
# Istio's recommended workload-level recording rules ("Observability best practices"): the same
# series summed without instance and pod labels. Far fewer series to read on a large mesh.
RECORDED = {REQUESTS: "workload:istio_requests_total", DURATION_BUCKET: "workload:istio_request_duration_milliseconds_bucket"}
NAMESPACE_LABEL = "destination_service_namespace"
SERVICE_LABEL = "destination_service_name"


def promql_string(value: str) -> str:
    """A PromQL string literal (Go escapes, which JSON's are a subset of)."""
    return json.dumps(value)


def regex_matcher(label: str, values: tuple[str, ...]) -> str:
    return f"{label}=~{promql_string('|'.join(re.escape(v) for v in values))}"


def _values(series: dict) -> np.ndarray:
    raw = series["values"] if "values" in series else [series["value"]]
    try:
        return np.asarray(raw, dtype=float).reshape(-1, 2)
    except (ValueError, TypeError):
        raise SourceError("Prometheus answered samples that are not [time, value] pairs") from None


def _peak(expression: str, step: int, over: str) -> str:
    """The highest value of `expression` at the multiples of `step` within `over`."""
    return f"max_over_time(({expression})[{over}:{step}s])"


def _is_series(series: object) -> bool:
    return (
        isinstance(series, dict)
        and isinstance(series.get("metric"), dict)
        and isinstance(series.get("values", series.get("value")), list)
    )


class PrometheusSource:
    def __init__(self, settings: SourceSettings):
        if not settings.prometheus_url:
            raise SourceError("PROMETHEUS_URL is not set")
        self.settings = settings
        self.name = settings.source_name
        self.url = settings.prometheus_url
        self.rate_window = parse_duration(settings.rate_window)
        self.http = BoundedClient("Prometheus", "the Prometheus HTTP API", self.url, settings)
        self.cluster_label = settings.cluster_label
        self._recorded: dict[tuple[str, int], bool] = {}  # (metric, hour) -> recorded series exist then
        self._recorded_lock = threading.Lock()
        self.incremental = IncrementalReads(self._fetch_range, self.query)
        self.renames = {
            settings.cluster_label: "cluster",
            NAMESPACE_LABEL: "namespace",
            SERVICE_LABEL: "service",
            "source_workload_namespace": "source_namespace",
        }

    # --- plumbing -----------------------------------------------------------------------------

    def _api(self, path: str, params: dict[str, Any]) -> Any:
        """The `data` of a Prometheus API answer; its error, or a wrong shape, as a SourceError."""
        status, body = self.http.request("GET", path, params)
        if not isinstance(body, dict) or "status" not in body:
            raise self.http.fail("did not answer with the Prometheus HTTP API (is this the right URL?)")
        if body["status"] != "success":
            raise self.http.fail(f"answered HTTP {status}: {str(body.get('error') or body.get('errorType') or '?')[:300]}")
        return body.get("data")

    def _result(self, data: Any) -> list[dict]:
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, list) or not all(_is_series(s) for s in result):
            raise self.http.fail("did not answer with the Prometheus HTTP API (unexpected result shape)")
        return result

    def query(self, promql: str, at: datetime) -> list[dict]:
        params = {"query": promql, "time": int(at.timestamp()), "timeout": f"{self.settings.timeout_seconds:g}s"}
        return self._result(self._api("/api/v1/query", params))

    def query_range(self, promql: str, window: Window, step: int) -> list[dict]:
        """`promql` at the multiples of `step` inside the window; a live window's settled points
        are kept and only the newer ones fetched (services.sources.incremental)."""
        return self.incremental.range(promql, window, step)

    def query_total(self, expression: Expression, window: Window, combine: Combine) -> list[dict]:
        """`expression` of the window's length, at its end; a live window's whole hours are kept
        (services.sources.incremental)."""
        return self.incremental.total(expression, window, combine)

    def _fetch_range(self, promql: str, first: int, last: int, step: int) -> list[dict]:
        params = {
            "query": promql,
            "start": first,
            "end": last,
            "step": step,
            "timeout": f"{self.settings.timeout_seconds:g}s",
        }
        return self._result(self._api("/api/v1/query_range", params))

    def _metric(self, raw: str, window: Window) -> str:
        """The recorded workload:* series for `raw` when they exist at the window's start and end
        (a rule added last week does not hold last month), else `raw`. Checked once per hour."""
        if not self.settings.recording_rules:
            return raw
        recorded = RECORDED[raw]
        hours = {int(t.timestamp()) // 3600 for t in (window.start, window.end)}
        for hour in hours:
            with self._recorded_lock:
                known = self._recorded.get((recorded, hour))
            if known is None:
                at = window.start if hour == int(window.start.timestamp()) // 3600 else window.end
                known = bool(self.query(f"count({recorded})", at))
                with self._recorded_lock:
                    self._recorded[(recorded, hour)] = known
            if not known:
                return raw
        return recorded

    def _label_values(self, label: str, match: list[str]) -> list[str]:
        values = self._api(f"/api/v1/label/{label}/values", {"match[]": match})
        if not isinstance(values, list):
            raise self.http.fail("did not answer with the Prometheus HTTP API (label values)")
        return [str(v) for v in values]

    def _selector(self, filters: Filters, extra: str = "", reporter: Reporter = "destination") -> str:
        parts = [f"reporter={promql_string(reporter)}"]
        if filters.clusters:
            parts.append(regex_matcher(self.cluster_label, filters.clusters))
        if filters.namespaces:
            parts.append(regex_matcher(NAMESPACE_LABEL, filters.namespaces))
        if filters.services:
            parts.append(regex_matcher(SERVICE_LABEL, filters.services))
        if extra:
            parts.append(extra)
        return "{" + ", ".join(parts) + "}"

    def _by(self, by: Grouping, *extra: str) -> str:
        inverse = {v: k for k, v in self.renames.items()}
        labels = [inverse.get(k, k) for k in keys_for(by)] + list(extra)
        return ", ".join(labels)

    def _frame(self, result: list[dict], columns: list[str], value: str = "value", with_time: bool = True) -> pd.DataFrame:
        """Query answer -> one long frame: the renamed labels in `columns`, time and value.

        Built column by column over all series at once: a frame per series costs more than the
        query itself on large meshes.
        """
        out_cols = (["time"] if with_time else []) + columns + [value]
        if not result:
            return empty_frame(out_cols)
        arrays = [_values(series) for series in result]
        lengths = [len(a) for a in arrays]
        stacked = np.concatenate(arrays)
        data: dict[str, object] = {}
        if with_time:
            data["time"] = pd.to_datetime(stacked[:, 0], unit="s", utc=True)
        inverse = {v: k for k, v in self.renames.items()}
        for col in columns:
            label = inverse.get(col, col)
            data[col] = np.repeat([series["metric"].get(label, "") for series in result], lengths)
        data[value] = stacked[:, 1]
        return pd.DataFrame(data, columns=out_cols)

    # --- the source interface -----------------------------------------------------------------

    def status(self) -> SourceStatus:
        try:
            info = self._api("/api/v1/status/buildinfo", {})
        except SourceError as exc:
            return SourceStatus(self.name, False, str(exc))
        version = info.get("version", "?") if isinstance(info, dict) else "?"
        said = Message.of("source.answered", product="Prometheus", version=version)
        return SourceStatus(self.name, True, str(said), said)

    def label_values(self, label: str) -> list[str]:
        match = f'{REQUESTS}{{reporter="destination"}}'
        if label == "cluster":
            values = set(self._label_values(self.cluster_label, [match, "ALERTS"]))
        elif label == "service":
            values = set(self._label_values(SERVICE_LABEL, [match]))
        else:
            values = set(self._label_values(NAMESPACE_LABEL, [match])) | set(self._label_values("namespace", ["ALERTS"]))
        return sorted(v for v in values if v)

    def mesh_reporters(self) -> list[Reporter]:
        found = set(self._label_values("reporter", [REQUESTS]))
        return [r for r in REPORTERS if r in found]

    def latency_series(
        self,
        window: Window,
        step: int,
        filters: Filters,
        by: Grouping,
        reporter: Reporter = "destination",
        quantiles: tuple[float, ...] = QUANTILES,
    ) -> pd.DataFrame:
        w = window.aligned()
        rng, buckets = rate_range(self.rate_window, step), self._metric(DURATION_BUCKET, w)
        inner = f"sum by (le, {self._by(by)}) (rate({buckets}{self._selector(filters, reporter=reporter)}[{rng}s]))"
        results = run_all([partial(self.query_range, f"histogram_quantile({q}, {inner})", w, step) for q in quantiles])
        return self._quantile_frame(results, by, quantile_columns(quantiles), with_time=True)

    def latency_summary(
        self,
        window: Window,
        filters: Filters,
        by: Grouping,
        reporter: Reporter = "destination",
        quantiles: tuple[float, ...] = QUANTILES,
    ) -> pd.DataFrame:
        """Quantiles over the window, computed from its bucket counts (one read for all of them,
        and counts add up over a live window's parts)."""
        w = window.aligned()
        selector = self._selector(filters, reporter=reporter)
        by_keys, buckets = self._by(by), self._metric(DURATION_BUCKET, w)
        total = self.query_total(lambda r: f"sum by (le, {by_keys}) (increase({buckets}{selector}[{r}]))", w, "sum")
        results = quantile_vectors(total, quantiles)
        return self._quantile_frame(results, by, quantile_columns(quantiles), with_time=False)

    def _quantile_frame(self, results: list[list[dict]], by: Grouping, columns: list[str], with_time: bool) -> pd.DataFrame:
        keys = (["time"] if with_time else []) + keys_for(by)
        frames = [self._frame(result, keys_for(by), col, with_time) for col, result in zip(columns, results, strict=True)]
        merged = frames[0]
        for frame in frames[1:]:
            merged = merged.merge(frame, on=keys, how="outer")
        merged = merged.dropna(subset=columns, how="all")
        return merged[keys + columns].sort_values(keys, ignore_index=True)

    def peak_summary(
        self, window: Window, step: int, filters: Filters, by: Grouping, slow_ms: float, reporter: Reporter = "destination"
    ) -> pd.DataFrame:
        w = window.aligned()
        rng, by_keys = rate_range(self.rate_window, step), self._by(by)

        def rate_of(metric: str, extra: str = "") -> str:
            return f"sum by ({by_keys}) (rate({metric}{self._selector(filters, extra, reporter)}[{rng}s]))"

        bound = f"{slow_ms:g}"  # Istio writes le="250"; other exporters "250.0"
        under = "le=~" + promql_string(f"{bound}|{re.escape(bound + '.0')}")
        buckets, requests = self._metric(DURATION_BUCKET, w), self._metric(REQUESTS, w)
        slow = f"1 - {rate_of(buckets, under)} / {rate_of(buckets, 'le=' + promql_string('+Inf'))}"
        errors = f"{rate_of(requests, 'response_code=~' + promql_string('5..'))} / {rate_of(requests)}"
        peaks = [partial(self.query_total, partial(_peak, q, step), w, "max") for q in (slow, errors)]
        slow_peaks, error_peaks = run_all(peaks)
        keys = keys_for(by)
        merged = self._frame(slow_peaks, keys, PEAK_COLUMNS[0], with_time=False).merge(
            self._frame(error_peaks, keys, PEAK_COLUMNS[1], with_time=False), on=keys, how="outer"
        )
        return merged[keys + PEAK_COLUMNS].sort_values(keys, ignore_index=True)

    def _traffic(
        self,
        read: Callable[[Expression], list[dict]],
        counter: Callable[[str, str], str],
        filters: Filters,
        by: Grouping,
        with_time: bool,
        reporter: Reporter = "destination",
    ):
        """Requests by response code and by gRPC status; `counter(selector, range)` is the
        per-series expression (rate or increase) and `read` runs a query of the range."""
        selector, grpc_selector = (self._selector(filters, extra, reporter) for extra in ("", 'request_protocol="grpc"'))
        codes_by, grpc_by = self._by(by, "response_code"), self._by(by, "grpc_response_status")
        codes, grpc = run_all(
            [
                lambda: read(lambda r: f"sum by ({codes_by}) ({counter(selector, r)})"),
                lambda: read(lambda r: f"sum by ({grpc_by}) ({counter(grpc_selector, r)})"),
            ]
        )
        return (
            self._frame(codes, keys_for(by) + ["response_code"], with_time=with_time),
            self._frame(grpc, keys_for(by) + ["grpc_response_status"], with_time=with_time),
        )

    def traffic_series(
        self, window: Window, step: int, filters: Filters, by: Grouping, reporter: Reporter = "destination"
    ) -> pd.DataFrame:
        w = window.aligned()
        rng, requests = f"{rate_range(self.rate_window, step)}s", self._metric(REQUESTS, w)
        codes, grpc = self._traffic(
            lambda q: self.query_range(q(rng), w, step),
            lambda selector, r: f"rate({requests}{selector}[{r}])",
            filters,
            by,
            True,
            reporter,
        )
        keys = ["time"] + keys_for(by)
        return traffic_frame(codes, grpc, keys, None).sort_values(keys, ignore_index=True)

    def traffic_summary(self, window: Window, filters: Filters, by: Grouping, reporter: Reporter = "destination") -> pd.DataFrame:
        w = window.aligned()
        requests = self._metric(REQUESTS, w)
        codes, grpc = self._traffic(
            lambda q: self.query_total(q, w, "sum"),
            lambda selector, r: f"increase({requests}{selector}[{r}])",
            filters,
            by,
            False,
            reporter,
        )
        return traffic_frame(codes, grpc, keys_for(by), float(w.seconds))

    def flag_summary(self, window: Window, filters: Filters, reporter: Reporter) -> pd.DataFrame:
        w = window.aligned()
        by, requests, selector = (
            self._by("edge", "response_code", "response_flags"),
            self._metric(REQUESTS, w),
            self._selector(filters, reporter=reporter),
        )
        total = self.query_total(lambda r: f"sum by ({by}) (increase({requests}{selector}[{r}]))", w, "sum")
        frame = self._frame(total, FLAG_COLUMNS[:-1], "requests", with_time=False)
        return frame[frame["requests"] > 0].reset_index(drop=True) if not frame.empty else empty_frame(FLAG_COLUMNS)

    def alert_intervals(self, window: Window, filters: Filters) -> pd.DataFrame:
        """Intervals from the raw ALERTS samples (a range selector), not from an evaluated range query.

        Without staleness markers (backfilled, federated, remote-read and some long-term stores)
        a range query keeps an ended alert alive for the 5-minute look-back, so a 1-minute firing
        would read as 6. Raw samples are written once per rule evaluation: a gap of more than 1.5
        evaluation intervals (the median gap of the series) ends an interval.
        """
        w = window.aligned()
        matchers = []
        if filters.clusters:
            matchers.append(regex_matcher(self.cluster_label, filters.clusters))
        if filters.namespaces:
            matchers.append(regex_matcher("namespace", filters.namespaces))
        firing = ", ".join(['alertstate="firing"'] + matchers)
        result = self.query(f"ALERTS{{{firing}}}[{w.seconds}s]", w.end)
        end_ts, start_ts = w.end.timestamp(), w.start.timestamp()
        rows, needs_since = [], []
        for series in result:
            labels = series["metric"]
            ts = _values(series)[:, 0]
            ts = ts[(ts > start_ts - 1) & (ts <= end_ts)]
            if not len(ts):
                continue
            gaps = np.diff(ts)
            every = float(np.median(gaps)) if len(gaps) else 60.0
            every = min(max(every, 1.0), 300.0)
            breaks = np.flatnonzero(gaps > 1.5 * every) + 1
            for run in np.split(ts, breaks):
                start = datetime.fromtimestamp(max(run[0], start_ts), tz=UTC)
                ongoing = run[-1] >= end_ts - 1.5 * every
                end = None if ongoing else datetime.fromtimestamp(min(run[-1] + every, end_ts), tz=UTC)
                rows.append(interval_row(labels.get("alertname", ""), labels, "firing", start, end, start, self.cluster_label))
                if ongoing and run[0] <= start_ts + 1.5 * every:
                    needs_since.append(len(rows) - 1)
        if needs_since:
            self._fill_since(rows, needs_since, f"ALERTS_FOR_STATE{{{', '.join(matchers)}}}", w.end)
        return interval_frame(rows)

    def _fill_since(self, rows: list[dict], which: list[int], promql: str, at: datetime) -> None:
        """Alerts active before the window: ALERTS_FOR_STATE holds when they became active."""
        active_at = {}
        for series in self.query(promql, at):
            labels = {k: v for k, v in series["metric"].items() if k != "__name__"}
            active_at[(labels.get("alertname", ""), frozenset(labels.items()))] = float(series["value"][1])
        for i in which:
            row = rows[i]
            identity = frozenset({"alertname": row["alertname"], **row["labels"]}.items())
            ts = active_at.get((row["alertname"], identity))
            if ts is not None:
                row["since"] = pd.Timestamp(ts, unit="s", tz="UTC")
