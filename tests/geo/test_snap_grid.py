"""Snapping large batches through the cell grid: the same answers as the KD-tree path
and as brute force, to the millimetre."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo._segment_grid import PieceArrays, SegmentGrid, piece_distances
from geo.distance import nearest_xy
from geo.network import Network, build_network_from_arrays
from geo.snap import _GRID_FROM, Snapped, snap_points
from tests.geo.conftest import GK117, ORIGIN


def _jittered_grid(side: int, spacing_m: float, seed: int) -> Network:
    """A street grid with jittered nodes and 8 % of the streets removed (merged blocks,
    so some points are far from every street)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    iy, ix = np.divmod(np.arange(side * side), side)
    xy = ORIGIN + np.column_stack([ix, iy]) * spacing_m
    xy += rng.uniform(-0.2, 0.2, xy.shape) * spacing_m
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.08
    return build_network_from_arrays(np.arange(side * side), xy, u[keep], v[keep], crs=GK117)


def _points(net: Network, n: int, seed: int) -> np.ndarray:
    """Random points over the network and 300 m beyond, some exactly on nodes and on
    polyline vertices, one NaN."""
    rng = np.random.default_rng(seed)
    lo, hi = net.node_xy.min(axis=0) - 300, net.node_xy.max(axis=0) + 300
    pts = rng.uniform(lo, hi, (n, 2))
    pts[:200] = net.node_xy[rng.choice(net.n_nodes, 200, replace=False)]
    pts[200:300] = net.geom_xy[rng.choice(len(net.geom_xy), 100, replace=False)]
    pts[300] = np.nan
    return pts


