"""Clipped OpenStreetMap extracts: ways are split where their nodes are missing, never
joined across the gap, the same for XML and PBF; clipping to polygons with a margin."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from geo import NetworkError
from geo.network import Network, build_network, build_network_from_osm
from tests.geo.osm_files import assert_same_network, way_steps, write_osm

_NODE = '  <node id="{i}" version="1" lat="39.9" lon="{lon:.6f}"/>'
_WAY = '  <way id="{w}" version="1">{refs}<tag k="highway" v="residential"/></way>'


def _xml(path: Path, nodes: list[int], ways: list[list[int]]) -> Path:
    """A tiny OSM XML file: nodes 100 m apart on a parallel, ways through them."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    lines += [_NODE.format(i=i, lon=116.4 + i * 100 / 85_000) for i in nodes]
    for w, refs in enumerate(ways, start=1):
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        lines.append(_WAY.format(w=w, refs=nd))
    path.write_text("\n".join([*lines, "</osm>"]), encoding="utf-8")
    return path


def test_a_way_is_split_where_a_node_is_missing(tmp_path: Path) -> None:
    # way 1 runs through nodes 1..6, way 2 from 5 to 7 (on the same parallel: 100 m
    # beyond 5 is node 6's place, so node 7 sits 150 m east of 6); node 3 is not in
    # the file, as in a clipped extract
    nodes, ways = [1, 2, 4, 5, 6, 7], [[1, 2, 3, 4, 5, 6], [5, 7]]
    net = build_network(_xml(tmp_path / "gap.osm", nodes, ways))
    rep = net.report
    assert rep.ways == 2 and rep.cut_ways == 1 and rep.outside_ways == 0
    # the run 4-5-6 is kept with way 2; nothing joins node 2 to node 4 across the gap
    assert sorted(net.node_ids.tolist()) == [4, 5, 6, 7]
    assert rep.dropped_components == 1 and rep.dropped_length_m == pytest.approx(100, rel=0.01)
    assert net.edge_length_m.sum() == pytest.approx(400, rel=0.01)
    # a way with no two present nodes in a row is left out and counted
    lone = build_network(_xml(tmp_path / "lone.osm", [1, 2, 3, 5], [[1, 2, 3], [3, 4, 5]]))
    assert lone.report.cut_ways == 0 and lone.report.outside_ways == 1
    assert lone.n_edges == 1 and lone.n_nodes == 2  # 1-2-3 is one segment, 5 is alone


@pytest.fixture(scope="module")
def clipped(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """region6.osm without a third of its nodes, as XML and as PBF."""
    src = raw_dir / "osm_xml" / "region6.osm"
    tmp = tmp_path_factory.mktemp("clipped")
    xml, removed = write_osm(src, tmp / "region6-clipped.osm", drop_share=1 / 3)
    pbf, removed_pbf = write_osm(src, tmp / "region6-clipped.osm.pbf", drop_share=1 / 3)
    assert removed == removed_pbf and len(removed) > 1000
    return {"src": src, "xml": xml, "pbf": pbf, "removed": removed}


def test_clipped_xml_builds_and_equals_the_pbf_of_the_same_clip(
    clipped: dict[str, object],
) -> None:
    xml = build_network(clipped["xml"])  # type: ignore[arg-type]
    pbf = build_network(clipped["pbf"])  # type: ignore[arg-type]
    assert_same_network(xml, pbf)
    a, b = xml.report.to_dict(), pbf.report.to_dict()
    a.pop("source"), b.pop("source")
    assert a == b
    assert xml.report.cut_ways > 100 and xml.report.ways == 558
    assert xml.n_nodes > 50 and xml.report.dropped_components > 20  # badly cut: many parts


def test_no_edge_of_a_clipped_build_spans_a_removed_node(clipped: dict[str, object]) -> None:
    net = build_network(clipped["xml"])  # type: ignore[arg-type]
    removed = clipped["removed"]
    assert not (set(net.node_ids.tolist()) & removed)  # type: ignore[operator]
    # every step along every edge's polyline is a step between neighbours of one way of
    # the complete file: no edge jumps over a node the clipped file lacks
    full = build_network_from_osm(clipped["src"])  # type: ignore[arg-type]
    steps = way_steps(clipped["src"])  # type: ignore[arg-type]
    vertex_ids = _vertex_ids(net, full, clipped["src"])  # type: ignore[arg-type]
    seg = np.repeat(np.arange(net.n_edges), np.diff(net.geom_offsets))
    same_edge = seg[1:] == seg[:-1]
    pairs = zip(vertex_ids[:-1][same_edge], vertex_ids[1:][same_edge], strict=True)
    jumps = [p for p in pairs if p not in steps]
    assert not jumps
    assert int(same_edge.sum()) > 80


def _vertex_ids(net: Network, full: Network, src: Path) -> np.ndarray:
    """The OSM node id of every polyline vertex of ``net`` (by position)."""
    import osmium

    ids, lonlat = [], []
    for obj in osmium.FileProcessor(str(src), osmium.osm.NODE):
        ids.append(obj.id)
        lonlat.append((obj.location.lon, obj.location.lat))
    points = gpd.GeoSeries(shapely.points(np.array(lonlat)), crs=4326).to_crs(full.pyproj_crs)
    xy = np.column_stack([points.x, points.y])
    from scipy.spatial import cKDTree

    dist, pos = cKDTree(xy).query(net.geom_xy)
    assert dist.max() < 1e-3
    return np.asarray(ids)[pos]


def test_clip_to_polygons_with_a_margin(raw_dir: Path) -> None:
    src = raw_dir / "osm_xml" / "region6.osm"
    full = build_network(src)
    area = gpd.GeoDataFrame(geometry=[box(116.47, 39.90, 116.49, 39.91)], crs=4326)
    tight = build_network(src, clip=area, clip_margin_m=0.0)
    wide = build_network(src, clip=area, clip_margin_m=500.0)
    assert 0 < tight.report.length_m < wide.report.length_m < full.report.length_m
    assert tight.report.cut_ways > 0 and tight.report.outside_ways > 0
    inside = area.to_crs(tight.pyproj_crs).geometry.iloc[0]
    assert shapely.contains_xy(inside.buffer(1e-6), *tight.geom_xy.T).all()
    grown = area.to_crs(wide.pyproj_crs).geometry.iloc[0].buffer(500.0 + 1e-6)
    assert shapely.contains_xy(grown, *wide.geom_xy.T).all()
    assert not shapely.contains_xy(inside, *wide.geom_xy.T).all()
    far = gpd.GeoDataFrame(geometry=[box(116.30, 39.80, 116.31, 39.81)], crs=4326)
    with pytest.raises(NetworkError, match="within the clip area"):
        build_network(src, clip=far, clip_margin_m=0.0)
    with pytest.raises(NetworkError, match="CRS"):
        build_network(src, clip=area.set_crs(None, allow_override=True))
