"""Nearest facility and cost matrices: hand-made graphs with known answers, and the demo
network against networkx's Dijkstra (points mid-edge included)."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import AnalysisError, EmptyInputError
from geo.distance import cost_matrix, cost_matrix_xy, nearest_facility, nearest_xy, node_distances
from geo.network import Network, build_network_from_arrays
from tests.geo.conftest import GK117, ORIGIN, grid, line

P = ORIGIN  # shorthand: points are ORIGIN + (x, y)


def test_cutoff_includes_the_boundary_and_excludes_beyond() -> None:
    net = line(3, 1000.0)  # 0 km, 1 km, 2 km
    fac = P + np.array([[0.0, 0.0]])
    dem = P + np.array([[500.0, 0.0], [1000.0, 0.0], [1000.5, 0.0], [2000.0, 0.0]])
    res = nearest_xy(dem, fac, network=net, cutoff_m=1000.0)
    assert res.distance_m[:2] == pytest.approx([500.0, 1000.0])
    assert np.isinf(res.distance_m[2:]).all() and (res.facility[2:] == -1).all()
    assert res.facility[:2].tolist() == [0, 0]


def test_ties_give_the_exact_distance_and_one_of_the_tied() -> None:
    net = line(3, 1000.0)
    fac = P + np.array([[0.0, 0.0], [2000.0, 0.0]])
    res = nearest_xy(P + np.array([[1000.0, 0.0]]), fac, network=net)
    assert res.distance_m == pytest.approx([1000.0])
    assert res.facility[0] in (0, 1)


def test_same_segment_and_several_facilities_on_one_segment() -> None:
    net = line(2, 1000.0)  # a single 1 km segment
    fac = P + np.array([[100.0, 0.0], [700.0, 0.0], [900.0, 0.0]])
    dem = P + np.array([[300.0, 0.0], [500.0, 0.0], [800.0, 0.0], [0.0, 0.0], [1000.0, 0.0]])
    res = nearest_xy(dem, fac, network=net)
    assert res.distance_m == pytest.approx([200.0, 200.0, 100.0, 100.0, 100.0])
    assert res.facility.tolist()[:3] in ([0, 0, 1], [0, 1, 1], [0, 0, 2], [0, 1, 2])
    matrix = cost_matrix_xy(dem, fac, network=net).matrix.toarray()
    expected = np.abs(dem[:, :1] - fac[:, 0]) + 0.0
    assert matrix == pytest.approx(expected)


def test_access_legs_are_added_unless_asked_not_to() -> None:
    net = line(3, 1000.0)
    fac = P + np.array([[0.0, 30.0]])
    dem = P + np.array([[600.0, -40.0]])
    assert nearest_xy(dem, fac, network=net).distance_m == pytest.approx([30 + 600 + 40])
    bare = nearest_xy(dem, fac, network=net, add_access=False)
    assert bare.distance_m == pytest.approx([600.0])
    assert bare.snap_m == pytest.approx([40.0])


def test_beyond_the_snap_limit_is_unreachable_never_zero() -> None:
    net = line(3, 1000.0)
    fac = P + np.array([[0.0, 0.0], [1000.0, 900.0]])  # the second is off the network
    dem = P + np.array([[1000.0, 900.0], [2000.0, 0.0]])  # the first sits on that facility
    res = nearest_xy(dem, fac, network=net, max_snap_m=500.0)
    assert res.facility_reachable.tolist() == [True, False]
    assert res.reachable.tolist() == [False, True]
    assert np.isinf(res.distance_m[0]) and res.facility[0] == -1
    assert res.distance_m[1] == pytest.approx(2000.0) and res.facility[1] == 0
    frame = res.to_frame(np.array(["A", "B"], dtype=object))
    assert np.isnan(frame["distance_m"].iloc[0]) and pd.isna(frame["facility_id"].iloc[0])
    matrix = cost_matrix_xy(dem, fac, network=net, max_snap_m=500.0).matrix
    assert matrix[[0], :].nnz == 0
    # in Euclidean mode the same point is at distance zero: a real zero, kept explicitly
    euclid = cost_matrix_xy(dem, fac, mode="euclidean", cutoff_m=100.0).matrix
    assert euclid.nnz == 1 and euclid[0, 1] == 0.0


def test_dropped_components_are_not_reached() -> None:
    # a 4 x 4 grid is kept; a lone street 3 km away is a dropped component
    base = grid(4, 4, spacing_m=100.0)
    ids = np.r_[base.node_ids, 100, 101]
    xy = np.vstack([base.node_xy, P + np.array([[3000.0, 0.0], [3100.0, 0.0]])])
    u = np.r_[base.node_ids[base.edge_u], 100]
    v = np.r_[base.node_ids[base.edge_v], 101]
    net = build_network_from_arrays(ids, xy, u, v, crs=GK117)
    assert net.report.dropped_components == 1 and net.report.dropped_nodes == 2
    dem = P + np.array([[3050.0, 0.0], [3050.0, 0.0]])
    res = nearest_xy(dem, P + np.array([[0.0, 0.0]]), network=net)
    assert not res.reachable.any() and np.isinf(res.distance_m).all()
    # with a generous snapping limit it is reached, the long way (walking to the grid)
    far = nearest_xy(dem[:1], P + np.array([[0.0, 0.0]]), network=net, max_snap_m=5000)
    assert far.distance_m == pytest.approx([3050.0 - 300.0 + 300.0])


def test_one_way_streets_when_respected() -> None:
    # a triangle walked one way round: 0 → 1 → 2 → 0, 100 m sides (2-0 is ~141 m)
    ids = np.arange(3)
    xy = P + np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]])
    net = build_network_from_arrays(
        ids, xy, [0, 1, 2], [1, 2, 0], crs=GK117, oneway=[1, 1, 1], respect_oneway=True
    )
    fac = xy[[1]]  # facility at node 1
    # from node 0 to the facility: 100 m along 0 → 1; from node 2: 2 → 0 → 1
    res = nearest_xy(xy[[0, 2]], fac, network=net)
    assert res.distance_m == pytest.approx([100.0, 100 * np.sqrt(2) + 100])
    walk = build_network_from_arrays(ids, xy, [0, 1, 2], [1, 2, 0], crs=GK117, oneway=[1, 1, 1])
    assert nearest_xy(xy[[0, 2]], fac, network=walk).distance_m == pytest.approx([100.0, 100.0])
    # a facility half-way along 0 → 1: node 1 has to go all the way round
    mid = P + np.array([[50.0, 0.0]])
    res = nearest_xy(xy, mid, network=net)
    assert res.distance_m == pytest.approx(
        [50.0, 100 + 100 * np.sqrt(2) + 50, 100 * np.sqrt(2) + 50]
    )
    # demand half-way along 1 → 2 walks on to 2, then 2 → 0 → the facility
    dem = P + np.array([[100.0, 50.0]])
    assert nearest_xy(dem, mid, network=net).distance_m == pytest.approx(
        [50 + 100 * np.sqrt(2) + 50]
    )


def test_euclidean_mode_matches_brute_force() -> None:
    rng = np.random.default_rng(4)
    dem, fac = rng.uniform(0, 2000, (200, 2)), rng.uniform(0, 2000, (15, 2))
    full = np.hypot(*(dem[:, None, :] - fac[None, :, :]).transpose(2, 0, 1))
    res = nearest_xy(dem, fac, mode="euclidean")
    assert res.distance_m == pytest.approx(full.min(axis=1))
    cm = cost_matrix_xy(dem, fac, mode="euclidean", cutoff_m=600.0)
    dense = np.where(full <= 600, full, 0.0)
    assert cm.matrix.toarray() == pytest.approx(dense)
    assert cm.matrix.nnz == int((full <= 600).sum())
    k2 = cost_matrix_xy(dem, fac, mode="euclidean", cutoff_m=600.0, k=2).matrix
    expect = np.sort(np.where(full <= 600, full, np.inf), axis=1)[:, :2]
    got = np.sort(np.where(k2.toarray() > 0, k2.toarray(), np.inf), axis=1)[:, :2]
    assert got == pytest.approx(expect)


def test_errors_are_clear() -> None:
    with pytest.raises(AnalysisError, match="needs a network"):
        nearest_xy(P[None], P[None], mode="network")
    with pytest.raises(AnalysisError, match="unknown mode"):
        nearest_xy(P[None], P[None], mode="walk")  # type: ignore[arg-type]
    with pytest.raises(EmptyInputError):
        nearest_xy(P[None], np.zeros((0, 2)), mode="euclidean")
    with pytest.raises(AnalysisError, match="k must"):
        cost_matrix_xy(P[None], P[None], mode="euclidean", k=0)


# --- the demo network against networkx ---------------------------------------------------


def _on_edges(net: Network, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random points mid-edge (on the segment polylines, which are chords here)."""
    e = rng.integers(0, net.n_edges, n)
    t = rng.uniform(0.05, 0.95, n)
    a, b = net.node_xy[net.edge_u[e]], net.node_xy[net.edge_v[e]]
    return a + (b - a) * t[:, None]