def _in_small_batches(pts: np.ndarray, net: Network) -> Snapped:
    """The KD-tree path: batches below the grid's threshold."""
    parts = [
        snap_points(pts[i : i + _GRID_FROM // 4], net, max_snap_m=200)
        for i in range(0, len(pts), _GRID_FROM // 4)
    ]
    return Snapped(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("edge", "offset_m", "snap_m")),
        xy=np.concatenate([p.xy for p in parts]),
        max_snap_m=200.0,
    )


def test_grid_path_equals_the_tree_path_to_the_millimetre() -> None:
    net = _jittered_grid(120, 40.0, seed=3)
    pts = _points(net, 3 * _GRID_FROM // 2, seed=4)
    grid = snap_points(pts, net, max_snap_m=200)  # one batch: through the grid
    tree = _in_small_batches(pts, net)
    assert (grid.ok == tree.ok).all() and 0 < tree.ok.sum() < len(pts)
    ok = tree.ok
    assert grid.snap_m[ok] == pytest.approx(tree.snap_m[ok], abs=1e-9)
    assert grid.xy[ok] == pytest.approx(tree.xy[ok], abs=1e-6)
    # the same segment and offset, except where two segments are equally near (a point
    # whose closest place is a street corner): then the same position
    same = grid.edge == tree.edge
    assert same.mean() > 0.99
    assert grid.offset_m[ok & same] == pytest.approx(tree.offset_m[ok & same], abs=1e-6)
    # points lying on nodes take the node shortcut on both paths
    assert (grid.edge[:200] == tree.edge[:200]).all() and (grid.snap_m[:200] == 0).all()
    assert grid.edge[300] == -1 and np.isinf(grid.snap_m[300])


def test_grid_path_is_exact_against_brute_force() -> None:
    net = _jittered_grid(110, 30.0, seed=5)
    pts = _points(net, _GRID_FROM + 500, seed=6)[301:]
    snapped = snap_points(pts, net, max_snap_m=1000)
    lines = net.edge_lines
    (_, idx), dist = shapely.STRtree(lines).query_nearest(
        shapely.points(pts), return_distance=True, all_matches=False
    )
    assert snapped.ok.all()
    assert snapped.snap_m == pytest.approx(dist, abs=1e-6)
    on = shapely.distance(shapely.points(snapped.xy), lines[snapped.edge])
    assert on.max() < 1e-6
    # another segment only where two are equally near: at a street end or corner
    differ = snapped.edge != idx
    length = net.edge_length_m[snapped.edge]
    at_end = (snapped.offset_m <= 1e-6) | (snapped.offset_m >= length - 1e-6)
    assert at_end[differ].all()


def test_segment_grid_settles_only_exact_answers() -> None:
    """Random pieces of every length (long ones cut into sub-pieces), points inside and
    outside the grid: every settled point has the brute-force nearest distance, and the
    cells around a far point are searched before giving up."""
    rng = np.random.default_rng(8)
    a = rng.uniform(0, 2000, (800, 2))
    b = a + rng.normal(0, 1, (800, 2)) * rng.choice([5.0, 40.0, 400.0], (800, 1))
    b[:5] = a[:5]  # zero-length pieces
    arrays = PieceArrays.from_ends(a, b)
    length = np.hypot(*(b - a).T)
    n_sub = np.maximum(1, np.ceil(length / 25.0)).astype(np.int64)
    grid = SegmentGrid(arrays, n_sub, cell_m=20.0, margin_m=15.0)
    pts = rng.uniform(-300, 2300, (4000, 2))
    hits = grid.nearest(pts)
    every = np.arange(len(a))
    brute, _ = piece_distances(arrays, pts[:, :1], pts[:, 1:], every[None, :])
    nearest = brute.min(axis=1)
    settled = hits.settled
    assert settled.mean() > 0.6
    assert (hits.dist[settled] == nearest[settled]).all()
    assert (hits.piece[settled] >= 0).all()
    # inside the grid a piece within the margin always settles; beyond the margin plus
    # the widest look around (2.5 cells) nothing does: the tree takes those
    cell = np.floor((pts - grid.origin) / grid.cell_m)
    inside = ((cell >= 0) & (cell < [grid.nx, grid.ny])).all(axis=1)
    assert settled[inside & (nearest <= 15.0)].all()
    assert not settled[nearest > 15.0 + 50.0].any()
    assert settled[inside & (nearest > 15.0) & (nearest <= 65.0)].any()


def test_walking_distances_through_the_grid_equal_small_batches() -> None:
    net = _jittered_grid(120, 40.0, seed=9)
    rng = np.random.default_rng(10)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    pts = rng.uniform(lo, hi, (_GRID_FROM + 2000, 2))
    fac = rng.uniform(lo, hi, (25, 2))
    whole = nearest_xy(pts, fac, network=net)  # demand snapped through the grid
    step = _GRID_FROM // 4
    parts = [nearest_xy(pts[i : i + step], fac, network=net) for i in range(0, len(pts), step)]
    distance = np.concatenate([p.distance_m for p in parts])
    facility = np.concatenate([p.facility for p in parts])
    assert np.isfinite(distance).all()
    assert whole.distance_m == pytest.approx(distance, abs=1e-6)
    assert (whole.facility == facility).mean() > 0.999


def test_large_batch_in_the_snap_index_order_equals_the_given_order() -> None:
    """A large batch is searched cell by cell and put back: the same answers, point for
    point, as the same snapped points searched in the order given."""
    from geo.network.search import nearest_search

    net = _jittered_grid(120, 40.0, seed=12)
    rng = np.random.default_rng(13)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    pts = rng.uniform(lo - 100, hi + 100, (_GRID_FROM + 3000, 2))
    fac = rng.uniform(lo, hi, (30, 2))
    order = net.snap_index.order(pts)
    assert order is not None and not (order == np.arange(len(pts))).all()
    snapped = snap_points(pts, net, max_snap_m=60.0)
    ordered, given = (
        nearest_search(net, pts, fac, cutoff_m=900.0, max_snap_m=60.0, add_access=True, demand=d)
        for d in (None, snapped)
    )
    assert 0 < np.isfinite(given.distance_m).mean() < 1
    assert (ordered.facility == given.facility).all()
    assert ordered.distance_m == pytest.approx(given.distance_m, abs=1e-9)
    assert (ordered.reachable == given.reachable).all()
    assert np.array_equal(ordered.snap_m, given.snap_m)
