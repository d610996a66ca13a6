"""Candidate sites: generated on a grid or along walkable roads, then thinned by rules.

Generation returns points in the CRS of its input; the exclusion rules take candidates
and rule layers in one CRS (mixed CRSs are refused) and measure in a projected CRS (the
candidates' own if projected, else their Gauss-Krüger / UTM zone). Every function returns
a new frame and keeps the input's index and columns for the rows it keeps.

Rules: :func:`exclude_within` (inside water, parks, heritage areas),
:func:`exclude_near` (closer than a setback to homes, water sources, ...),
:func:`enforce_spacing` (no two candidates closer than a minimum spacing; greedy by
priority).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.spatial import cKDTree

from geo._errors import AnalysisError, CRSMismatchError, EmptyInputError
from geo.projection import measuring_crs, points_xy

__all__ = [
    "enforce_spacing",
    "exclude_near",
    "exclude_within",
    "grid_candidates",
    "network_candidates",
]

_DEDUP_M = 0.01  # candidates closer than this along roads are one point


def _positive(value: float, name: str) -> float:
    if not np.isfinite(value) or value <= 0:
        raise AnalysisError(f"{name} must be a positive number / {name} 须为正数")
    return float(value)


def _same_crs(a: gpd.GeoDataFrame | gpd.GeoSeries, b: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    if a.crs is None or b.crs is None:
        raise CRSMismatchError("a layer has no CRS / 图层没有坐标系")
    if CRS.from_user_input(a.crs) != CRS.from_user_input(b.crs):
        msg = f"layers are in different CRSs ({a.crs} vs {b.crs}) / 图层坐标系不一致"
        raise CRSMismatchError(msg)
    return measuring_crs(gpd.GeoDataFrame(geometry=a.geometry, crs=a.crs))


def _frame(
    points: NDArray[np.object_], crs: CRS, out_crs: object, **cols: object
) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(
        {"candidate_id": np.arange(len(points)), **cols}, geometry=points, crs=crs
    )
    return out.to_crs(out_crs)


def grid_candidates(area: gpd.GeoDataFrame, *, spacing_m: float) -> gpd.GeoDataFrame:
    """Candidates on a square grid of ``spacing_m`` inside the polygons of ``area``.

    Parameters
    ----------
    area
        Polygons (a district, streets, ...) in any CRS.
    spacing_m
        Grid spacing in metres; grid lines fall on multiples of it in the projected CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` and point geometry, in the CRS of ``area``.
    """
    spacing = _positive(spacing_m, "spacing_m")
    if len(area) == 0:
        raise EmptyInputError("the area is empty / 区域为空")
    crs = measuring_crs(area)
    shape = shapely.union_all(area.to_crs(crs).geometry.to_numpy())
    x0, y0, x1, y1 = shape.bounds
    xs = np.arange(np.ceil(x0 / spacing), np.floor(x1 / spacing) + 1) * spacing
    ys = np.arange(np.ceil(y0 / spacing), np.floor(y1 / spacing) + 1) * spacing
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys))
    shapely.prepare(shape)
    inside = shapely.intersects_xy(shape, gx, gy)
    points = np.asarray(shapely.points(gx[inside], gy[inside]), dtype=object)
    return _frame(points, crs, area.crs)


def network_candidates(roads: gpd.GeoDataFrame, *, every_m: float) -> gpd.GeoDataFrame:
    """Candidates along road lines, spaced at most ``every_m`` apart on each edge.

    Each edge of length ``L`` gets ``ceil(L / every_m)`` points at the middles of equal
    pieces, so short edges get their midpoint and no point sits on a shared node; both
    directions of a two-way edge give the same points, which are kept once.

    Parameters
    ----------
    roads
        Edge lines (the ``roads`` layer: ``edge_id`` and LineString geometry) in any CRS.
    every_m
        Largest spacing along an edge, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id``, ``edge_id`` (or the roads' index), ``offset_m`` along the edge,
        and point geometry, in the CRS of ``roads``.
    """
    step = _positive(every_m, "every_m")
    if len(roads) == 0:
        raise EmptyInputError("no roads / 没有道路")
    crs = measuring_crs(roads)
    edge_ids = roads["edge_id"] if "edge_id" in roads.columns else roads.index.to_series()
    lines = roads.to_crs(crs).geometry.set_axis(edge_ids.to_numpy())
    lines = lines[~(lines.is_empty | lines.isna())].explode(index_parts=False)
    geoms = lines.to_numpy()
    length = shapely.length(geoms)
    count = np.where(length > 0, np.ceil(length / step), 0).astype(np.int64)
    which = np.repeat(np.arange(len(geoms)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    offset = (k + 0.5) * length[which] / count[which]
    pts = shapely.line_interpolate_point(geoms[which], offset)
    key = np.round(shapely.get_coordinates(pts) / _DEDUP_M).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    return _frame(
        pts[first],
        crs,
        roads.crs,
        edge_id=lines.index.to_numpy()[which[first]],
        offset_m=offset[first],
    )


def exclude_within(
    candidates: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame | gpd.GeoSeries
) -> gpd.GeoDataFrame:
    """Drop candidates inside (or on the edge of) any of ``polygons`` (water, parks,
    heritage areas).

    Parameters
    ----------
    candidates
        Candidate sites.
    polygons
        Exclusion areas, in the same CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates outside every polygon.
    """
    if len(polygons) == 0 or len(candidates) == 0:
        return candidates.copy()
    crs = _same_crs(candidates, polygons)
    tree = shapely.STRtree(polygons.to_crs(crs).geometry.to_numpy())
    hit, _ = tree.query(candidates.to_crs(crs).geometry.to_numpy(), predicate="intersects")
    keep = np.ones(len(candidates), dtype=bool)
    keep[hit] = False
    return candidates[keep].copy()


def exclude_near(
    candidates: gpd.GeoDataFrame,
    layer: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    setback_m: float,
) -> gpd.GeoDataFrame:
    """Drop candidates closer than ``setback_m`` to any geometry of ``layer`` (a candidate
    exactly at the setback stays).

    Parameters
    ----------
    candidates
        Candidate sites (their full geometry is measured).
    layer
        What to keep away from (homes, water sources, schools), in the same CRS.
    setback_m
        Least allowed distance, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates at least ``setback_m`` from every feature of ``layer``.
    """
    setback = _positive(setback_m, "setback_m")
    if len(layer) == 0 or len(candidates) == 0:
        return candidates.copy()
    crs = _same_crs(candidates, layer)
    other = layer.to_crs(crs).geometry.to_numpy()
    mine = candidates.to_crs(crs).geometry.to_numpy()
    c, o = shapely.STRtree(other).query(mine, predicate="dwithin", distance=setback)
    close = shapely.distance(mine[c], other[o]) < setback
    keep = np.ones(len(candidates), dtype=bool)
    keep[c[close]] = False
    return candidates[keep].copy()


def enforce_spacing(
    candidates: gpd.GeoDataFrame,
    *,
    min_spacing_m: float,
    priority: str | None = None,
) -> gpd.GeoDataFrame:
    """Keep candidates so that no two kept ones are closer than ``min_spacing_m``.

    The rule is greedy by priority: take the candidates from the highest ``priority``
    (ties and no column: in row order) and keep each one that is not too close to one
    already kept. It is computed in rounds on a KD-tree's conflict pairs (a candidate is
    kept once it outranks every undecided neighbour), which gives the same answer as the
    one-by-one rule without a loop over candidates.

    Parameters
    ----------
    candidates
        Candidate sites (polygons are measured from a point inside them).
    min_spacing_m
        Least allowed distance between kept candidates, metres.
    priority
        Column ranking the candidates (higher first), e.g. a score or site area.

    Returns
    -------
    geopandas.GeoDataFrame
        The kept candidates, in their original order.
    """
    spacing = _positive(min_spacing_m, "min_spacing_m")
    n = len(candidates)
    if n == 0:
        return candidates.copy()
    xy = points_xy(candidates, measuring_crs(candidates))
    pairs = cKDTree(xy).query_pairs(spacing, output_type="ndarray")
    if len(pairs):
        gap = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
        pairs = pairs[gap < spacing]
    key = np.zeros(n) if priority is None else -candidates[priority].to_numpy(np.float64)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), key))] = np.arange(n)
    return candidates[_greedy_independent(rank, pairs)].copy()


def _greedy_independent(rank: NDArray[np.int64], pairs: NDArray[np.intp]) -> NDArray[np.bool_]:
    """The set that one-by-one greedy (lowest rank first, skip conflicts) keeps."""
    n = len(rank)
    state = np.zeros(n, dtype=np.int8)  # 0 undecided, 1 kept, -1 dropped
    a, b = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    while (state == 0).any():
        live = (state[a] == 0) & (state[b] == 0)
        best_neighbour = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(best_neighbour, a[live], rank[b[live]])
        win = (state == 0) & (rank < best_neighbour)
        state[win] = 1
        lose = win[a] & (state[b] == 0)
        state[b[lose]] = -1
    return state == 1
