"""Networks from OpenStreetMap files, offline: XML through osmnx, PBF through pyosmium."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import CRS

from geo._errors import NetworkError
from geo.network import _polyline
from geo.network.build import Progress, RawEdges, assemble_network, scaled
from geo.network.filters import WALK_EXCLUDED_HIGHWAYS, walkable
from geo.network.graph import Network
from geo.network.tables import _project, _target_crs, build_network_from_roads, oneway_codes

__all__ = ["build_network_from_osm_pbf", "build_network_from_osm_xml"]


def _first(values: pd.Series) -> pd.Series:
    """Tags merged by osmnx's simplification arrive as lists: keep the first value."""
    return values.map(lambda x: x[0] if isinstance(x, list) and x else x)


def build_network_from_osm_xml(
    path: str | PathLike[str],
    *,
    include_highways: Collection[str] | None = None,
    exclude_highways: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
    respect_oneway: bool = False,
    crs: object = None,
    progress: Progress | None = None,
) -> Network:
    """A walking network from an OSM XML file (``.osm``), read offline by osmnx.

    Ways without a ``highway`` tag are ignored; the walking filter is applied to the raw
    ways before osmnx simplifies the graph, so segments keep their real shape.

    Parameters
    ----------
    path
        The ``.osm`` file.
    include_highways, exclude_highways, respect_oneway, progress
        See :func:`geo.network.build.assemble_network`.
    crs
        Projected CRS to measure in (default: Gauss-Krüger or UTM zone of the data).

    Returns
    -------
    Network
    """
    import osmnx as ox

    if progress is not None:
        progress("read", 0.0)
    graph = ox.graph_from_xml(Path(path), bidirectional=False, simplify=False, retain_all=True)
    nodes, edges = ox.graph_to_gdfs(graph)
    highway = _first(edges["highway"]) if "highway" in edges else pd.Series(None, edges.index)
    keep = highway.notna().to_numpy() & walkable(
        highway.to_numpy(dtype=object), include=include_highways, exclude=exclude_highways
    )
    if not keep.any():
        msg = f"no walkable ways in {Path(path).name} / 文件中没有可步行的道路"
        raise NetworkError(msg)
    if progress is not None:
        progress("simplify", 0.3)
    walk = ox.graph_from_gdfs(nodes, edges[keep])
    walk.remove_nodes_from([n for n, deg in walk.degree() if deg == 0])
    walk = ox.simplify_graph(walk)
    _, lines = ox.graph_to_gdfs(walk)
    lines = lines.reset_index()
    table = gpd.GeoDataFrame(
        {
            "u": lines["u"].to_numpy(dtype=np.int64),
            "v": lines["v"].to_numpy(dtype=np.int64),
            "highway": _first(lines["highway"]).to_numpy(dtype=object),
            "oneway": _first(lines["oneway"]).to_numpy(dtype=object)
            if "oneway" in lines
            else np.zeros(len(lines)),
            "name": _first(lines["name"]).to_numpy(dtype=object)
            if "name" in lines
            else np.full(len(lines), ""),
        },
        geometry=lines.geometry.to_numpy(),
        crs=lines.crs,
    )
    dropped = pd.Series(highway.to_numpy(dtype=object)[~keep & highway.notna().to_numpy()])
    net = build_network_from_roads(
        table,
        crs=crs,
        include_highways=include_highways,
        exclude_highways=exclude_highways,
        respect_oneway=respect_oneway,
        source=Path(path).name,
        progress=scaled(progress, 0.5, 1.0),
    )
    classes = {str(k): int(c) for k, c in dropped.astype(str).value_counts().items()}
    report = replace(net.report, filtered_edges=len(dropped), filtered_classes=classes)
    return replace(net, report=report, _cache={})


