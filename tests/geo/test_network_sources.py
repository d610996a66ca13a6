"""Networks from OSM XML, compressed XML and PBF (pyosmium, offline) and road layers."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS

from geo import NetworkError
from geo.network import (
    Network,
    build_network,
    build_network_from_osm_xml,
    build_network_from_roads,
)
from tests.geo.osm_files import assert_same_network, write_osm


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
    lonlat = net.nodes_gdf.to_crs(4326).geometry
    assert lonlat.x.between(116.40, 116.60).all() and lonlat.y.between(39.85, 39.95).all()


def test_osm_xml_region7_with_progress(raw_dir: Path) -> None:
    seen: list[float] = []
    net = build_network_from_osm_xml(
        raw_dir / "osm_xml" / "region7.osm", progress=lambda _stage, done: seen.append(done)
    )
    assert net.n_nodes > 50 and net.report.length_m > 20_000
    assert net.report.nodes == net.n_nodes
    assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] == 1.0


def test_osm_pbf_and_compressed_xml_build_the_same_network(
    raw_dir: Path, region6: Network, tmp_path: Path
) -> None:
    src = raw_dir / "osm_xml" / "region6.osm"
    pbf, _ = write_osm(src, tmp_path / "region6.osm.pbf")
    assert pbf.read_bytes()[:20].find(b"OSMHeader") >= 0  # a real PBF file
    gz = tmp_path / "region6.osm.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    bz2_file = tmp_path / "region6.osm.bz2"
    bz2_file.write_bytes(bz2.compress(src.read_bytes()))
    for path in (pbf, gz, bz2_file):
        net = build_network(path)
        assert net.report.source == path.name
        assert_same_network(net, region6)
        same = {k: v for k, v in net.report.to_dict().items() if k != "source"}
        assert same == {k: v for k, v in region6.report.to_dict().items() if k != "source"}
    # one vocabulary: ways are OSM ways with a highway tag, edges are graph edges
    rep = region6.report
    assert rep.ways == 558 and rep.filtered_ways == 143 and rep.cut_ways == 0
    assert rep.edges == region6.n_edges > rep.ways - rep.filtered_ways


def test_roads_layer_round_trip(region6: Network) -> None:
    roads = region6.edges_gdf.to_crs(4326)
    again = build_network_from_roads(roads)
    assert again.n_nodes == region6.n_nodes and again.n_edges == region6.n_edges
    assert again.report.length_m == pytest.approx(region6.report.length_m, rel=1e-6)
    # without node ids: nodes come from the line ends
    bare = build_network_from_roads(roads.drop(columns=["u", "v"]))
    assert bare.n_nodes == region6.n_nodes
    assert bare.report.length_m == pytest.approx(region6.report.length_m, rel=1e-6)


def test_roads_from_a_file_and_the_demo_roads_schema(region6: Network, tmp_path: Path) -> None:
    roads = region6.edges_gdf.to_crs(4326)
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
    with pytest.raises(NetworkError, match="unsupported") as err:
        build_network(tmp_path / "roads.txt")
    for suffix in (".osm", ".osm.xml", ".osm.gz", ".osm.bz2", ".osm.pbf", ".gpkg", ".csv"):
        assert suffix in str(err.value)
    assert "支持的格式" in str(err.value)
    roads = gpd.GeoDataFrame(geometry=[], crs=None)
    with pytest.raises(NetworkError, match="no CRS"):
        build_network_from_roads(roads)
