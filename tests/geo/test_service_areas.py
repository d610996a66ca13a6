"""Service areas built from reached streets (not hulls), in both modes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import AnalysisError
from geo.coverage import service_areas
from tests.geo.conftest import GK117, ORIGIN, grid, line

P = ORIGIN


def _facilities(xy: list[list[float]]) -> gpd.GeoDataFrame:
    ids = [f"F{i}" for i in range(len(xy))]
    pts = shapely.points(P + np.asarray(xy, dtype=float))
    return gpd.GeoDataFrame({"fid": ids}, geometry=pts, crs=GK117).set_index("fid")


def test_reach_along_a_street_at_several_radii() -> None:
    net = line(3, 1000.0)
    areas = service_areas(_facilities([[1000, 0]]), network=net, tiers_m=(300, 500))
    assert areas["facility_id"].tolist() == ["F0", "F0"]
    assert areas["radius_m"].tolist() == [300.0, 500.0]
    assert areas["reached_length_m"].to_numpy() == pytest.approx([600.0, 1000.0])
    ring = areas.geometry.iloc[1]
    inside = shapely.points(P + np.array([[1400.0, 0], [1480.0, 20], [600.0, -20]]))
    outside = shapely.points(P + np.array([[1560.0, 0], [1000.0, 60], [400.0, 0]]))
    assert shapely.contains(ring, inside).all() and not shapely.contains(ring, outside).any()


def test_access_leg_counts_against_the_radius() -> None:
    net = line(3, 1000.0)
    areas = service_areas(_facilities([[1000, 100]]), network=net, tiers_m=(500,))
    assert areas["reached_length_m"].to_numpy() == pytest.approx([800.0])
    flat = service_areas(_facilities([[1000, 100]]), network=net, tiers_m=(500,), add_access=False)
    assert flat["reached_length_m"].to_numpy() == pytest.approx([1000.0])


def test_each_overlaps_nearest_partitions() -> None:
    net = line(3, 1000.0)
    fac = _facilities([[500, 0], [1500, 0]])
    each = service_areas(fac, network=net, tiers_m=(1000,))
    assert each["reached_length_m"].to_numpy() == pytest.approx([1500.0, 1500.0])
    nearest = service_areas(fac, network=net, tiers_m=(1000,), how="nearest")
    assert nearest["reached_length_m"].to_numpy() == pytest.approx([1000.0, 1000.0])
    a, b = nearest.geometry
    assert a.intersection(b).area < 2 * np.pi * 25**2  # only the buffers' rounded ends meet


def test_area_has_holes_where_blocks_are_not_reached() -> None:
    net = grid(5, 5, spacing_m=100.0)
    area = service_areas(_facilities([[200, 200]]), network=net, tiers_m=(250,)).geometry.iloc[0]
    reached = shapely.points(P + np.array([[200.0, 400.0], [400.0, 240.0], [50.0, 200.0]]))
    block_middles = shapely.points(P + np.array([[250.0, 250.0], [150.0, 150.0]]))
    too_far = shapely.points(P + np.array([[400.0, 400.0], [0.0, 0.0]]))
    assert shapely.contains(area, reached).all()
    assert not shapely.contains(area, block_middles).any()  # not a hull
    assert not shapely.contains(area, too_far).any()


def test_euclidean_circles_and_errors() -> None:
    fac = _facilities([[0, 0], [1000, 0]])
    circles = service_areas(fac, mode="euclidean", tiers_m=(500,))
    assert circles.geometry.iloc[0].area == pytest.approx(np.pi * 500**2, rel=0.01)
    cells = service_areas(fac, mode="euclidean", tiers_m=(800,), how="nearest")
    assert cells.to_crs(GK117).geometry.iloc[0].bounds[2] == pytest.approx(P[0] + 500, abs=1)
    with pytest.raises(AnalysisError, match="how must"):
        service_areas(fac, mode="euclidean", how="all")
    with pytest.raises(AnalysisError, match="needs a network"):
        service_areas(fac, mode="network")


def test_euclidean_nearest_cells_with_co_located_facilities() -> None:
    fac = _facilities([[0, 0], [0, 0], [1000, 0]])
    cells = service_areas(fac, mode="euclidean", tiers_m=(800,), how="nearest").to_crs(GK117)
    assert len(cells) == 3
    # the two facilities at one place share the western cell, cut at the bisector
    assert cells.geometry.iloc[0].equals(cells.geometry.iloc[1])
    assert cells.geometry.iloc[0].bounds[2] == pytest.approx(P[0] + 500, abs=1)
    assert cells.geometry.iloc[2].bounds[0] == pytest.approx(P[0] + 500, abs=1)
