"""Snapping points to the nearest segment: positions, offsets, limits, exactness."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import AnalysisError
from geo.network import Network, build_network_from_roads
from geo.projection import points_xy
from geo.snap import SnapIndex, snap_points
from tests.geo.conftest import GK117, ORIGIN, grid, line


def test_mid_edge_point_snaps_to_the_edge_not_the_node() -> None:
    net = line(3, 1000.0)  # 0 ---- 1 ---- 2, 1 km apart
    snapped = snap_points(ORIGIN + np.array([[250.0, 40.0], [1600.0, -30.0]]), net)
    assert snapped.ok.all()
    assert snapped.snap_m == pytest.approx([40.0, 30.0])
    first = net.edge_u[snapped.edge[0]], net.edge_v[snapped.edge[0]]
    assert sorted(net.node_ids[list(first)].tolist()) == [0, 1]
    # the offset runs from the segment's u end
    starts = net.node_xy[net.edge_u[snapped.edge], 0] - ORIGIN[0]
    along = np.abs(np.array([250.0, 1600.0]) - starts)
    assert snapped.offset_m == pytest.approx(along)
    assert snapped.xy == pytest.approx(ORIGIN + np.array([[250.0, 0.0], [1600.0, 0.0]]))


def test_offset_follows_a_bent_polyline() -> None:
    # one L-shaped street: (0,0) → (100,0) → (100,100)
    road = shapely.LineString(ORIGIN + np.array([[0.0, 0], [100, 0], [100, 100]]))
    net = build_network_from_roads(gpd.GeoDataFrame(geometry=[road], crs=GK117))
    assert net.edge_length_m == pytest.approx([200.0])
    snapped = snap_points(ORIGIN + np.array([[110.0, 60.0]]), net)
    assert snapped.snap_m == pytest.approx([10.0])
    expected = 160.0 if net.node_xy[net.edge_u[0], 1] == ORIGIN[1] else 40.0
    assert snapped.offset_m == pytest.approx([expected])


def test_points_beyond_the_limit_do_not_snap() -> None:
    net = line(2, 100.0)
    snapped = snap_points(ORIGIN + np.array([[50.0, 99.0], [50.0, 101.0]]), net, max_snap_m=100)
    assert snapped.ok.tolist() == [True, False]
    assert snapped.edge[1] == -1 and np.isinf(snapped.snap_m[1])
    assert np.isnan(snapped.offset_m[1]) and np.isnan(snapped.xy[1]).all()


def test_snapping_is_exact_against_brute_force(demo_walk_network: Network) -> None:
    net = demo_walk_network
    rng = np.random.default_rng(11)
    lo, hi = np.percentile(net.node_xy, [20, 80], axis=0)
    pts = rng.uniform(lo, hi, (300, 2))
    snapped = snap_points(pts, net, max_snap_m=5000)
    lines = net.edge_lines
    tree = shapely.STRtree(lines)
    nearest = tree.query_nearest(shapely.points(pts), return_distance=True, all_matches=False)
    (_, idx), dist = nearest
    assert snapped.ok.all()
    assert snapped.snap_m == pytest.approx(dist, abs=1e-6)
    # ties aside, the same segment; in every case the snapped point is on the chosen one
    on = shapely.distance(shapely.points(snapped.xy), lines[snapped.edge])
    assert on.max() < 1e-6
    assert (snapped.edge == idx).mean() > 0.98


def test_points_on_nodes_snap_with_zero_distance(demo_walk_network: Network) -> None:
    net = demo_walk_network
    nodes = np.random.default_rng(5).choice(net.n_nodes, 200, replace=False)
    snapped = snap_points(net.node_xy[nodes], net)
    assert snapped.snap_m.max() < 1e-6


def test_index_is_reusable_with_any_spacing() -> None:
    net = grid(5, 5, spacing_m=100)
    pts = ORIGIN + np.random.default_rng(2).uniform(0, 400, (200, 2))
    coarse = SnapIndex(net, spacing_m=400).snap(pts)
    fine = SnapIndex(net, spacing_m=5).snap(pts)
    assert coarse.snap_m == pytest.approx(fine.snap_m)
    # in a 100 m grid no point is farther than 50 m from a street
    assert fine.snap_m.max() <= 50 + 1e-9


def test_points_xy_reprojects_and_uses_points_inside_polygons() -> None:
    square = shapely.box(*(ORIGIN - 50), *(ORIGIN + 50))
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(*ORIGIN), square], crs=GK117).to_crs(4326)
    xy = points_xy(frame, GK117)
    assert xy[0] == pytest.approx(ORIGIN, abs=1e-6)
    assert shapely.contains_xy(square, *xy[1])


def test_points_exactly_on_nodes_take_the_shortcut_and_agree() -> None:
    net = grid(4, 4, spacing_m=100)
    on_nodes = net.node_xy[[0, 5, 15]]
    off = ORIGIN + np.array([[150.0, 40.0]])
    mixed = snap_points(np.vstack([on_nodes, off]), net)
    assert mixed.snap_m == pytest.approx([0, 0, 0, 40.0])
    # a node point sits at an end of its segment
    ends = np.where(mixed.offset_m[:3] == 0, net.edge_u[mixed.edge[:3]], net.edge_v[mixed.edge[:3]])
    assert ends.tolist() == [0, 5, 15]
    assert mixed.offset_m[:3].tolist() == [
        0.0 if net.edge_u[e] == k else net.edge_length_m[e]
        for e, k in zip(mixed.edge[:3], [0, 5, 15], strict=True)
    ]
    # a hair off a node goes the tree way and lands on the same place
    near = snap_points(on_nodes + 1e-9, net)
    assert near.snap_m == pytest.approx([0, 0, 0], abs=1e-6)
    assert near.xy == pytest.approx(on_nodes)


def test_missing_geometries_are_refused_and_nan_points_never_snap() -> None:
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(*ORIGIN), None], crs=GK117)
    with pytest.raises(AnalysisError, match="no geometry"):
        points_xy(frame, GK117)
    snapped = snap_points(np.array([[np.nan, np.nan], ORIGIN + np.array([50.0, 10.0])]), grid(3, 3))
    assert snapped.edge[0] == -1 and np.isinf(snapped.snap_m[0])
    assert snapped.snap_m[1] == pytest.approx(10.0)
