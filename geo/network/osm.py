"""Networks from OpenStreetMap files, offline, through one reader (pyosmium) for every
format: XML (``.osm``, ``.osm.xml``, compressed ``.osm.gz`` / ``.osm.bz2``) and PBF.

Real extracts are clipped: a way may refer to nodes the file does not hold. Such a way is
split where its nodes are missing, and each run of present nodes is kept on its own: a
segment never joins two nodes across a gap. The same holds for nodes outside the clip
area given by ``clip=``. The build report counts ways (read, filtered, cut, left out) and
graph edges, equally for every format.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from geo._errors import NetworkError
from geo.network import _polyline
from geo.network.build import Progress, RawEdges, assemble_network, scaled
from geo.network.filters import WALK_EXCLUDED_HIGHWAYS, walkable
from geo.network.graph import Network
from geo.network.tables import _project, _target_crs, oneway_codes

__all__ = [
    "DEFAULT_CLIP_MARGIN_M",
    "OSM_SUFFIXES",
    "build_network_from_osm",
    "build_network_from_osm_pbf",
    "build_network_from_osm_xml",
]

#: the OpenStreetMap file names read (XML, compressed XML, PBF)
OSM_SUFFIXES = (".osm", ".osm.xml", ".xml", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf")
#: roads kept beyond the clip area's edge, so that walks near the edge stay true
DEFAULT_CLIP_MARGIN_M = 1000.0
_TAGS = ("highway", "oneway", "name")


@dataclass(frozen=True)
class _Ways:
    """Ways with a ``highway`` tag: node ids and lon/lat of all vertices (NaN where the
    node is not in the file), the vertex count of each way, and the tags."""

    node: NDArray[np.int64]
    lonlat: NDArray[np.float64]
    counts: NDArray[np.int64]
    tags: dict[str, NDArray[np.object_]]


def _read_ways(path: Path) -> _Ways:
    """Every way with a ``highway`` tag, its node locations where the file has them."""
    import osmium

    ids: list[list[int]] = []
    coords: list[list[tuple[float, float]]] = []
    tags: dict[str, list[str]] = {key: [] for key in _TAGS}
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    nan = (np.nan, np.nan)
    try:
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way):
                continue
            refs = obj.nodes
            ids.append([r.ref for r in refs])
            coords.append([(r.lon, r.lat) if r.location.valid() else nan for r in refs])
            for key, values in tags.items():
                values.append(obj.tags.get(key) or "")
    except RuntimeError as exc:
        msg = f"cannot read {path.name} as OpenStreetMap: {exc} / 无法读取 OSM 文件 {path.name}"
        raise NetworkError(msg) from exc
    counts = np.array([len(w) for w in ids], dtype=np.int64)
    node = np.fromiter((i for w in ids for i in w), dtype=np.int64, count=int(counts.sum()))
    lonlat = np.array([c for w in coords for c in w], dtype=np.float64).reshape(-1, 2)
    return _Ways(node, lonlat, counts, {k: np.asarray(v, dtype=object) for k, v in tags.items()})


def build_network_from_osm(
    path: str | PathLike[str],
    *,
    clip: Any = None,
    clip_margin_m: float = DEFAULT_CLIP_MARGIN_M,
    include_highways: Collection[str] | None = None,
    exclude_highways: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
    respect_oneway: bool = False,
    crs: object = None,
    progress: Progress | None = None,
) -> Network:
    """A walking network from an OpenStreetMap file (XML, compressed XML or PBF).

    Ways with a ``highway`` tag pass the walking filter as whole ways, are split where
    their nodes are missing (or outside ``clip``), then into segments at the nodes they
    share with other kept ways and at their ends; each segment keeps the way's shape.

    Parameters
    ----------
    path
        The file (see :data:`OSM_SUFFIXES`).
    clip
        Polygons to keep the network within (a GeoDataFrame or GeoSeries with a CRS, e.g.
        the store's districts); ``None`` keeps everything.
    clip_margin_m
        Roads up to this far outside ``clip`` are kept.
    include_highways, exclude_highways, respect_oneway, progress
        See :func:`geo.network.build.assemble_network`.
    crs
        Projected CRS to measure in (default: Gauss-Krüger or UTM zone of the data).

    Returns
    -------
    Network
        Its report counts ways read, filtered, cut at missing nodes and left out.
    """
    source = Path(path)
    if progress is not None:
        progress("read", 0.0)
    ways = _read_ways(source)
    keep = walkable(ways.tags["highway"], include=include_highways, exclude=exclude_highways)
    if not keep.any():
        msg = f"no walkable ways in {source.name} / 文件中没有可步行的道路"
        raise NetworkError(msg)
    vertex_keep = np.repeat(keep, ways.counts)
    present = np.asarray(np.isfinite(ways.lonlat[vertex_keep]).all(axis=1), dtype=bool)
    if not present.any():
        msg = f"no node of a walkable way in {source.name} / 文件中没有可步行道路的节点"
        raise NetworkError(msg)
    lonlat = ways.lonlat[vertex_keep]
    src = CRS.from_epsg(4326)
    dst = CRS.from_user_input(crs) if crs is not None else _target_crs(lonlat[present], src)
    xy = np.full_like(lonlat, np.nan)
    xy[present] = _project(lonlat[present], src, dst)
    if clip is not None:
        present = present & _inside(xy, _clip_area(clip, dst, clip_margin_m))
    counts = ways.counts[keep]
    present, piece_of, piece_counts, cut, outside = _pieces(counts, present)
    if len(piece_counts) == 0:
        msg = (
            f"no walkable way of {source.name} lies within the clip area / "
            f"{source.name} 中没有位于裁剪范围内的可步行道路"
        )
        raise NetworkError(msg)
    raw, node_ids, node_xy = _split_ways(
        ways.node[vertex_keep][present],
        xy[present],
        piece_counts,
        {k: v[keep][piece_of] for k, v in ways.tags.items()},
    )
    net = assemble_network(
        node_ids,
        node_xy,
        raw,
        crs=dst.to_wkt(),
        include_highways=include_highways,
        exclude_highways=exclude_highways,
        respect_oneway=respect_oneway,
        source=source.name,
        progress=scaled(progress, 0.5, 1.0),
    )
    filtered = pd.Series(ways.tags["highway"][~keep]).astype(str).value_counts()
    report = replace(
        net.report,
        ways=len(counts) + int((~keep).sum()),
        filtered_ways=int((~keep).sum()),
        filtered_classes={str(k): int(c) for k, c in filtered.items()},
        cut_ways=cut,
        outside_ways=outside,
    )
    return replace(net, report=report, _cache={})


#: the same reader serves every OSM format; these names say which file a caller has
build_network_from_osm_xml = build_network_from_osm
build_network_from_osm_pbf = build_network_from_osm


def _clip_area(clip: Any, crs: CRS, margin_m: float) -> Any:
    """The clip polygons in ``crs``, merged and grown by ``margin_m``."""
    frame = clip if isinstance(clip, gpd.GeoDataFrame | gpd.GeoSeries) else None
    if frame is None or frame.crs is None:
        msg = (
            "clip needs polygons with a CRS (a GeoDataFrame or GeoSeries) / "
            "裁剪范围须为带坐标系的面图层"
        )
        raise NetworkError(msg)
    area = shapely.union_all(frame.to_crs(crs).geometry.to_numpy()).buffer(margin_m)
    if area.is_empty:
        raise NetworkError("the clip area is empty / 裁剪范围为空")
    shapely.prepare(area)
    return area


def _inside(xy: NDArray[np.float64], area: Any) -> NDArray[np.bool_]:
    """Which points lie in ``area`` (NaN points do not)."""
    ok = np.isfinite(xy).all(axis=1)
    inside = np.zeros(len(xy), dtype=bool)
    inside[ok] = shapely.contains_xy(area, xy[ok, 0], xy[ok, 1])
    return inside


def _pieces(
    counts: NDArray[np.int64], present: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64], int, int]:
    """Runs of present vertices within each way, of two vertices or more.

    Returns the vertices kept (``present`` without runs shorter than two), the way and
    the vertex count of each kept run (in order), the number of ways cut (some vertex
    missing, some run kept) and of ways left out (no run kept).
    """
    way = np.repeat(np.arange(len(counts)), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    new_run = np.zeros(len(way), dtype=bool)
    new_run[starts[counts > 0]] = True
    new_run[1:] |= ~present[:-1]
    run = np.cumsum(new_run) - 1
    run_way = way[new_run]
    run_size = np.bincount(run[present], minlength=len(run_way))
    kept = present & (run_size[run] >= 2)
    runs, run_counts = np.unique(run[kept], return_counts=True)
    kept_way = np.zeros(len(counts), dtype=bool)
    kept_way[run_way[runs]] = True
    incomplete = np.bincount(way, weights=~present, minlength=len(counts)) > 0
    cut = int((kept_way & incomplete).sum())
    return kept, run_way[runs], run_counts.astype(np.int64), cut, int((~kept_way).sum())


def _split_ways(
    node: NDArray[np.int64],
    xy: NDArray[np.float64],
    counts: NDArray[np.int64],
    tags: dict[str, NDArray[np.object_]],
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
    raw = RawEdges(
        u_id=node[seg_start],
        v_id=node[seg_end],
        geom_offsets=offsets,
        geom_xy=xy[vertex],
        highway=tags["highway"][seg_way],
        oneway=oneway_codes(tags["oneway"][seg_way]),
        name=tags["name"][seg_way],
    )
    first = np.unique(inverse, return_index=True)[1]
    return raw, uniq, xy[first]
