"""Incident detection on hand-built p99 and 5xx series."""

from datetime import UTC, datetime, timedelta

import pandas as pd

from services.mesh.incidents import excursions, incidents

T0 = datetime(2026, 11, 3, tzinfo=UTC)


def series(service: str, values: list[float], column: str, step: int = 60, source: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "time": [pd.Timestamp(T0 + timedelta(seconds=step * i)) for i in range(len(values))],
            "cluster": "c1",
            "namespace": "ns",
            "service": service,
            column: values,
        }
    )
    if source is not None:
        frame["source_workload"] = source
        frame["source_namespace"] = "ns"
    return frame


def test_a_p99_excursion_is_found_with_its_peak():
    values = [100.0] * 20 + [900.0, 1500.0, 1200.0] + [100.0] * 20
    found = excursions(series("payments", values, "p99"), "p99", "latency", 60)
    assert len(found) == 1
    row = found.iloc[0]
    assert row["service"] == "payments" and row["peak"] == 1500.0 and row["baseline"] == 100.0
    assert row["start"] == pd.Timestamp(T0 + timedelta(minutes=20))
    assert row["end"] == pd.Timestamp(T0 + timedelta(minutes=22))
    assert row["peak_time"] == pd.Timestamp(T0 + timedelta(minutes=21))


def test_small_or_single_point_spikes_are_not_incidents():
    fast = [10.0] * 20 + [60.0, 70.0] + [10.0] * 5  # 6x but under 250 ms
    blip = [100.0] * 20 + [2000.0] + [100.0] * 5  # one point only
    frame = pd.concat([series("cache", fast, "p99"), series("api", blip, "p99")])
    assert excursions(frame, "p99", "latency", 60).empty


def test_a_gap_in_the_series_splits_runs():
    frame = series("inventory", [0.3, 0.3, 0.3, 0.3], "ratio_5xx")
    frame.loc[2:, "time"] += pd.Timedelta(minutes=30)  # no data for half an hour
    found = excursions(frame, "ratio_5xx", "5xx", 60)
    assert len(found) == 2


def test_edges_are_kept_apart():
    bad = series("inventory", [0.001] * 5 + [0.25] * 4 + [0.001] * 5, "ratio_5xx", source="cart")
    good = series("inventory", [0.001] * 14, "ratio_5xx", source="checkout")
    found = incidents(None, pd.concat([bad, good]), 60)
    assert list(zip(found["source_workload"], found["service"], found["kind"], strict=False)) == [("cart", "inventory", "5xx")]


def test_no_series_no_incidents():
    assert incidents(None, None, 60).empty
    assert list(incidents(None, None, 60).columns)[:4] == ["kind", "cluster", "namespace", "service"]
