"""Prometheus' histogram_quantile, for bucket counts added up outside Prometheus.

A live window's p99 is read in parts (services.sources.incremental): bucket counts of its whole
hours, kept, plus those of its first and last partial hour, read again each minute. Quantiles do
not add up, bucket counts do; the quantile of the sum is computed here exactly as PromQL does.
"""

from __future__ import annotations

import math
from bisect import bisect_left

Bucket = tuple[float, float]  # (upper bound `le`, cumulative count)


def bucket_quantile(q: float, buckets: list[Bucket]) -> float:
    """histogram_quantile(q) of one series' buckets, as Prometheus 2.x computes it: linear
    interpolation inside the bucket holding the rank; NaN without a +Inf bucket or observations;
    the highest finite bound when the rank falls into +Inf."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    merged: dict[float, float] = {}
    for bound, count in buckets:  # the same bound twice (le="250" and le="250.0"): one bucket
        merged[bound] = merged.get(bound, 0.0) + count
    bounds = sorted(merged)
    if len(bounds) < 2 or not math.isinf(bounds[-1]):
        return math.nan
    counts, highest = [], 0.0
    for bound in bounds:  # counts that went down (a scrape mid-update) are held level
        highest = max(highest, merged[bound])
        counts.append(highest)
    observations = counts[-1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = bisect_left(counts, rank, hi=len(counts) - 1)
    if b == len(counts) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start, end, count = 0.0, bounds[b], counts[b]
    if b > 0:
        start, count, rank = bounds[b - 1], count - counts[b - 1], rank - counts[b - 1]
    return start + (end - start) * (rank / count)


def quantile_vectors(bucket_vector: list[dict], quantiles: tuple[float, ...]) -> list[list[dict]]:
    """A `sum by (le, ...)` vector -> one Prometheus-shaped vector per quantile (labels without
    `le`), as `histogram_quantile(q, <that sum>)` would answer; series without observations are left out."""
    groups: dict[tuple, tuple[dict, list[Bucket], float]] = {}
    for series in bucket_vector:
        labels = {k: v for k, v in series["metric"].items() if k != "le"}
        key = tuple(sorted(labels.items()))
        at, value = series["value"]
        entry = groups.setdefault(key, (labels, [], float(at)))
        entry[1].append((float(series["metric"].get("le", "nan")), float(value)))
    vectors: list[list[dict]] = []
    for q in quantiles:
        vector = []
        for labels, buckets, at in groups.values():
            value = bucket_quantile(q, buckets)
            if not math.isnan(value):
                vector.append({"metric": labels, "value": [at, repr(value)]})
        vectors.append(vector)
    return vectors
