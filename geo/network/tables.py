"""Networks from tables: plain arrays, a nodes/edges CSV pair, a road layer."""

from __future__ import annotations

from collections.abc import Collection
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer

from geo._errors import NetworkError
from geo.network.build import Progress, RawEdges, assemble_network
from geo.network.filters import WALK_EXCLUDED_HIGHWAYS
from geo.network.graph import Network
from geo.projection import measuring_crs

__all__ = [
    "build_network_from_arrays",
    "build_network_from_csv",
    "build_network_from_roads",
    "oneway_codes",
]


def oneway_codes(values: ArrayLike) -> NDArray[np.int8]:
    """OSM ``oneway`` values (``yes``/``1``/``true``/``-1``/``no``/bool/empty) as 1 / -1 / 0."""
    text = pd.Series(np.asarray(values, dtype=object)).fillna("").astype(str).str.lower()
    code = np.zeros(len(text), dtype=np.int8)
    code[text.isin(["yes", "1", "true", "1.0"]).to_numpy()] = 1
    code[text.isin(["-1", "reverse", "-1.0"]).to_numpy()] = -1
    return code


def _target_crs(lonlat_or_xy: NDArray[np.float64], crs: CRS) -> CRS:
    """The projected CRS to measure in: ``crs`` itself if projected."""
    if crs.is_projected:
        return crs
    x0, y0 = np.nanmin(lonlat_or_xy, axis=0)
    x1, y1 = np.nanmax(lonlat_or_xy, axis=0)
    corners = gpd.GeoDataFrame(geometry=shapely.points([[x0, y0], [x1, y1]]), crs=crs)
    return measuring_crs(corners)


def _project(xy: NDArray[np.float64], src: CRS, dst: CRS) -> NDArray[np.float64]:
    if src == dst:
        return np.asarray(xy, dtype=np.float64)
    x, y = Transformer.from_crs(src, dst, always_xy=True).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _column(frame: pd.DataFrame, name: str | None, default: object) -> NDArray[np.object_]:
    if name is not None and name in frame.columns:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), default, dtype=object)


def build_network_from_arrays(
    node_ids: ArrayLike,
    node_xy: ArrayLike,
    u: ArrayLike,
    v: ArrayLike,
    *,
    crs: object = "EPSG:4326",
    highway: ArrayLike | None = None,
    oneway: ArrayLike | None = None,
    name: ArrayLike | None = None,
    include_highways: Collection[str] | None = None,
    exclude_highways: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
    respect_oneway: bool = False,
    source: str = "arrays",
    progress: Progress | None = None,
) -> Network:
    """A network of straight segments between nodes given as arrays.

    Parameters
    ----------
    node_ids, node_xy
        Unique node ids and their coordinates (lon/lat or projected) in ``crs``.
    u, v
        End node ids of every segment (a directed edge list may list both directions).
    crs
        CRS of ``node_xy``; lon/lat are projected to the Gauss-Krüger (China) or UTM zone.
    highway, oneway, name
        Optional per-segment tags (``oneway``: see :func:`oneway_codes`).
    include_highways, exclude_highways, respect_oneway, progress
        See :func:`geo.network.build.assemble_network`.
    source
        Name for the build report.

    Returns
    -------
    Network
        Lengths in metres from the projected coordinates.
    """
    ids = np.asarray(node_ids, dtype=np.int64)
    xy = np.asarray(node_xy, dtype=np.float64).reshape(-1, 2)
    src = CRS.from_user_input(crs)
    dst = _target_crs(xy, src)
    xy = _project(xy, src, dst)
    uu, vv = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    m = len(uu)
    order = np.argsort(ids, kind="stable")
    pos_u = order[np.clip(np.searchsorted(ids[order], uu), 0, len(ids) - 1)]
    pos_v = order[np.clip(np.searchsorted(ids[order], vv), 0, len(ids) - 1)]
    bad = (ids[pos_u] != uu) | (ids[pos_v] != vv)
    if bad.any():
        msg = (
            f"{int(bad.sum())} edges refer to unknown nodes / "
            f"{int(bad.sum())} 条边引用了不存在的节点"
        )
        raise NetworkError(msg)
    geom_xy = np.empty((2 * m, 2))
    geom_xy[0::2], geom_xy[1::2] = xy[pos_u], xy[pos_v]
    raw = RawEdges(
        u_id=uu,
        v_id=vv,
        geom_offsets=np.arange(0, 2 * m + 1, 2, dtype=np.int64),
        geom_xy=geom_xy,
        highway=np.full(m, "", dtype=object) if highway is None else np.asarray(highway, object),
        oneway=np.zeros(m, dtype=np.int8) if oneway is None else oneway_codes(oneway),
        name=np.full(m, "", dtype=object) if name is None else np.asarray(name, dtype=object),
    )
    return assemble_network(
        ids,
        xy,
        raw,
        crs=dst.to_wkt(),
        include_highways=include_highways,
        exclude_highways=exclude_highways,
        respect_oneway=respect_oneway,
        source=source,
        progress=progress,
    )


