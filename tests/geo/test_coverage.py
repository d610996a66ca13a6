"""Coverage: tiers, covered flags, roll-ups (covered + uncovered = total at every level),
gaps, demand points from polygons, Euclidean mode, exports and maps."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import AnalysisError
from geo.coverage import (
    DEFAULT_RADII_M,
    coverage,
    demand_points,
    level_groups,
    resolve_tiers,
    tier_label,
)
from geo.network import Network
from tests.geo.conftest import GK117, ORIGIN, grid, line

P = ORIGIN


def _points(xy: np.ndarray, **columns: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(columns), geometry=shapely.points(xy), crs=GK117)


@pytest.fixture
def on_a_line() -> tuple[Network, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A 3 km street; a station at 0; households at 200, 400, 800, 1500 m and one far off."""
    net = line(4, 1000.0)
    xy = P + np.array([[200.0, 0], [400.0, 0], [800.0, 0], [1500.0, 0], [1500.0, 900.0]])
    demand = _points(
        xy,
        community_code=[
            "110101001001",
            "110101001001",
            "110101001002",
            "110101002001",
            "110102001001",
        ],
        population=[10, 20, 30, 40, 50],
        elderly_60_plus=[1, 2, 3, 4, 5],
    )
    stations = _points(P[None], station_id=["S1"], capacity_persons=[100])
    return net, demand, stations


def test_tiers_and_covered_flags(on_a_line: tuple) -> None:
    net, demand, stations = on_a_line
    res = coverage(demand, stations, kind="stations", network=net)
    assert res.tiers_m == (300.0, 500.0, 1000.0)
    pts = res.points
    assert pts["distance_m"].iloc[:4].to_numpy() == pytest.approx([200, 400, 800, 1500])
    assert pts["covered_300m"].tolist() == [True, False, False, False, False]
    assert pts["covered_500m"].tolist() == [True, True, False, False, False]
    assert pts["covered_1000m"].tolist() == [True, True, True, False, False]
    assert pts["reachable"].tolist() == [True, True, True, True, False]
    assert np.isnan(pts["distance_m"].iloc[4])
    assert pts["facility_id"].iloc[:4].tolist() == ["S1"] * 4
    assert pd.isna(pts["facility_id"].iloc[4])


def test_rollups_add_up_at_every_level(on_a_line: tuple) -> None:
    net, demand, stations = on_a_line
    res = coverage(demand, stations, tiers_m=(300, 1000), network=net)
    for level in ("community", "street", "district", "total"):
        table = res.rollup(level, geometry=False)
        for w in ("population", "elderly_60_plus", "count"):
            assert table[w].sum() == demand[w].sum() if w != "count" else len(demand)
            for r in ("300m", "1000m"):
                total = table[f"{w}_covered_{r}"] + table[f"{w}_uncovered_{r}"]
                assert (total == table[w]).all()
            assert (table[f"{w}_unreachable"] <= table[f"{w}_uncovered_300m"]).all()
    street = res.rollup("street", geometry=False).set_index("street_code")
    assert street.loc["110101001", "population"] == 60
    assert street.loc["110101001", "population_covered_1000m"] == 60
    assert street.loc["110101001", "population_covered_300m"] == 10
    assert street.loc["110101002", "population_uncovered_1000m"] == 40
    assert street.loc["110102001", "population_unreachable"] == 50
    summary = res.summary()
    assert summary["units"] == 5 and summary["facilities_unreachable"] == 0
    assert summary["weights"]["population"]["total"] == 150
    assert summary["weights"]["population"]["unreachable"] == 50
    assert summary["weights"]["population"]["tiers"]["1000m"] == {"covered": 60, "share": 0.4}
    district = res.rollup("district", geometry=False).set_index("district_code")
    assert district.loc["110101", "population_covered_share_1000m"] == pytest.approx(60 / 100)
    assert district.loc["110102", "units"] == 1


def test_gaps_ranked_by_uncovered_elderly(on_a_line: tuple) -> None:
    net, demand, stations = on_a_line
    res = coverage(demand, stations, radius_m=500, network=net)
    gaps = res.gaps(level="community")
    assert gaps["rank"].tolist() == [1, 2, 3]
    assert gaps["community_code"].tolist() == ["110102001001", "110101002001", "110101001002"]
    assert gaps["elderly_60_plus_uncovered_500m"].tolist() == [5, 4, 3]
    by_people = res.gaps(level="street", by="population")
    assert by_people["population_uncovered_500m"].is_monotonic_decreasing
    with pytest.raises(AnalysisError, match="not one of the tiers"):
        res.gaps(tier_m=300)