def _read_pbf_ways(path: str) -> tuple[list[NDArray[np.int64]], list[NDArray[np.float64]], dict]:
    """Node ids and lon/lat of every way with a ``highway`` tag, and its tags."""
    import osmium

    ids: list[NDArray[np.int64]] = []
    coords: list[NDArray[np.float64]] = []
    tags: dict[str, list[str]] = {"highway": [], "oneway": [], "name": []}
    processor = (
        osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in processor:
        if not isinstance(obj, osmium.osm.Way):
            continue
        refs = [(r.ref, r.lon, r.lat) for r in obj.nodes if r.location.valid()]
        if len(refs) < 2:
            continue
        arr = np.asarray(refs, dtype=np.float64)
        ids.append(np.asarray([r[0] for r in refs], dtype=np.int64))
        coords.append(arr[:, 1:])
        for key, values in tags.items():
            values.append(obj.tags.get(key) or "")
    return ids, coords, tags


def build_network_from_osm_pbf(
    path: str | PathLike[str],
    *,
    include_highways: Collection[str] | None = None,
    exclude_highways: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
    respect_oneway: bool = False,
    crs: object = None,
    progress: Progress | None = None,
) -> Network:
    """A walking network from an OSM PBF file (``.osm.pbf``), read by pyosmium.

    Ways with a ``highway`` tag pass the walking filter, then are split into segments at
    the nodes they share with other kept ways (and at their ends); each segment keeps the
    way's shape. The report counts filtered *ways*. Options as
    :func:`build_network_from_osm_xml`.
    """
    if progress is not None:
        progress("read", 0.0)
    ids, coords, tags = _read_pbf_ways(str(path))
    highway = np.asarray(tags["highway"], dtype=object)
    keep = walkable(highway, include=include_highways, exclude=exclude_highways)
    if not keep.any():
        msg = f"no walkable ways in {Path(path).name} / 文件中没有可步行的道路"
        raise NetworkError(msg)
    # filter whole ways first, so dropped roads do not cut the kept ones
    kept = np.flatnonzero(keep)
    counts = np.array([len(ids[i]) for i in kept], dtype=np.int64)
    flat_ids = np.concatenate([ids[i] for i in kept])
    lonlat = np.concatenate([coords[i] for i in kept])
    kept_tags = {k: [v[i] for i in kept] for k, v in tags.items()}
    src = CRS.from_epsg(4326)
    dst = CRS.from_user_input(crs) if crs is not None else _target_crs(lonlat, src)
    xy = _project(lonlat, src, dst)
    raw, node_ids, node_xy = _split_ways(flat_ids, xy, counts, kept_tags)
    net = assemble_network(
        node_ids,
        node_xy,
        raw,
        crs=dst.to_wkt(),
        include_highways=include_highways,
        exclude_highways=exclude_highways,
        respect_oneway=respect_oneway,
        source=Path(path).name,
        progress=scaled(progress, 0.5, 1.0),
    )
    dropped = pd.Series(highway[~keep]).astype(str).value_counts()
    classes = {str(k): int(c) for k, c in dropped.items()}
    report = replace(net.report, filtered_edges=int((~keep).sum()), filtered_classes=classes)
    return replace(net, report=report, _cache={})


def _split_ways(
    node: NDArray[np.int64],
    xy: NDArray[np.float64],
    counts: NDArray[np.int64],
    tags: dict[str, list[str]],
) -> tuple[RawEdges, NDArray[np.int64], NDArray[np.float64]]:
    """Cut ways into segments at shared nodes; vectorised over all way vertices."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    way = np.repeat(np.arange(len(counts)), counts)
    uniq, inverse, uses = np.unique(node, return_inverse=True, return_counts=True)
    is_end = np.zeros(len(node), dtype=bool)
    is_end[starts] = True
    is_end[starts + counts - 1] = True
    cut = is_end | (uses[inverse] > 1)
    cut_pos = np.flatnonzero(cut)
    same_way = way[cut_pos[1:]] == way[cut_pos[:-1]]
    seg_start, seg_end = cut_pos[:-1][same_way], cut_pos[1:][same_way]
    seg_way = way[seg_start]
    n_vert = seg_end - seg_start + 1
    offsets = np.concatenate([[0], np.cumsum(n_vert)]).astype(np.int64)
    vertex = _polyline.ranges(seg_start, n_vert)
    oneway = oneway_codes(np.asarray(tags["oneway"], dtype=object)[seg_way])
    raw = RawEdges(
        u_id=node[seg_start],
        v_id=node[seg_end],
        geom_offsets=offsets,
        geom_xy=xy[vertex],
        highway=np.asarray(tags["highway"], dtype=object)[seg_way],
        oneway=oneway,
        name=np.asarray(tags["name"], dtype=object)[seg_way],
    )
    first = np.unique(inverse, return_index=True)[1]
    return raw, uniq, xy[first]
