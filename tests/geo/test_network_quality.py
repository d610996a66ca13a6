"""The network quality report on hand-made networks with known faults, and on the demo."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import layers
from geo.network import Network, build_network_from_arrays, build_network_from_roads
from geo.network.quality import (
    QualityOptions,
    check_network,
    chords,
    dead_end_clusters,
    dead_ends,
    missing_links,
)
from tests.geo.conftest import GK117, ORIGIN, grid


def _at(x_m: float, y_m: float) -> np.ndarray:
    return ORIGIN + np.array([x_m, y_m])


def _hairpin() -> Network:
    """Two parallel streets 20 m apart, each of five 100 m blocks (nodes ``A0..A5`` with
    ids 0..5 at y = 0 and ``B0..B5`` with ids 10..15 at y = 20), joined only at the east
    end: ``A_i`` to ``B_i`` is 20 m in straight line and ``2 * (5 - i) * 100 + 20`` m
    walking."""
    a = ORIGIN + np.column_stack([np.arange(6) * 100.0, np.zeros(6)])
    b = a + np.array([0.0, 20.0])
    ids = np.r_[np.arange(6), np.arange(10, 16)]
    u = np.r_[np.arange(5), np.arange(10, 15), 5]
    v = np.r_[np.arange(1, 6), np.arange(11, 16), 15]
    return build_network_from_arrays(ids, np.vstack([a, b]), u, v, crs=GK117)


def test_missing_links_are_the_close_pairs_far_apart_on_the_network() -> None:
    net = _hairpin()
    found = missing_links(net, straight_m=30.0, network_m=500.0)
    ends = [tuple(sorted(net.node_ids[_nodes_at(net, line)].tolist())) for line in found.geometry]
    assert sorted(ends) == [(0, 10), (1, 11), (2, 12)]  # A3-B3 is 420 m walking: fine
    assert found["network_m"].min() > 500 and np.allclose(found["straight_m"], 20.0)
    assert (found["severity"] == "medium").all()
    assert found["explanation_zh"].str.contains("直线相距 20 米").all()
    # joined at the west end too: nothing is missing
    closed = build_network_from_arrays(
        net.node_ids,
        net.node_xy,
        np.r_[net.node_ids[net.edge_u], 0],
        np.r_[net.node_ids[net.edge_v], 10],
        crs=GK117,
    )
    assert missing_links(closed).empty


def _nodes_at(net: Network, line: shapely.LineString) -> list[int]:
    xy = shapely.get_coordinates(line)
    return [int(np.argmin(np.hypot(*(net.node_xy - p).T))) for p in xy]


def test_a_cluster_of_dead_ends_is_found_and_lone_dead_ends_are_not() -> None:
    base = grid(6, 6, spacing_m=100.0)  # nodes 0..35, no dead end
    assert len(dead_ends(base)) == 0
    centre = _at(700.0, 250.0)  # east of the grid, joined to node 17 (500, 200)
    spokes = centre + np.array([[20.0, 0], [0, 20], [-20, 0], [0, -20]])
    lone = ORIGIN + np.array([[-300.0, 0.0], [-300.0, 500.0]])  # two far-apart dead ends
    ids = np.r_[np.arange(36), 100, 101, 102, 103, 104, 200, 201]
    xy = np.vstack([base.node_xy[np.argsort(base.node_ids)], centre, spokes, lone])
    spokes_pairs = [(17, 100), (100, 101), (100, 102), (100, 103), (100, 104)]
    pairs = [*_grid_pairs(6, 6), *spokes_pairs, (0, 200), (30, 201)]
    u, v = np.array(pairs).T
    net = build_network_from_arrays(ids, xy, u, v, crs=GK117)
    assert sorted(net.node_ids[dead_ends(net)].tolist()) == [101, 102, 103, 104, 200, 201]
    found = dead_end_clusters(net, radius_m=50.0, min_size=3)
    assert len(found) == 1 and found["nodes"].iloc[0] == 4
    assert found.geometry.iloc[0].contains(shapely.points(spokes)).all()
    assert found["explanation_en"].iloc[0].startswith("4 dead ends")
    assert dead_end_clusters(net, radius_m=10.0).empty


def _grid_pairs(nx: int, ny: int) -> list[tuple[int, int]]:
    ids = np.arange(nx * ny)
    pairs = [(int(i), int(i) + 1) for i in ids if i % nx < nx - 1]
    return pairs + [(int(i), int(i) + nx) for i in ids if i // nx < ny - 1]


def test_a_long_straight_edge_is_a_chord_and_a_shaped_one_is_not() -> None:
    roads = gpd.GeoDataFrame(
        {"highway": ["residential"] * 3, "name": ["直街", "弯街", "短街"]},
        geometry=[
            shapely.LineString([ORIGIN, _at(400.0, 0)]),
            shapely.LineString([_at(400.0, 0), _at(600, 100), _at(800, 0)]),
            shapely.LineString([ORIGIN, _at(0, 120.0)]),
        ],
        crs=GK117,
    )
    net = build_network_from_roads(roads)
    found = chords(net, min_length_m=300.0)
    assert found["name"].tolist() == ["直街"]
    assert found["length_m"].iloc[0] == pytest.approx(400.0)
    assert chords(net, min_length_m=500.0).empty
    assert len(chords(net, min_length_m=100.0)) == 2  # the curved street never


def test_check_network_lists_detours_with_names_and_everything_in_lon_lat() -> None:
    net = _hairpin()
    # a community just south of A0 and a station just north of B0: 40 m apart
    demand = gpd.GeoDataFrame(
        {"name": ["甲社区", "乙社区"], "street": ["东街道", "东街道"]},
        geometry=shapely.points([_at(0.0, -10.0), _at(500.0, -10.0)]),
        crs=GK117,
    )
    stations = gpd.GeoDataFrame(
        geometry=shapely.points([_at(0.0, 30.0), _at(500.0, 30.0)]), crs=GK117
    )
    q = check_network(net, demand=demand, targets=stations)
    assert q.detours is not None
    assert q.detours["straight_m"].tolist() == pytest.approx([40.0, 40.0])
    # from south of A0 the nearest station on foot is the east one: 10 + 500 + 20 + 10 m
    # (the west one is 1,020 m plus the two 10 m legs); at the east end 10 + 20 + 10
    assert q.detours["network_m"].tolist() == pytest.approx([540.0, 40.0])
    assert q.detours["walk_target"].tolist() == [1, 1] and q.detours["target"].tolist() == [0, 1]
    detour = q.findings[q.findings["kind"] == "detour"]
    assert detour["name"].tolist() == ["甲社区"] and detour["street"].tolist() == ["东街道"]
    assert detour["severity"].iloc[0] == "high"  # 13.5× is beyond twice the threshold
    assert "甲社区（东街道）" in detour["explanation_zh"].iloc[0]
    counts = q.counts()
    assert counts["missing_link"] == 3 and counts["detour"] == 1 and counts["chord"] == 0
    assert q.summary()["network"]["dead_ends"] == 2
    assert q.findings["severity"].iloc[0] == "high"  # worst first
    gdf = q.to_gdf()
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == len(q.findings)
    lonlat = gpd.GeoSeries(shapely.points(q.findings[["x", "y"]].to_numpy()), crs=GK117)
    assert np.allclose(gdf["lon"], lonlat.to_crs(4326).x) and gdf["lat"].between(39, 41).all()
    html = q.explore().get_root().render()
    assert '"kind": "missing_link"' in html and '"kind": "detour"' in html
    assert json.dumps("甲社区")[1:-1] in html
    # a stricter threshold lists nothing
    strict = check_network(
        net, demand=demand, targets=stations, options=QualityOptions(detour_ratio=30)
    )
    assert strict.counts()["detour"] == 0


def test_dropped_and_cut_off_parts_are_findings() -> None:
    ids = np.arange(4)
    xy = ORIGIN + np.column_stack([ids * 100.0, np.zeros(4)])
    net = build_network_from_arrays(
        ids, xy, [0, 1, 2], [1, 2, 3], crs=GK117, highway=["residential", "motorway", "footway"]
    )
    q = check_network(net)
    (row,) = q.findings.itertuples()
    assert row.kind == "cut_off" and "motorway" in row.explanation_en
    assert row.geometry.contains(shapely.Point(_at(250.0, 0.0)))
    assert q.summary()["network"]["components"] == 2


def test_the_demo_report_lists_er_re_among_the_detour_outliers(demo_store: Path) -> None:
    store = layers.open_store(demo_store)
    net = build_network_from_roads(store.read("roads"))
    communities = store.read("communities")
    streets = store.read("streets")
    communities["street"] = communities["street_code"].map(
        dict(zip(streets.code, streets.name, strict=True))
    )
    q = check_network(net, demand=communities, targets=store.read("stations"))
    detour = q.findings[q.findings["kind"] == "detour"]
    erre = detour[detour["name"].str.startswith("二热社区")]
    assert len(erre) == 1 and erre["street"].iloc[0] == "广安门外街道"
    assert erre["straight_m"].iloc[0] < 500 and erre["severity"].iloc[0] == "high"
    assert erre["ratio"].iloc[0] > 10  # 370 m in straight line, the nearest on foot 3,984 m
    stats = q.detour_stats()
    assert 1.2 < stats["median"] < 3.0 and stats["max"] > 5
    summary = q.summary()
    assert summary["network"]["dropped_components"] > 100
    assert summary["network"]["straight_edges_share"] == 1.0  # the demo lost road shapes
    assert summary["findings"]["missing_link"] > 0