def _networkx_reference(net: Network, demand: np.ndarray, facilities: np.ndarray) -> np.ndarray:
    """Distances by networkx on the same graph, the points inserted by hand: each point
    splits the segment mzgis snapped it to (both checked to lie on it)."""
    from geo.snap import snap_points

    graph = nx.Graph()
    for u, v, w in zip(net.edge_u, net.edge_v, net.edge_length_m, strict=True):
        if not graph.has_edge(int(u), int(v)) or graph[int(u)][int(v)]["w"] > w:
            graph.add_edge(int(u), int(v), w=float(w))
    points = {("d", i): p for i, p in enumerate(demand)} | {
        ("f", j): p for j, p in enumerate(facilities)
    }
    snapped = snap_points(np.array(list(points.values())), net)
    assert snapped.snap_m.max() < 1e-6
    by_edge: dict[int, list[tuple[float, tuple[str, int]]]] = {}
    for key, e, s in zip(points, snapped.edge, snapped.offset_m, strict=True):
        by_edge.setdefault(int(e), []).append((float(s), key))
    for e, stops in by_edge.items():
        prev: int | tuple[str, int] = int(net.edge_u[e])
        at = 0.0
        for s, key in sorted(stops):
            graph.add_edge(prev, key, w=s - at)
            prev, at = key, s
        graph.add_edge(prev, int(net.edge_v[e]), w=float(net.edge_length_m[e]) - at)
    ref = np.full((len(demand), len(facilities)), np.inf)
    for j in range(len(facilities)):
        found = nx.single_source_dijkstra_path_length(graph, ("f", j), weight="w")
        for i in range(len(demand)):
            ref[i, j] = found.get(("d", i), np.inf)
    return ref