def test_defaults_and_overrides() -> None:
    assert resolve_tiers("stations") == (300.0, 500.0, 1000.0)
    assert resolve_tiers("meal_points") == (1000.0,) == DEFAULT_RADII_M["meal_points"]
    assert resolve_tiers("stations", radius_m=800) == (800.0,)
    assert resolve_tiers(None, tiers_m=[1000, 300]) == (300.0, 1000.0)
    assert tier_label(300.0) == "300m" and tier_label(250.5) == "250.5m"
    with pytest.raises(AnalysisError):
        resolve_tiers(tiers_m=[0])


def _communities() -> gpd.GeoDataFrame:
    """Four 400 m square communities in two streets of one district."""
    boxes = [shapely.box(P[0] + x, P[1], P[0] + x + 400, P[1] + 400) for x in (0, 400, 800, 1200)]
    return gpd.GeoDataFrame(
        {
            "code": ["110101001001", "110101001002", "110101002001", "110101002002"],
            "street_code": ["110101001", "110101001", "110101002", "110101002"],
            "population": [1001, 2000, 3000, 7],
            "elderly_60_plus": [201, 400, 600, 1],
        },
        geometry=boxes,
        crs=GK117,
    ).to_crs(4326)


def test_polygons_become_weighted_points_inside_them() -> None:
    com = _communities()
    dp = demand_points(com, crs=GK117, points_per_polygon=9)
    per_unit = np.bincount(dp.unit)
    assert (per_unit >= 5).all() and (per_unit <= 16).all()
    assert np.bincount(dp.unit, weights=dp.weights["population"]).tolist() == [1001, 2000, 3000, 7]
    assert dp.weights["population"].dtype == np.int64
    assert dp.center.sum() == 4 and dp.weights["count"].sum() == 4
    polys = com.to_crs(GK117).geometry.to_numpy()[dp.unit]
    assert shapely.contains_xy(polys, dp.xy[:, 0], dp.xy[:, 1]).all()
    one = demand_points(com, crs=GK117, points_per_polygon=1)
    assert len(one) == 4 and one.center.all()


def test_level_codes_from_prefixes() -> None:
    groups = level_groups(_communities())
    which, distinct = groups["street"]  # type: ignore[misc]
    assert distinct.tolist() == ["110101001", "110101002"] and which.tolist() == [0, 0, 1, 1]
    assert groups["district"][1].tolist() == ["110101"]  # type: ignore[index]
    assert level_groups(pd.DataFrame({"x": [1]}))["street"] is None


def test_communities_network_and_euclidean() -> None:
    net = grid(17, 5, spacing_m=100.0)  # 1.6 km x 400 m of streets over the communities
    com = _communities()
    stations = _points(P[None] + [[200.0, 200.0]], station_id=["S1"])
    res = coverage(com, stations, kind="stations", network=net, points_per_polygon=9)
    euc = coverage(com, stations, kind="stations", mode="euclidean", points_per_polygon=9)
    assert res.mode == "network" and euc.mode == "euclidean"
    for r in (res, euc):
        table = r.demand
        assert len(table) == 4 and table["code"].tolist() == com["code"].tolist()
        assert (
            table["population_covered_1000m"] + table["population_uncovered_1000m"]
            == com["population"].to_numpy()
        ).all()
    # a straight line is never longer than a walk
    assert (euc.points["distance_m"] <= res.points["distance_m"] + 1e-6).all()
    assert res.demand["facility_id"].iloc[0] == "S1"
    # the far community is partly out of reach at 1000 m on foot
    far = res.demand.set_index("code").loc["110101002002"]
    assert far["population_covered_1000m"] < 7 or far["distance_m"] > 1000
    with pytest.raises(AnalysisError, match=r"unknown level"):
        res.rollup("province")


def test_exports_and_map(tmp_path: Path) -> None:
    net = grid(17, 5, spacing_m=100.0)
    res = coverage(
        _communities(), _points(P[None] + [[200.0, 200.0]], station_id=["S1"]), network=net
    )
    gdf = res.to_gdf()
    gdf.to_file(tmp_path / "coverage.gpkg", layer="coverage")
    assert len(gpd.read_file(tmp_path / "coverage.gpkg")) == 4
    gdf.drop(columns="geometry").to_csv(tmp_path / "coverage.csv", index=False)
    assert len(pd.read_csv(tmp_path / "coverage.csv")) == 4
    streets = res.rollup("street")
    assert streets.geometry.notna().all() and streets.crs.to_epsg() == 4326
    streets.drop(columns="geometry").to_excel(tmp_path / "streets.xlsx", index=False)
    assert len(pd.read_excel(tmp_path / "streets.xlsx", engine="openpyxl")) == 2
    m = res.explore()
    html = m.get_root().render()
    assert "population_covered_share_1000m" in html and "S1" in html
    assert "tile.openstreetmap" not in html  # no tile server: works offline
    again = res.explore(m=m, tier_m=300)
    assert again is m
