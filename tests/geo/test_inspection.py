"""Boundary-inspection rules: displacement, the 2σ rule, distance from the line, coverage.

Known answers are built in the Gauss-Krüger plane (EPSG:4548) and checked against pyproj's
geodesic distances, an independent computation."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer

from geo._errors import AnalysisError
from geo.inspection import (
    ArrivalRules,
    LineGauge,
    assess_observations,
    covered_length_m,
    displacement_threshold_m,
    latest_by_marker,
    line_progress,
    stretch_lonlat,
)

GK = "EPSG:4548"
X0, Y0 = 500_000.0, 4_420_000.0  # near 117°E, 39.9°N
TO_LONLAT = Transformer.from_crs(GK, 4326, always_xy=True)
GEOD = Geod(ellps="WGS84")


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(X0 + dx, Y0 + dy)
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def gauge() -> LineGauge:
    """A 2 km east-west line."""
    return LineGauge(shapely.LineString([lonlat(0, 0), lonlat(2000, 0)]))


def observations(rows: list[dict[str, float | str]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def obs_row(
    *,
    at: float = 1000.0,
    offset: tuple[float, float] = (0.0, 0.0),
    accuracy_m: float = 0.05,
    fix_type: str = "RTK",
    sigma_m: float = 0.2,
) -> dict[str, float | str]:
    rlon, rlat = lonlat(at, 0.0)
    lon, lat = lonlat(at + offset[0], offset[1])
    return {
        "lon": lon,
        "lat": lat,
        "accuracy_m": accuracy_m,
        "fix_type": fix_type,
        "register_lon": rlon,
        "register_lat": rlat,
        "sigma_m": sigma_m,
    }


def test_threshold_is_k_times_combined_sigma() -> None:
    assert displacement_threshold_m(0.3, 0.4) == pytest.approx(1.0)
    assert displacement_threshold_m([0.3, 0.0], [0.4, 2.0], k_sigma=3) == pytest.approx([1.5, 6.0])


def test_displacement_matches_geodesic_distance(gauge: LineGauge) -> None:
    rows = [obs_row(offset=(3.0, 4.0)), obs_row(at=200, offset=(-30.0, 12.5))]
    result = assess_observations(observations(rows), gauge=gauge)
    for row, got in zip(rows, result["displacement_m"], strict=True):
        _, _, expected = GEOD.inv(row["register_lon"], row["register_lat"], row["lon"], row["lat"])
        assert got == pytest.approx(expected, rel=2e-4)  # GK scale error near the CM
    assert result["displacement_m"].iloc[0] == pytest.approx(5.0, abs=0.01)


def test_two_sigma_rule_flags_just_beyond_the_threshold(gauge: LineGauge) -> None:
    limit = 2 * math.hypot(0.2, 0.5)  # σ_register 0.2, accuracy 0.5
    rows = [
        obs_row(offset=(0.95 * limit, 0.0), accuracy_m=0.5),
        obs_row(offset=(0.0, 1.05 * limit), accuracy_m=0.5),
    ]
    result = assess_observations(observations(rows), gauge=gauge)
    assert result["threshold_m"].tolist() == pytest.approx([limit, limit])
    assert result["suspected_displaced"].tolist() == [False, True]
    assert result["flags"].tolist() == [[], ["suspected_displaced"]]


def test_false_alarm_rate_of_undisturbed_markers_is_exp_minus_k_squared() -> None:
    """With radial σ, circular normal errors exceed 2σ_combined with probability e^-4."""
    rng = np.random.default_rng(7)
    n, sigma_r, sigma_o = 40_000, 0.3, 0.4
    per_axis = math.hypot(sigma_r, sigma_o) / math.sqrt(2)
    d = np.hypot(*rng.normal(0.0, per_axis, size=(2, n)))
    rate = float(np.mean(d > displacement_threshold_m(sigma_r, sigma_o)))
    assert rate == pytest.approx(math.exp(-4), abs=0.003)


def test_distance_from_line_and_flags(gauge: LineGauge) -> None:
    rows = [
        obs_row(offset=(0.0, 100.0), accuracy_m=8.0, fix_type="single"),
        obs_row(offset=(0.0, 700.0), fix_type="manual"),
        obs_row(offset=(0.0, 6000.0)),
        {**obs_row(), "lon": np.nan, "lat": np.nan, "accuracy_m": np.nan, "fix_type": None},
    ]
    result = assess_observations(observations(rows), gauge=gauge)
    assert result["distance_to_line_m"].iloc[0] == pytest.approx(100.0, abs=0.05)
    assert result["flags"].iloc[0] == ["suspected_displaced", "low_accuracy"]
    assert result["flags"].iloc[1] == ["suspected_displaced", "manual_fix", "far_from_line"]
    assert result["implausible"].tolist() == [False, False, True, False]
    assert result["flags"].iloc[3] == ["no_position"]
    assert np.isnan(result["displacement_m"].iloc[3])
    assert result["chainage_m"].tolist() == pytest.approx([1000.0] * 4, abs=0.01)


def test_rules_are_configurable(gauge: LineGauge) -> None:
    rules = ArrivalRules(k_sigma=3.0, low_accuracy_m=10.0)
    result = assess_observations(observations([obs_row(accuracy_m=8.0)]), gauge=gauge, rules=rules)
    assert result["threshold_m"].iloc[0] == pytest.approx(3 * math.hypot(0.2, 8.0))
    assert result["flags"].iloc[0] == []


def test_gauge_refuses_a_line_without_geometry() -> None:
    with pytest.raises(AnalysisError):
        LineGauge(shapely.LineString())


@pytest.mark.parametrize(
    ("starts", "ends", "expected"),
    [
        ([0, 5, 20], [10, 12, 25], 17.0),
        ([10, 0], [0, 10], 10.0),  # reversed and duplicate
        ([0, 1, 2], [100, 3, 4], 100.0),  # nested
        ([], [], 0.0),
        ([0, np.nan], [5, 9], 5.0),
    ],
)
def test_covered_length_is_the_union_of_intervals(
    starts: list[float], ends: list[float], expected: float
) -> None:
    assert covered_length_m(starts, ends) == pytest.approx(expected)


def markers_frame(chainages: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"marker_no": [f"0001{i + 1:03d}A" for i in range(len(chainages))]},
        geometry=[shapely.Point(lonlat(c, 0.0)) for c in chainages],
        crs=4326,
    )


def test_line_progress_counts_conditions_and_covered_length(gauge: LineGauge) -> None:
    markers = markers_frame([0, 500, 1000, 1500, 2000])
    inspections = pd.DataFrame(
        {
            "marker_no": ["0001001A", "0001002A", "0001002A", "0001003A", "0001005A"],
            "inspected_at": [
                "2025-04-08T01:00Z",
                "2025-04-08T02:00Z",
                "2025-04-09T02:00Z",
                "2025-04-08T03:00Z",
                "2025-04-08T04:00Z",
            ],
            "condition": ["完好", "完好", "损坏", "未到达", "丢失"],
            "review_state": ["approved", "received", "received", "received", "received"],
            "suspected_displaced": [False, False, True, False, False],
        }
    )
    segments = pd.DataFrame(
        {
            "from_marker": ["0001004A", "0001001A"],
            "to_marker": ["0001005A", "0001005A"],
            "status": ["unchanged", "needs_resurvey"],
            "review_state": ["received", "rejected"],
        }
    )
    progress = line_progress(markers, inspections, segments, gauge=gauge, line_code="0001")
    summary = progress.to_dict()
    # reached: 1, 2 (latest 损坏), 5 (丢失); 3 not reached; 4 not inspected
    assert summary["markers_inspected"] == 4
    assert summary["markers_reached"] == 3
    assert summary["by_condition"]["损坏"] == 1
    assert summary["by_condition"]["完好"] == 1
    assert summary["by_condition"]["未检查"] == 1
    assert summary["suspected_displaced"] == 1
    # covered: 0-500 (both ends reached) + 1500-2000 (segment check); the rejected one not
    assert progress.covered_m == pytest.approx(1000.0, abs=0.05)
    assert summary["covered_km"] == pytest.approx(1.0, abs=1e-3)
    assert summary["segments_by_status"] == {"unchanged": 1}


def test_rejected_records_do_not_count() -> None:
    inspections = pd.DataFrame(
        {
            "marker_no": ["A", "A"],
            "inspected_at": ["2025-01-01", "2025-02-01"],
            "condition": ["完好", "丢失"],
            "review_state": ["received", "rejected"],
        }
    )
    latest = latest_by_marker(inspections)
    assert latest.loc["A", "condition"] == "完好"
    assert latest.loc["A", "inspections"] == 1


def test_stretch_follows_the_line(gauge: LineGauge) -> None:
    part = stretch_lonlat(gauge, 1500.0, 250.0)
    x0, y0 = part.coords[0]
    assert (x0, y0) == pytest.approx(lonlat(250.0, 0.0), abs=1e-7)
    length = GEOD.geometry_length(part)
    assert length == pytest.approx(1250.0, rel=2e-4)
