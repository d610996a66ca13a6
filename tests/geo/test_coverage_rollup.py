"""Roll-ups against an independent pandas group-by of the points, whether the levels nest
(streets summed from communities) or not (a community split across two streets)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage import coverage
from tests.geo.conftest import GK117, ORIGIN


def _layers(split: bool) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(12)
    n = 3000
    community = rng.integers(0, 40, n)
    codes = [f"1101{c % 3:02d}{c // 8:03d}{c:03d}" for c in community]
    demand = gpd.GeoDataFrame(
        {
            "community_code": codes,
            "population": rng.integers(0, 30, n),
            "elderly_60_plus": rng.integers(0, 9, n),
        },
        geometry=shapely.points(ORIGIN + rng.uniform(0, 3000, (n, 2))),
        crs=GK117,
    )
    if split:  # community 5's points in the west half belong to another street
        street = demand["community_code"].str[:9].copy()
        west = (community == 5) & (shapely.get_x(demand.geometry.to_numpy()) < ORIGIN[0] + 1500)
        street[west] = "110199999"
        demand["street_code"] = street
    stations = gpd.GeoDataFrame(
        {"station_id": [f"S{i}" for i in range(6)]},
        geometry=shapely.points(ORIGIN + rng.uniform(0, 3000, (6, 2))),
        crs=GK117,
    )
    return demand, stations


def _expected(points: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    """Counts per group by pandas, from the per-point table."""
    frame = pd.DataFrame({"key": by.to_numpy()})
    for w in ("population", "elderly_60_plus", "count"):
        frame[w] = points[w].to_numpy()
        for r in ("300m", "500m", "1000m"):
            covered = points[f"covered_{r}"].to_numpy()
            frame[f"{w}_covered_{r}"] = np.where(covered, points[w], 0)
            frame[f"{w}_uncovered_{r}"] = np.where(covered, 0, points[w])
    return frame.groupby("key").sum().sort_index()


def _check(split: bool) -> None:
    demand, stations = _layers(split)
    res = coverage(demand, stations, kind="stations", mode="euclidean")
    pts = res.points
    street = demand["street_code"] if split else demand["community_code"].str[:9]
    for level, by in (
        ("community", demand["community_code"]),
        ("street", street),
        ("district", street.str[:6]),  # a missing level is the prefix of the one below
        ("total", pd.Series(["total"] * len(demand))),
    ):
        key = "code" if level == "total" else f"{level}_code"
        got = res.rollup(level, geometry=False).set_index(key).sort_index()
        want = _expected(pts, by)
        assert got.index.tolist() == want.index.tolist(), level
        for col in want.columns:
            assert got[col].tolist() == want[col].tolist(), (level, col)
        assert got["units"].tolist() == by.value_counts().sort_index().tolist()


def test_rollups_equal_a_group_by_when_levels_nest() -> None:
    _check(split=False)


def test_rollups_equal_a_group_by_when_a_community_spans_two_streets() -> None:
    _check(split=True)


def test_point_sums_equal_unit_sums_summed_by_group() -> None:
    """The one-pass sums from the points equal summing every unit first, then its group:
    polygons with several points, tiers met exactly, points beyond every tier and
    unreachable points."""
    from geo.coverage.rollup import group_sums, point_group_sums, unit_sums

    rng = np.random.default_rng(11)
    n_units, n_groups, tiers = 700, 37, (300.0, 500.0, 1000.0)
    unit = np.sort(rng.integers(0, n_units, 6000))
    which = rng.integers(0, n_groups, n_units)
    which[:n_groups] = np.arange(n_groups)  # every group has a unit
    distance = rng.choice([*tiers, np.inf], len(unit)).astype(float)
    distance[::3] = rng.uniform(0, 1500, len(distance[::3]))
    reachable = rng.random(len(unit)) > 0.05
    distance[~reachable] = np.inf
    distance[5::97] = np.nan  # never covered, as by the per-unit sums
    weights = {
        "population": rng.integers(0, 40, len(unit)),
        "count": (rng.random(len(unit)) > 0.5).astype(np.int64),
    }
    per_unit = unit_sums(
        weights, unit, n_units=n_units, distance_m=distance, reachable=reachable, tiers_m=tiers
    )
    expected = group_sums(per_unit, which, n_groups)
    got = point_group_sums(
        weights,
        which[unit],
        n_groups=n_groups,
        units=np.bincount(which, minlength=n_groups),
        distance_m=distance,
        reachable=reachable,
        tiers_m=tiers,
    )
    pd.testing.assert_frame_equal(got, expected)
    assert got["population_uncovered_1000m"].sum() > got["population_unreachable"].sum() > 0