def build_network_from_csv(
    nodes_csv: str | PathLike[str],
    edges_csv: str | PathLike[str],
    *,
    node_id: str = "vid",
    x: str = "lon",
    y: str = "lat",
    u: str = "u",
    v: str = "v",
    crs: object = "EPSG:4326",
    include_highways: Collection[str] | None = None,
    exclude_highways: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
    respect_oneway: bool = False,
    progress: Progress | None = None,
) -> Network:
    """A network from a nodes CSV (id, x, y) and an edges CSV (u, v and optional
    ``highway``, ``oneway``, ``name``), edges being straight segments between nodes.

    The column names default to the demo's walking network (``vid, lon, lat`` and
    ``u, v, highway, oneway, name``). Lengths are recomputed in metres in a projected CRS;
    length columns in the file are ignored. Other options: see
    :func:`build_network_from_arrays`.
    """
    nodes = pd.read_csv(nodes_csv)
    edges = pd.read_csv(edges_csv, dtype={"highway": str, "name": str, "oneway": str})
    missing = [c for c in (node_id, x, y) if c not in nodes] + [c for c in (u, v) if c not in edges]
    if missing:
        msg = f"missing columns {missing} / 缺少列 {missing}"
        raise NetworkError(msg)
    return build_network_from_arrays(
        nodes[node_id].to_numpy(),
        nodes[[x, y]].to_numpy(dtype=float),
        edges[u].to_numpy(),
        edges[v].to_numpy(),
        crs=crs,
        highway=_column(edges, "highway", ""),
        oneway=_column(edges, "oneway", ""),
        name=_column(edges, "name", ""),
        include_highways=include_highways,
        exclude_highways=exclude_highways,
        respect_oneway=respect_oneway,
        source=Path(edges_csv).name,
        progress=progress,
    )


def build_network_from_roads(
    roads: gpd.GeoDataFrame,
    *,
    u: str | None = "u",
    v: str | None = "v",
    highway: str | None = "highway",
    oneway: str | None = "oneway",
    name: str | None = "name",
    crs: object = None,
    node_tolerance_m: float = 0.01,
    include_highways: Collection[str] | None = None,
    exclude_highways: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
    respect_oneway: bool = False,
    source: str = "roads layer",
    progress: Progress | None = None,
) -> Network:
    """A network from a road layer (LineStrings, e.g. the store's ``roads`` layer).

    Parameters
    ----------
    roads
        Lines in any CRS; MultiLineStrings are split into their parts. Lines must meet at
        their end points (noded, as OSM-derived roads are).
    u, v
        Columns with end node ids; if absent or empty, nodes are the distinct line end
        points, merged within ``node_tolerance_m``.
    highway, oneway, name
        Tag columns (optional).
    crs
        Projected CRS to measure in (default: the layer's own if projected, else the
        Gauss-Krüger or UTM zone).
    node_tolerance_m
        End points closer than this become one node when ids are derived.
    include_highways, exclude_highways, respect_oneway, source, progress
        See :func:`geo.network.build.assemble_network`.
    """
    if roads.crs is None:
        raise NetworkError("the road layer has no CRS / 道路图层没有坐标系")
    dst = CRS.from_user_input(crs) if crs is not None else measuring_crs(roads)
    lines = roads.to_crs(dst)
    lines = lines[lines.geometry.notna() & ~lines.geometry.is_empty]
    lines = lines.explode(index_parts=False, ignore_index=True)
    lines = lines[lines.geom_type == "LineString"].reset_index(drop=True)
    xy, part = shapely.get_coordinates(lines.geometry.to_numpy(), return_index=True)
    counts = np.bincount(part, minlength=len(lines))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    first, last = xy[offsets[:-1]], xy[offsets[1:] - 1]
    has_ids = u in lines and v in lines and lines[[u, v]].notna().all().all()
    if has_ids and u is not None and v is not None:
        u_id = lines[u].to_numpy(dtype=np.int64)
        v_id = lines[v].to_numpy(dtype=np.int64)
    else:
        u_id, v_id = _ids_from_points(first, last, node_tolerance_m)
    ends = pd.DataFrame({"id": np.concatenate([u_id, v_id])})
    ends[["x", "y"]] = np.concatenate([first, last])
    ends = ends.drop_duplicates("id")
    raw = RawEdges(
        u_id=u_id,
        v_id=v_id,
        geom_offsets=offsets,
        geom_xy=xy,
        highway=_column(lines, highway, ""),
        oneway=oneway_codes(_column(lines, oneway, "")),
        name=_column(lines, name, ""),
    )
    return assemble_network(
        ends["id"].to_numpy(dtype=np.int64),
        ends[["x", "y"]].to_numpy(dtype=float),
        raw,
        crs=dst.to_wkt(),
        include_highways=include_highways,
        exclude_highways=exclude_highways,
        respect_oneway=respect_oneway,
        source=source,
        progress=progress,
    )


def _ids_from_points(
    first: NDArray[np.float64], last: NDArray[np.float64], tolerance_m: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Node ids for line end points: equal after rounding to ``tolerance_m``."""
    grid = np.round(np.concatenate([first, last]) / tolerance_m).astype(np.int64)
    _, ids = np.unique(grid, axis=0, return_inverse=True)
    ids = ids.ravel().astype(np.int64)
    return ids[: len(first)], ids[len(first) :]
