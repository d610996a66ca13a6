"""Networks from OSM XML (osmnx, offline), OSM PBF (pyosmium) and road layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS

from geo import NetworkError
from geo.network import (
    Network,
    build_network,
    build_network_from_osm_pbf,
    build_network_from_osm_xml,
    build_network_from_roads,
)


@pytest.fixture(scope="module")
def region6(raw_dir: Path) -> Network:
    return build_network_from_osm_xml(raw_dir / "osm_xml" / "region6.osm")


def _vertices_per_segment(net: Network) -> np.ndarray:
    return np.diff(net.geom_offsets)


def test_osm_xml_region6(region6: Network, raw_dir: Path) -> None:
    net = region6
    assert CRS.from_wkt(net.crs).to_epsg() == 4548
    assert net.n_nodes > 300 and net.n_edges > 400
    rep = net.report
    assert rep.source == "region6.osm"
    # real ways have shape: simplified segments keep their intermediate vertices
    assert (_vertices_per_segment(net) > 2).sum() > 50
    # motorways, trunks, platforms and cycleways are in the file and left out
    assert {"motorway", "platform", "cycleway"} <= set(rep.filtered_classes)
    assert not ({"motorway", "platform", "cycleway"} & set(net.edge_highway))
    assert rep.dropped_components >= 1
    # node ids are OSM ids, lengths follow the polylines
    assert net.node_ids.min() > 1_000_000
    assert np.all(net.edge_length_m > 0)
    chord = np.hypot(*(net.node_xy[net.edge_u] - net.node_xy[net.edge_v]).T)
    assert np.all(net.edge_length_m >= chord - 1e-6)
    # around the file's bounds (116.461-116.502 E, 39.893-39.920 N; whole ways included)
    lonlat = net.nodes_gdf().to_crs(4326).geometry
    assert lonlat.x.between(116.40, 116.60).all() and lonlat.y.between(39.85, 39.95).all()


def test_osm_xml_region7_with_progress(raw_dir: Path) -> None:
    seen: list[float] = []
    net = build_network_from_osm_xml(
        raw_dir / "osm_xml" / "region7.osm", progress=lambda _stage, done: seen.append(done)
    )
    assert net.n_nodes > 50 and net.report.length_m > 20_000
    assert net.report.nodes == net.n_nodes
    assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] == 1.0


def _write_pbf(src: Path, dst: Path) -> Path:
    import osmium

    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            writer.add(obj)
    return dst


def test_osm_pbf_matches_the_xml_build(raw_dir: Path, region6: Network, tmp_path: Path) -> None:
    pbf = _write_pbf(raw_dir / "osm_xml" / "region6.osm", tmp_path / "region6.osm.pbf")
    assert pbf.read_bytes()[:20].find(b"OSMHeader") >= 0  # a real PBF file
    net = build_network_from_osm_pbf(pbf)
    assert net.report.source == "region6.osm.pbf"
    assert net.report.length_m == pytest.approx(region6.report.length_m, rel=1e-3)
    assert {"motorway", "platform"} <= set(net.report.filtered_classes)
    # the PBF build keeps way ends as nodes where osmnx merges them: compare walking
    # distances between OSM nodes present in both
    common = np.intersect1d(net.node_ids, region6.node_ids)
    assert len(common) > 0.9 * region6.n_nodes
    pick = np.random.default_rng(3).choice(common, 15, replace=False)
    d_pbf = _distances(net, pick)
    d_xml = _distances(region6, pick)
    assert np.allclose(d_pbf, d_xml, atol=0.01)
    assert build_network(pbf).n_edges == net.n_edges


def _distances(net: Network, osm_ids: np.ndarray) -> np.ndarray:
    from scipy.sparse.csgraph import dijkstra

    pos = np.searchsorted(net.node_ids, osm_ids, sorter=np.argsort(net.node_ids))
    nodes = np.argsort(net.node_ids)[pos]
    dist = dijkstra(net.graph, indices=nodes)
    return np.asarray(dist[:, nodes])


def test_roads_layer_round_trip(region6: Network) -> None:
    roads = region6.edges_gdf().to_crs(4326)
    again = build_network_from_roads(roads)
    assert again.n_nodes == region6.n_nodes and again.n_edges == region6.n_edges
    assert again.report.length_m == pytest.approx(region6.report.length_m, rel=1e-6)
    # without node ids: nodes come from the line ends
    bare = build_network_from_roads(roads.drop(columns=["u", "v"]))
    assert bare.n_nodes == region6.n_nodes
    assert bare.report.length_m == pytest.approx(region6.report.length_m, rel=1e-6)


def test_roads_from_a_file_and_the_demo_roads_schema(region6: Network, tmp_path: Path) -> None:
    roads = region6.edges_gdf().to_crs(4326)
    path = tmp_path / "roads.gpkg"
    roads.to_file(path, layer="roads")
    net = build_network(path, layer="roads")
    assert net.n_edges == region6.n_edges and net.report.source == "roads.gpkg"
    # the roads-layer schema: MultiLineStrings are split, one-way is a bool
    multi = gpd.GeoDataFrame(
        {"edge_id": [0], "highway": ["residential"], "oneway": [True]},
        geometry=[roads.geometry.iloc[:2].union_all()],
        crs=4326,
    )
    assert build_network_from_roads(multi).n_edges >= 1


def test_unsupported_sources(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="no such file"):
        build_network(tmp_path / "missing.osm")
    (tmp_path / "nodes.csv").write_text("vid,lon,lat\n")
    with pytest.raises(NetworkError, match="edges CSV"):
        build_network(tmp_path / "nodes.csv")
    (tmp_path / "roads.txt").write_text("x")
    with pytest.raises(NetworkError, match="unsupported"):
        build_network(tmp_path / "roads.txt")
    roads = gpd.GeoDataFrame(geometry=[], crs=None)
    with pytest.raises(NetworkError, match="no CRS"):
        build_network_from_roads(roads)