def test_demo_distances_equal_networkx(demo_walk_network: Network) -> None:
    net = demo_walk_network
    rng = np.random.default_rng(2024)
    lo, hi = np.percentile(net.node_xy, [35, 65], axis=0)
    inner = np.flatnonzero(((net.node_xy >= lo) & (net.node_xy <= hi)).all(axis=1))
    keep = np.isin(net.edge_u, inner)
    sub_edges = np.flatnonzero(keep)
    pick = sub_edges[rng.integers(0, len(sub_edges), 40)]
    t = rng.uniform(0.05, 0.95, (40, 1))
    pts = (
        net.node_xy[net.edge_u[pick]]
        + (net.node_xy[net.edge_v[pick]] - net.node_xy[net.edge_u[pick]]) * t
    )
    demand, facilities = pts[:30], pts[30:]
    # one demand point on a facility's segment, between it and the segment's end
    ref = _networkx_reference(net, demand, facilities)
    cm = cost_matrix_xy(demand, facilities, network=net, add_access=False)
    got = np.full(ref.shape, np.inf)
    coo = cm.matrix.tocoo()
    got[coo.row, coo.col] = coo.data
    assert np.isfinite(ref).all()
    assert np.abs(got - ref).max() < 0.01
    nearest = nearest_xy(demand, facilities, network=net, add_access=False)
    assert np.abs(nearest.distance_m - ref.min(axis=1)).max() < 0.01
    assert np.allclose(ref[np.arange(30), nearest.facility], ref.min(axis=1), atol=0.01)
    # k nearest within a cutoff: the k smallest of each row
    k3 = cost_matrix_xy(demand, facilities, network=net, add_access=False, cutoff_m=3000, k=3)
    for i in range(30):
        row = k3.matrix[[i], :].tocoo()
        want = np.sort(ref[i][ref[i] <= 3000])[:3]
        assert np.sort(row.data) == pytest.approx(want, abs=0.01)


def test_node_distances_equal_networkx(demo_walk_network: Network) -> None:
    net = demo_walk_network
    rng = np.random.default_rng(8)
    sources = rng.choice(net.n_nodes, 25, replace=False)
    dist, which = node_distances(net, net.node_xy[sources], cutoff_m=1500.0)
    graph = nx.Graph()
    graph.add_weighted_edges_from(
        zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length_m.tolist(), strict=True)
    )
    ref = nx.multi_source_dijkstra_path_length(graph, set(sources.tolist()), cutoff=1500.0)
    expect = np.full(net.n_nodes, np.inf)
    expect[list(ref)] = list(ref.values())
    assert np.array_equal(np.isfinite(dist), np.isfinite(expect))
    ok = np.isfinite(dist)
    assert np.abs(dist[ok] - expect[ok]).max() < 0.01
    assert (which[ok] >= 0).all() and (which[~ok] == -1).all()


def test_frames_in_lon_lat_and_ids(demo_walk_network: Network) -> None:
    net = demo_walk_network
    rng = np.random.default_rng(3)
    pts = _on_edges(net, 12, rng)
    frame = gpd.GeoDataFrame(
        {"pid": [f"p{i}" for i in range(12)]}, geometry=shapely.points(pts), crs=net.pyproj_crs
    ).to_crs(4326)
    demand, facilities = frame.iloc[:9], frame.iloc[9:].set_index("pid")
    out = nearest_facility(demand, facilities, network=net)
    assert out.index.equals(demand.index)
    assert set(out["facility_id"]) <= {"p9", "p10", "p11"}
    cm = cost_matrix(demand, facilities, network=net, demand_id="pid", cutoff_m=1e9)
    assert list(cm.facility_ids) == ["p9", "p10", "p11"] and cm.demand_ids[0] == "p0"
    best = cm.matrix.toarray().min(axis=1)
    assert best == pytest.approx(out["distance_m"].to_numpy(), abs=0.01)
