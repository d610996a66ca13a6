"""Adjacency of demand units: rook and queen contiguity of polygons (checked against
libpysal), tolerance for sliver gaps, and Delaunay neighbours of points."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from libpysal.weights import Queen, Rook

from bench.synthetic_zones import synthetic_city
from geo._errors import AnalysisError, CRSMismatchError
from geo.zones import adjacency_edges, delaunay_adjacency, polygon_adjacency, unit_adjacency

CRS = "EPSG:4548"


def _squares(nx: int, ny: int, size: float = 100.0) -> gpd.GeoDataFrame:
    x, y = np.meshgrid(np.arange(nx) * size, np.arange(ny) * size)
    boxes = shapely.box(x.ravel(), y.ravel(), x.ravel() + size, y.ravel() + size)
    return gpd.GeoDataFrame(geometry=boxes, crs=CRS)


def _pairs(adj: object) -> set[tuple[int, int]]:
    a, b = adjacency_edges(adj)  # type: ignore[arg-type,unused-ignore]
    return set(zip(a.tolist(), b.tolist(), strict=True))


def test_grid_rook_and_queen_by_hand() -> None:
    grid = _squares(3, 3)
    rook = _pairs(polygon_adjacency(grid.geometry.values, contiguity="rook"))
    queen = _pairs(polygon_adjacency(grid.geometry.values, contiguity="queen"))
    assert len(rook) == 12
    assert (0, 1) in rook and (0, 3) in rook and (0, 4) not in rook
    assert len(queen) == 20 and (0, 4) in queen and (2, 4) in queen
    assert rook < queen


@pytest.mark.parametrize(("contiguity", "weights"), [("rook", Rook), ("queen", Queen)])
def test_matches_libpysal_on_irregular_blocks(contiguity: str, weights: Any) -> None:
    units, _ = synthetic_city(400, 10, seed=3)
    ours = _pairs(unit_adjacency(units, contiguity=contiguity))  # type: ignore[arg-type]
    w = weights.from_dataframe(units, use_index=False, silence_warnings=True)
    theirs = {(i, j) for i, nbrs in w.neighbors.items() for j in nbrs if i < j}
    assert ours == theirs
    assert len(ours) > 2.5 * len(units)


def test_tolerance_bridges_sliver_gaps() -> None:
    left = shapely.box(0, 0, 100, 100)
    right = shapely.box(100.5, 0, 200, 100)
    corner = shapely.box(200.3, 100.3, 300, 200)
    geoms = np.array([left, right, corner], dtype=object)
    assert _pairs(polygon_adjacency(geoms)) == set()
    assert _pairs(polygon_adjacency(geoms, tolerance_m=1.0)) == {(0, 1)}
    assert _pairs(polygon_adjacency(geoms, contiguity="queen", tolerance_m=1.0)) == {
        (0, 1),
        (1, 2),
    }


def test_delaunay_points() -> None:
    square = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0], [110.0, 110.0], [5000.0, 0.0]])
    adj = delaunay_adjacency(square)
    pairs = _pairs(adj)
    assert {(0, 1), (0, 2), (1, 3), (2, 3)} <= pairs
    assert (1, 2) in pairs and (0, 3) not in pairs  # the shorter diagonal of the square
    assert adj.shape == (5, 5) and (adj != adj.T).nnz == 0
    short = _pairs(delaunay_adjacency(square, max_edge_m=200.0))
    assert all(4 not in p for p in short)


def test_collinear_and_tiny_point_sets() -> None:
    line = np.array([[0.0, 0.0], [30.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
    assert _pairs(delaunay_adjacency(line)) == {(0, 2), (2, 3), (1, 3)}
    assert _pairs(delaunay_adjacency(line[:2])) == {(0, 1)}
    assert delaunay_adjacency(line[:1]).shape == (1, 1)


def test_unit_adjacency_refuses_lon_lat_and_mixed_geometry() -> None:
    grid = _squares(2, 2)
    with pytest.raises(CRSMismatchError):
        unit_adjacency(grid.to_crs(4326))
    mixed = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1), shapely.Point(5, 5)], crs=CRS)
    with pytest.raises(AnalysisError):
        unit_adjacency(mixed)
    points = gpd.GeoDataFrame(geometry=shapely.points([[0, 0], [1, 0], [0, 1]]), crs=CRS)
    assert len(_pairs(unit_adjacency(points))) == 3
