"""Candidate generation and exclusion rules, checked by hand and by brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from geo._errors import CRSMismatchError
from geo.siting import (
    MCLP,
    enforce_spacing,
    exclude_near,
    exclude_within,
    grid_candidates,
    network_candidates,
)

GK = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E: metres
X0, Y0 = 440_000.0, 4_420_000.0


def _points(xy: list[tuple[float, float]], **cols: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(cols), geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=GK)


def test_grid_candidates_on_multiples_of_the_spacing() -> None:
    area = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=GK)
    grid = grid_candidates(area, spacing_m=250.0)
    assert len(grid) == 25 and grid.crs == area.crs
    assert set(np.round(grid.geometry.x - X0)) == {0, 250, 500, 750, 1000}
    lonlat = grid_candidates(area.to_crs(4326), spacing_m=250.0)
    assert lonlat.crs.to_epsg() == 4326
    assert lonlat.to_crs(GK).within(area.buffer(0.01).union_all()).all()


def test_network_candidates_spacing_midpoints_and_two_way_edges() -> None:
    line = LineString([(X0, Y0), (X0 + 1000, Y0)])
    roads = gpd.GeoDataFrame(
        {"edge_id": [1, 2, 3]},
        geometry=[line, line.reverse(), LineString([(X0, Y0), (X0, Y0 + 100)])],
        crs=GK,
    )
    pts = network_candidates(roads, every_m=300.0)
    along = pts[pts["edge_id"] == 1]
    assert sorted(np.round(along.geometry.x - X0)) == [125, 375, 625, 875]
    assert (pts["edge_id"] == 2).sum() == 0  # the reverse edge gives the same points
    short = pts[pts["edge_id"] == 3]
    assert len(short) == 1 and short.geometry.y.iloc[0] == pytest.approx(Y0 + 50)


def test_exclude_within_drops_inside_and_on_the_edge() -> None:
    cands = _points([(50, 50), (100, 50), (300, 50)], name=["in", "edge", "out"])
    park = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs=GK)
    assert exclude_within(cands, park)["name"].tolist() == ["out"]
    assert len(cands) == 3  # input untouched


def test_exclude_near_is_strictly_closer_than_the_setback() -> None:
    cands = _points([(499, 0), (500, 0), (600, 0), (0, 2000)], name=["a", "b", "c", "d"])
    homes = _points([(0, 0)])
    kept = exclude_near(cands, homes, setback_m=500.0)
    assert kept["name"].tolist() == ["b", "c", "d"]
    water = gpd.GeoDataFrame(geometry=[box(X0 - 10, Y0 + 1900, X0 + 10, Y0 + 1990)], crs=GK)
    assert exclude_near(kept, water, setback_m=100.0)["name"].tolist() == ["b", "c"]


def test_mixed_crs_is_refused() -> None:
    cands = _points([(0, 0)])
    with pytest.raises(CRSMismatchError):
        exclude_near(cands, _points([(1, 1)]).to_crs(4326), setback_m=10.0)


def _sequential_greedy(xy: np.ndarray, priority: np.ndarray, spacing: float) -> list[int]:
    kept: list[int] = []
    for i in sorted(range(len(xy)), key=lambda k: (-priority[k], k)):
        if all(np.hypot(*(xy[i] - xy[j])) >= spacing for j in kept):
            kept.append(i)
    return sorted(kept)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_enforce_spacing_equals_one_by_one_greedy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 2000, (150, 2))
    prio = rng.integers(0, 5, 150).astype(float)
    cands = _points([tuple(p) for p in xy], score=prio)
    kept = enforce_spacing(cands, min_spacing_m=200.0, priority="score")
    assert kept.index.tolist() == _sequential_greedy(xy, prio, 200.0)
    d = kept.geometry.to_numpy()
    gaps = shapely.distance(d[:, None], d[None, :])
    assert (gaps[~np.eye(len(d), dtype=bool)] >= 200.0).all()


def test_exclusion_rules_hold_for_every_chosen_site() -> None:
    rng = np.random.default_rng(9)
    area = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 4000, Y0 + 4000)], crs=GK)
    park = gpd.GeoDataFrame(geometry=[box(X0 + 1000, Y0 + 1000, X0 + 2500, Y0 + 2500)], crs=GK)
    homes = _points([(3500, 500), (500, 3500)])
    cands = grid_candidates(area, spacing_m=200.0)
    cands = exclude_within(cands, park)
    cands = exclude_near(cands, homes, setback_m=600.0)
    cands = enforce_spacing(cands, min_spacing_m=450.0)
    demand = _points([tuple(p) for p in rng.uniform(0, 4000, (80, 2))], w=rng.integers(1, 9, 80))
    res = MCLP.from_geodataframe(demand, cands, p=6, service_radius_m=700.0, weight_col="w").solve()
    chosen = res.to_gdf()
    assert len(chosen) == 6
    assert not chosen.intersects(park.geometry.iloc[0]).any()
    assert (chosen.distance(homes.union_all()) >= 600.0).all()
    g = chosen.geometry.to_numpy()
    gaps = shapely.distance(g[:, None], g[None, :])
    assert (gaps[~np.eye(6, dtype=bool)] >= 450.0).all()


def test_walking_mode_on_a_street_grid() -> None:
    from geo.network import build_network_from_roads

    lines = [LineString([(X0 + i * 500, Y0), (X0 + i * 500, Y0 + 2000)]) for i in range(5)]
    lines += [LineString([(X0, Y0 + i * 500), (X0 + 2000, Y0 + i * 500)]) for i in range(5)]
    roads = gpd.GeoDataFrame({"edge_id": range(10)}, geometry=lines, crs=GK)
    # split the long lines at crossings so the network is noded
    roads = gpd.GeoDataFrame(
        geometry=list(shapely.get_parts(shapely.node(shapely.union_all(roads.geometry)))), crs=GK
    )
    net = build_network_from_roads(roads)
    cands = network_candidates(roads, every_m=250.0)
    rng = np.random.default_rng(4)
    demand = _points([tuple(p) for p in rng.uniform(0, 2000, (40, 2))], w=rng.integers(1, 9, 40))
    walk = MCLP.from_geodataframe(
        demand, cands, p=3, service_radius_m=400.0, weight_col="w", mode="network", network=net
    )
    straight = MCLP.from_geodataframe(demand, cands, p=3, service_radius_m=400.0, weight_col="w")
    assert walk.costs.mode == "network"
    # walking is never shorter than the straight line, so it covers no more
    w_rows, w_cols = walk.costs.matrix.nonzero()
    w_d = walk.costs.matrix.toarray()[w_rows, w_cols]
    s_d = straight.costs.matrix.toarray()[w_rows, w_cols]
    assert len(w_d) > 0 and (s_d > 0).all() and (w_d >= s_d - 1e-6).all()
    assert walk.solve().objective <= straight.solve().objective
