"""The demo source: answers the source interface from the bundled scenario, with PromQL's maths."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

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
from services.sources.demo_scenario import DemoData, EdgeSeries, anchor_for, build_scenario, generate
from services.sources.frames import histogram_quantile, interval_frame, interval_row, traffic_frame
from services.timewindow import Window, grid, parse_duration, parse_time, utcnow


def _group_key(series: EdgeSeries, by: Grouping) -> tuple[str, ...]:
    e = series.edge
    key = (e.cluster, e.namespace, e.service)
    return key if by == "service" else key + (e.source_workload, e.source_namespace)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class DemoSource:
    name = "demo"

    def __init__(
        self, settings: SourceSettings | None = None, clock: Callable[[], datetime] | None = None, spec: dict | None = None
    ):
        """`spec` replaces the bundled scenario (tests build their own meshes with it)."""
        self.settings = settings or SourceSettings()
        if clock is None and self.settings.demo_now:
            frozen = parse_time(self.settings.demo_now)
            clock = lambda: frozen  # noqa: E731
        self.clock = clock or utcnow
        self.rate_window = parse_duration(self.settings.rate_window)
        self.spec = spec
        self._generated: tuple[datetime, DemoData] | None = None

    def data(self) -> DemoData:
        anchor = anchor_for(self.clock())
        if self.spec is None:
            return build_scenario(anchor)
        if self._generated is None or self._generated[0] != anchor:
            self._generated = (anchor, generate(self.spec, anchor))
        return self._generated[1]

    def mesh_reporters(self) -> list[Reporter]:
        found = {r for s in self.data().edges for r in s.reporters}
        return [r for r in REPORTERS if r in found]

    def status(self) -> SourceStatus:
        data = self.data()
        said = Message.of("source.demo", edges=len(data.edges))
        return SourceStatus("demo", True, str(said), said)

    def label_values(self, label: str) -> list[str]:
        data = self.data()
        if label == "cluster":
            values = {s.edge.cluster for s in data.edges} | {a.labels.get("cluster", "") for a in data.alerts}
        elif label == "service":
            values = {s.edge.service for s in data.edges}
        else:
            values = {s.edge.namespace for s in data.edges} | {a.labels.get("namespace", "") for a in data.alerts}
        return sorted(v for v in values if v)

    # --- mesh metrics -------------------------------------------------------------------------

    def _selected(self, data: DemoData, filters: Filters, reporter: Reporter = "destination") -> list[EdgeSeries]:
        return [
            s
            for s in data.edges
            if (not filters.clusters or s.edge.cluster in filters.clusters)
            and (not filters.namespaces or s.edge.namespace in filters.namespaces)
            and (not filters.services or s.edge.service in filters.services)
            and reporter in s.reporters
        ]

    def _points(self, data: DemoData, window: Window, step: int, back_seconds: int):
        """Evaluation times in the window (as Prometheus is asked for them, services.timewindow.grid)
        with the sample index at each and `back_seconds` before."""
        first, last = grid(window, step)
        times = np.arange(first, last + 1, step)
        idx = (times - data.times[0]) // data.interval
        back = idx - back_seconds // data.interval
        ok = (back >= 0) & (idx < len(data.times))
        return times[ok], idx[ok], back[ok]

    def _grouped(self, filters: Filters, by: Grouping, reporter: Reporter = "destination"):
        data = self.data()
        groups: dict[tuple[str, ...], list[EdgeSeries]] = {}
        for s in self._selected(data, filters, reporter):
            groups.setdefault(_group_key(s, by), []).append(s)
        return data, groups

    def _quantiles(self, data: DemoData, groups, idx, back, keys, times=None, wanted=QUANTILES) -> pd.DataFrame:
        bounds = np.array(data.buckets_ms + [np.inf])
        columns_of = quantile_columns(wanted)
        frames = []
        for key, members in groups.items():
            counts = sum(m.buckets[idx] - m.buckets[back] for m in members)
            quantiles = zip(columns_of, wanted, strict=True)
            frame = pd.DataFrame({col: histogram_quantile(q, bounds, counts) for col, q in quantiles})
            for name, value in zip(keys, key, strict=False):
                frame[name] = value
            if times is not None:
                frame["time"] = pd.to_datetime(times, unit="s", utc=True)
            frames.append(frame)
        columns = (["time"] if times is not None else []) + keys + columns_of
        if not frames:
            return empty_frame(columns)
        out = pd.concat(frames, ignore_index=True)[columns]
        return out.dropna(subset=columns_of, how="all").reset_index(drop=True)

    def _codes(
        self, groups, idx, back, keys, times, divisor: float, reporter: Reporter = "destination"
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Long frames of increases (or rates, per `divisor`) by response code and by gRPC status."""
        codes, grpc = [], []
        stamp = pd.to_datetime(times, unit="s", utc=True) if times is not None else None
        for key, members in groups.items():
            for m in members:
                for (code, status, _flags), counter in m.requests_for(reporter).items():
                    values = (counter[idx] - counter[back]) / divisor
                    row = dict(zip(keys, key, strict=False))
                    frame = pd.DataFrame({"value": values, "response_code": code, **row})
                    if stamp is not None:
                        frame["time"] = stamp
                    codes.append(frame)
                    if m.edge.protocol == "grpc":
                        grpc.append(
                            frame.rename(columns={"response_code": "grpc_response_status"}).assign(grpc_response_status=status)
                        )
        return _concat(codes), _concat(grpc)

    def latency_series(
        self,
        window: Window,
        step: int,
        filters: Filters,
        by: Grouping,
        reporter: Reporter = "destination",
        quantiles: tuple[float, ...] = QUANTILES,
    ) -> pd.DataFrame:
        # Latency is the same histogram from both sidecars here (the network between them is not modelled).
        data, groups = self._grouped(filters, by, reporter)
        times, idx, back = self._points(data, window.aligned(), step, rate_range(self.rate_window, step))
        return self._quantiles(data, groups, idx, back, keys_for(by), times, quantiles)

    def peak_summary(
        self, window: Window, step: int, filters: Filters, by: Grouping, slow_ms: float, reporter: Reporter = "destination"
    ) -> pd.DataFrame:
        data, groups = self._grouped(filters, by, reporter)
        times, idx, back = self._points(data, window.aligned(), step, rate_range(self.rate_window, step))
        if slow_ms not in data.buckets_ms:
            raise SourceError(f"demo: {slow_ms:g} ms is not a histogram bucket bound ({data.buckets_ms})")
        under = data.buckets_ms.index(slow_ms)
        rows = []
        for key, members in groups.items() if len(times) else []:
            buckets = sum(m.buckets[idx] - m.buckets[back] for m in members)
            errors, requests = np.zeros(len(times)), np.zeros(len(times))
            for m in members:
                for (code, _status, _flags), counter in m.requests_for(reporter).items():
                    requests += counter[idx] - counter[back]
                    if code.startswith("5"):
                        errors += counter[idx] - counter[back]
            total = buckets[:, -1]
            if (total > 0).any() or (requests > 0).any():
                slow = 1 - buckets[total > 0, under] / total[total > 0]
                ratio = errors[requests > 0] / requests[requests > 0]
                rows.append((*key, slow.max() if len(slow) else np.nan, ratio.max() if len(ratio) else np.nan))
        columns = keys_for(by) + PEAK_COLUMNS
        return pd.DataFrame(rows, columns=columns) if rows else empty_frame(columns)

    def traffic_series(
        self, window: Window, step: int, filters: Filters, by: Grouping, reporter: Reporter = "destination"
    ) -> pd.DataFrame:
        data, groups = self._grouped(filters, by, reporter)
        seconds = rate_range(self.rate_window, step)
        times, idx, back = self._points(data, window.aligned(), step, seconds)
        codes, grpc = self._codes(groups, idx, back, keys_for(by), times, seconds, reporter)
        keys = ["time"] + keys_for(by)
        return traffic_frame(codes, grpc, keys, None).sort_values(keys, ignore_index=True)

    def _window_points(self, data: DemoData, window: Window):
        """Sample indexes at the window's end and start: PromQL's increase(x[window]) at its end."""
        w = window.aligned()
        idx = (int(w.end.timestamp()) - data.times[0]) // data.interval
        back = max((int(w.start.timestamp()) - data.times[0]) // data.interval, 0)
        if idx >= len(data.times) or idx <= back:
            return w, np.array([], dtype=int), np.array([], dtype=int)
        return w, np.array([idx]), np.array([back])

    def latency_summary(
        self,
        window: Window,
        filters: Filters,
        by: Grouping,
        reporter: Reporter = "destination",
        quantiles: tuple[float, ...] = QUANTILES,
    ) -> pd.DataFrame:
        data, groups = self._grouped(filters, by, reporter)
        _, idx, back = self._window_points(data, window)
        return self._quantiles(data, groups, idx, back, keys_for(by), wanted=quantiles)

    def traffic_summary(self, window: Window, filters: Filters, by: Grouping, reporter: Reporter = "destination") -> pd.DataFrame:
        data, groups = self._grouped(filters, by, reporter)
        w, idx, back = self._window_points(data, window)
        codes, grpc = self._codes(groups, idx, back, keys_for(by), None, 1.0, reporter)
        return traffic_frame(codes, grpc, keys_for(by), float(w.seconds))

    def flag_summary(self, window: Window, filters: Filters, reporter: Reporter) -> pd.DataFrame:
        data = self.data()
        _, idx, back = self._window_points(data, window)
        rows = []
        for s in self._selected(data, filters, reporter) if len(idx) else []:
            e = s.edge
            for (code, _status, flags), counter in s.requests_for(reporter).items():
                count = float(counter[idx[0]] - counter[back[0]])
                if count > 0:
                    rows.append((e.cluster, e.namespace, e.service, e.source_workload, e.source_namespace, code, flags, count))
        frame = pd.DataFrame(rows, columns=FLAG_COLUMNS)
        if not rows:
            return empty_frame(FLAG_COLUMNS)
        return pd.DataFrame(frame.groupby(FLAG_COLUMNS[:-1], as_index=False)["requests"].sum())

    # --- alerts -------------------------------------------------------------------------------

    def alert_intervals(self, window: Window, filters: Filters) -> pd.DataFrame:
        data = self.data()
        w = window.aligned()
        rows = []
        for a in data.alerts:
            if filters.clusters and a.labels.get("cluster") not in filters.clusters:
                continue
            if filters.namespaces and a.labels.get("namespace") not in filters.namespaces:
                continue
            if a.start > w.end or a.start > data.anchor or (a.end is not None and a.end <= w.start):
                continue
            ongoing = a.end is None or a.end > w.end
            start = max(a.start, w.start)
            rows.append(
                interval_row(
                    a.alertname,
                    {"alertname": a.alertname, **a.labels},
                    "firing",
                    start,
                    None if ongoing else a.end,
                    a.start if ongoing else start,
                )
            )
        return interval_frame(rows)
