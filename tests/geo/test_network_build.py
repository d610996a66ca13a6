"""Building walking networks from arrays and the demo CSV pair: walking filter, merged
directions, largest component, lengths in metres, CSR arrays, save and reload."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import CRS, Geod

from geo import NetworkError
from geo.network import (
    Network,
    build_network_from_arrays,
    load_network,
    network_path_for,
    save_network,
)
from tests.geo.conftest import GK117, ORIGIN, grid


def _square(offset: float, ids: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xy = ORIGIN + offset + np.array([[0, 0], [100, 0], [100, 100], [0, 100]], dtype=float)
    u = np.array([ids[0], ids[1], ids[2], ids[3]])
    v = np.array([ids[1], ids[2], ids[3], ids[0]])
    return xy, u, v


def test_largest_component_kept_and_the_rest_reported() -> None:
    xy1, u1, v1 = _square(0.0, [0, 1, 2, 3])
    xy2, u2, v2 = _square(5000.0, [10, 11, 12, 13])
    # a third part: one lone street of 30 m
    xy3 = ORIGIN + np.array([[9000.0, 0.0], [9030.0, 0.0]])
    net = build_network_from_arrays(
        [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 99],
        np.vstack([xy1, xy2, xy3, ORIGIN + np.array([1e4, 1e4])]),
        np.r_[u1, u2, 20, 0],
        np.r_[v1, v2, 21, 2],  # the diagonal 0-2 makes the first square the biggest
        crs=GK117,
    )
    assert net.n_nodes == 4 and net.n_edges == 5
    assert sorted(net.node_ids.tolist()) == [0, 1, 2, 3]
    rep = net.report
    assert rep.dropped_components == 2
    assert rep.dropped_nodes == 6 and rep.dropped_edges == 5
    assert rep.dropped_length_m == pytest.approx(400 + 30)
    assert rep.largest_dropped_nodes == 4
    assert rep.length_m == pytest.approx(400 + 100 * np.sqrt(2))
    # the dropped parts, longest first, with where they are and why
    assert [p["length_m"] for p in rep.dropped_parts] == pytest.approx([400, 30])
    assert [p["cause"] for p in rep.dropped_parts] == ["isolated", "isolated"]
    assert rep.dropped_parts[0]["bbox"] == pytest.approx(
        [ORIGIN[0] + 5000, ORIGIN[1] + 5000, ORIGIN[0] + 5100, ORIGIN[1] + 5100]
    )


def test_walking_filter_and_its_report() -> None:
    ids = np.arange(4)
    xy = ORIGIN + np.column_stack([ids * 100.0, np.zeros(4)])
    highway = ["residential", "motorway", "footway"]
    net = build_network_from_arrays(ids, xy, [0, 1, 2], [1, 2, 3], crs=GK117, highway=highway)
    # the motorway cuts the line: the first street and the footway are separate parts
    assert net.report.ways == 3 and net.report.filtered_ways == 1
    assert net.report.filtered_classes == {"motorway": 1}
    # the footway is cut off by the filtered motorway, and the report says so
    (part,) = net.report.dropped_parts
    assert part["cause"] == "filtered" and part["classes"] == ["motorway"]
    assert part["nodes"] == 2 and part["length_m"] == pytest.approx(100.0)
    assert part["x"] == pytest.approx(ORIGIN[0] + 250.0)
    assert net.n_edges == 1 and net.report.dropped_components == 1
    only = build_network_from_arrays(
        ids, xy, [0, 1, 2], [1, 2, 3], crs=GK117, highway=highway, include_highways={"motorway"}
    )
    assert only.edge_highway.tolist() == ["motorway"]


def test_both_directions_become_one_segment_and_oneway_is_optional() -> None:
    ids = np.arange(3)
    xy = ORIGIN + np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]])
    # 0-1 listed in both directions (two-way); 1 → 2 and 2 → 0 one-way: a loop
    u, v = [0, 1, 1, 2], [1, 0, 2, 0]
    oneway = np.array([0, 0, 1, "yes"], dtype=object)
    walk = build_network_from_arrays(ids, xy, u, v, crs=GK117, oneway=oneway)
    assert walk.n_edges == 3 and not walk.directed
    assert len(walk.indices) == 6  # both directions of every segment
    strict = build_network_from_arrays(ids, xy, u, v, crs=GK117, oneway=oneway, respect_oneway=True)
    assert strict.directed and strict.n_edges == 3
    seg = int(np.flatnonzero(strict.node_ids[strict.edge_v] == 2)[0])
    assert strict.edge_forward[seg] and not strict.edge_backward[seg]
    assert len(strict.indices) == 4
    # a one-way dead end is not strongly connected: dropped when one-way is respected
    dead = build_network_from_arrays(
        ids, xy, [0, 1], [1, 2], crs=GK117, oneway=[0, 1], respect_oneway=True
    )
    assert dead.n_nodes == 2 and dead.report.dropped_nodes == 1
    assert [p["cause"] for p in dead.report.dropped_parts] == ["oneway"]


def test_parallel_segments_keep_the_shortest_in_the_graph() -> None:
    net = build_network_from_arrays(
        [0, 1, 2],
        ORIGIN + np.array([[0.0, 0], [100, 0], [0, 100]]),
        [0, 0, 1],
        [1, 2, 2],
        crs=GK117,
    )
    graph = net.graph
    assert graph[0, 1] == pytest.approx(100.0)
    assert graph[1, 2] == pytest.approx(100 * np.sqrt(2))
    assert (graph != graph.T).nnz == 0


def test_lon_lat_is_projected_and_lengths_are_geodesic_metres() -> None:
    lonlat = np.array([[116.39, 39.90], [116.40, 39.90], [116.40, 39.91]])
    net = build_network_from_arrays([1, 2, 3], lonlat, [1, 2], [2, 3], crs="EPSG:4326")
    assert CRS.from_wkt(net.crs).to_epsg() == 4548  # Gauss-Krüger zone CM 117E
    geod = Geod(ellps="GRS80")
    expected = [geod.inv(*lonlat[0], *lonlat[1])[2], geod.inv(*lonlat[1], *lonlat[2])[2]]
    got = sorted(net.edge_length_m)
    assert got == pytest.approx(sorted(expected), rel=2e-4)


def test_unknown_nodes_are_refused() -> None:
    with pytest.raises(NetworkError, match="unknown nodes"):
        build_network_from_arrays([0, 1], ORIGIN + np.eye(2), [0], [5], crs=GK117)


def test_demo_csv_network(demo_walk_network: Network, raw_dir: Path) -> None:
    net = demo_walk_network
    rep = net.report
    assert 20_000 < net.n_nodes < 32_552
    assert rep.nodes == net.n_nodes and rep.edges == net.n_edges
    assert {"motorway", "trunk", "platform", "cycleway"} <= set(rep.filtered_classes)
    assert "residential" not in rep.filtered_classes
    assert not ({"motorway", "trunk", "platform"} & set(net.edge_highway))
    assert rep.dropped_components > 0 and rep.dropped_nodes > 0
    # lengths recomputed in metres agree with the file's haversine chords
    edges = pd.read_csv(raw_dir / "beijing_walk_network" / "edges.csv")
    chord = edges.set_index(["u", "v"])["chord_m"]
    chord = chord[~chord.index.duplicated()]
    pairs = pd.MultiIndex.from_arrays([net.node_ids[net.edge_u], net.node_ids[net.edge_v]])
    known = chord.reindex(pairs).to_numpy()
    ok = np.isfinite(known) & (known > 20)
    assert ok.sum() > 10_000
    assert np.median(np.abs(net.edge_length_m[ok] / known[ok] - 1)) < 0.002


def test_csr_is_symmetric_and_consistent(demo_walk_network: Network) -> None:
    net = demo_walk_network
    graph = net.graph
    assert graph.shape == (net.n_nodes, net.n_nodes)
    assert abs(graph - graph.T).max() < 1e-9
    assert net.indices.dtype == np.int32 and net.indptr.dtype == np.int32
    # every segment's length is at least the straight distance between its ends
    chord = np.hypot(*(net.node_xy[net.edge_u] - net.node_xy[net.edge_v]).T)
    assert np.all(net.edge_length_m >= chord - 1e-6)


def test_save_and_reload_round_trip(demo_walk_network: Network, tmp_path: Path) -> None:
    store = tmp_path / "demo.gpkg"
    path = save_network(demo_walk_network, network_path_for(store))
    assert path.name == "demo.network.npz" and path.parent == tmp_path
    again = load_network(path)
    for name in ("node_xy", "node_ids", "edge_u", "edge_length_m", "geom_xy", "edge_name"):
        assert np.array_equal(getattr(again, name), getattr(demo_walk_network, name))
    assert again.report == demo_walk_network.report
    assert again.pyproj_crs == demo_walk_network.pyproj_crs
    assert not list(tmp_path.glob("*.tmp.npz"))


def test_load_refuses_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="no network file"):
        load_network(tmp_path / "nothing.npz")
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    with pytest.raises(NetworkError, match="not a network file"):
        load_network(tmp_path / "other.npz")


def test_progress_is_reported() -> None:
    stages: list[tuple[str, float]] = []
    net = grid(3, 3)
    assert net.n_nodes == 9
    build_network_from_arrays(
        net.node_ids,
        net.node_xy,
        net.node_ids[net.edge_u],
        net.node_ids[net.edge_v],
        crs=GK117,
        progress=lambda stage, done: stages.append((stage, done)),
    )
    fractions = [f for _, f in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(stages) >= 4


def test_a_short_repr_and_old_reports_still_read() -> None:
    from geo.network import BuildReport

    net = grid(3, 2, spacing_m=100.0)
    text = repr(net)
    assert text == ("Network(nodes=6, edges=7, length=0.7 km, crs=EPSG:4548, source='arrays')")
    assert len(text) < 120 and "array" not in text.replace("'arrays'", "")
    assert net.edges_gdf.crs == net.nodes_gdf.crs and len(net.edge_lines) == net.n_edges
    old = {"source": "x.osm", "nodes": 2, "edges": 1, "length_m": 5.0, "filtered_edges": 3}
    report = BuildReport.from_dict(old)
    assert report.filtered_ways == 3 and report.ways == 0 and report.dropped_parts == []
