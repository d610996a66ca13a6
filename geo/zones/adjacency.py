"""Adjacency of demand units: which units touch, as a symmetric sparse boolean matrix.

Polygons are adjacent by **rook** (a shared edge of positive length) or **queen** (any shared
boundary point, corners included) contiguity; points by their **Delaunay** triangulation (the
dual of their Voronoi cells). Everything is vectorised with shapely's STRtree and scipy.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.spatial import Delaunay, QhullError

from geo._errors import AnalysisError, CRSMismatchError

__all__ = [
    "Contiguity",
    "adjacency_edges",
    "delaunay_adjacency",
    "polygon_adjacency",
    "unit_adjacency",
]

Contiguity = Literal["rook", "queen"]


def _symmetric(a: NDArray[np.intp], b: NDArray[np.intp], n: int) -> sp.csr_array:
    keep = a != b
    rows = np.concatenate([a[keep], b[keep]])
    cols = np.concatenate([b[keep], a[keep]])
    adj = sp.csr_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n, n))
    adj.sum_duplicates()
    adj.sort_indices()
    return adj


def polygon_adjacency(
    polygons: NDArray[np.object_] | gpd.GeoSeries,
    *,
    contiguity: Contiguity = "rook",
    tolerance_m: float = 0.0,
) -> sp.csr_array:
    """Adjacency of polygons by shared boundary.

    Parameters
    ----------
    polygons
        Polygon geometries in a projected CRS (metres).
    contiguity
        ``"rook"``: a shared edge longer than ``max(tolerance_m, 1e-6)`` metres; ``"queen"``:
        any shared boundary point.
    tolerance_m
        Gap allowed between neighbours whose digitised boundaries do not meet exactly (real
        community polygons often leave slivers). ``0`` means exact topology.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric boolean (n, n) matrix, no diagonal.
    """
    geoms = np.asarray(polygons, dtype=object)
    n = geoms.size
    if n == 0:
        return sp.csr_array((0, 0), dtype=bool)
    tree = shapely.STRtree(geoms)
    if tolerance_m > 0:
        a, b = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    else:
        a, b = tree.query(geoms, predicate="intersects")
    half = a < b
    a, b = a[half], b[half]
    if contiguity == "rook" and a.size:
        bound_a = shapely.boundary(geoms[a])
        bound_b = shapely.boundary(geoms[b])
        if tolerance_m > 0:
            bound_b = shapely.buffer(bound_b, tolerance_m)
        shared = shapely.length(shapely.intersection(bound_a, bound_b))
        keep = shared > max(2 * tolerance_m, 1e-6)
        a, b = a[keep], b[keep]
    elif contiguity not in {"queen", "rook"}:
        msg = f"unknown contiguity {contiguity!r} (rook or queen) / 未知的邻接方式 {contiguity!r}"
        raise AnalysisError(msg)
    return _symmetric(a, b, n)


def delaunay_adjacency(xy: NDArray[np.float64], *, max_edge_m: float | None = None) -> sp.csr_array:
    """Adjacency of points by their Delaunay triangulation (Voronoi neighbours).

    Parameters
    ----------
    xy
        (n, 2) projected coordinates in metres.
    max_edge_m
        Drop triangulation edges longer than this (points across a park or a river are then
        not neighbours). ``None`` keeps every edge.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric boolean (n, n) matrix. Fewer than 3 points, or collinear points, are joined
        in order along their principal axis.
    """
    pts = np.asarray(xy, dtype=float)
    n = len(pts)
    if n < 2:
        return sp.csr_array((n, n), dtype=bool)
    try:
        if n < 3:
            raise QhullError("too few points")
        tri = Delaunay(pts)
        s = tri.simplices
        a = np.concatenate([s[:, 0], s[:, 1], s[:, 2]])
        b = np.concatenate([s[:, 1], s[:, 2], s[:, 0]])
    except QhullError:
        centred = pts - pts.mean(axis=0)
        axis = np.linalg.svd(centred, full_matrices=False)[2][0]
        order = np.argsort(centred @ axis, kind="stable")
        a, b = order[:-1], order[1:]
    if max_edge_m is not None:
        keep = np.hypot(*(pts[a] - pts[b]).T) <= max_edge_m
        a, b = a[keep], b[keep]
    return _symmetric(a.astype(np.intp), b.astype(np.intp), n)


def unit_adjacency(
    units: gpd.GeoDataFrame,
    *,
    contiguity: Contiguity = "rook",
    tolerance_m: float = 0.0,
    max_edge_m: float | None = None,
) -> sp.csr_array:
    """Adjacency of demand units: polygon contiguity, or Delaunay for point units.

    ``units`` must be in a projected CRS. Mixed polygon and point frames are refused.
    """
    if units.crs is None or not units.crs.is_projected:
        msg = "units must be in a projected CRS to build adjacency / 需投影坐标系以计算邻接"
        raise CRSMismatchError(msg)
    kinds = set(shapely.get_type_id(units.geometry.values))
    polygonal = {3, 6}
    if kinds <= polygonal:
        return polygon_adjacency(
            units.geometry.values, contiguity=contiguity, tolerance_m=tolerance_m
        )
    if kinds <= {0}:
        xy = shapely.get_coordinates(units.geometry.values)
        return delaunay_adjacency(xy, max_edge_m=max_edge_m)
    msg = "units must be all polygons or all points / 单元须全部为面或全部为点"
    raise AnalysisError(msg)


def adjacency_edges(adjacency: sp.csr_array | sp.spmatrix) -> tuple[NDArray, NDArray]:
    """The undirected edges ``(a, b)`` with ``a < b`` of a symmetric adjacency matrix."""
    coo = sp.coo_array(adjacency)
    keep = coo.row < coo.col
    a, b = coo.row[keep].astype(np.intp), coo.col[keep].astype(np.intp)
    order = np.lexsort((b, a))
    return a[order], b[order]
