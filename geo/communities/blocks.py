"""Street blocks (街区): the units a community is split along.

A community's blocks are the faces of its road network: the roads inside its polygon are
clipped to it, noded with its boundary and polygonized, so that every block edge is a road or
the old community boundary. Faces too small or too thin to be a block (the strip between two
carriageways, a corner cut by a slip road) are merged into the neighbour they share the
longest edge with. :func:`block_counts` then gives every block its households and
population: summed from a user layer (buildings or courtyards with 户数/人口), or apportioned
from the community's totals by area and flagged ``estimated``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from geo._errors import AnalysisError, CRSMismatchError, EmptyInputError
from geo.projection import measuring_crs

__all__ = ["COUNT_COLUMNS", "apportion", "block_counts", "cut_blocks", "street_blocks"]

#: the counts a block carries (summed from a user layer or apportioned from its community)
COUNT_COLUMNS = (
    "households",
    "population",
    "elderly_60_plus",
    "elderly_80_plus",
    "basic_recipients",
)
_LINES = (1, 5)  # LineString, MultiLineString


def _faces(polygon: shapely.Geometry, roads: NDArray[np.object_]) -> NDArray[np.object_]:
    """The faces inside ``polygon`` of ``roads`` noded with its boundary.

    The roads are noded whole (not clipped first): a clipped road ends a hair off the
    boundary and would leave its face open."""
    lines = shapely.get_parts(roads)
    lines = lines[np.isin(shapely.get_type_id(lines), _LINES)]
    noded = shapely.union_all(np.concatenate([[shapely.boundary(polygon)], lines]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 0]
    inside = shapely.within(shapely.point_on_surface(faces), polygon)
    return faces[inside] if inside.any() else np.array([polygon], dtype=object)


def _merge_slivers(
    faces: NDArray[np.object_], *, min_area_m2: float, min_width_m: float
) -> NDArray[np.object_]:
    """Merge every face smaller than ``min_area_m2`` or narrower than ``min_width_m`` (mean
    width ``2·area/perimeter``) into the neighbour sharing its longest edge, round by round
    until none is left (or none of those left touches another face along an edge)."""
    while faces.size > 1:
        area = shapely.area(faces)
        width = 2 * area / np.maximum(shapely.length(faces), 1e-9)
        small = np.flatnonzero((area < min_area_m2) | (width < min_width_m))
        if small.size == 0:
            break
        tree = shapely.STRtree(faces)
        a, b = tree.query(faces[small], predicate="intersects")
        a = small[a]
        a, b = a[a != b], b[a != b]
        shared = shapely.length(
            shapely.intersection(shapely.boundary(faces[a]), shapely.boundary(faces[b]))
        )
        ok = shared > 1e-6
        a, b, shared = a[ok], b[ok], shared[ok]
        if a.size == 0:
            break
        order = np.lexsort((b, -area[b], -shared, a))
        first = np.unique(a[order], return_index=True)[1]
        a, b = a[order][first], b[order][first]
        graph = coo_array((np.ones(a.size), (a, b)), shape=(faces.size, faces.size))
        _, label = connected_components(graph, directed=False)
        faces = np.array(
            [shapely.union_all(faces[label == g]) for g in np.unique(label)],
            dtype=object,
        )
    return faces


def street_blocks(
    communities: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    community_id: str = "code",
    min_area_m2: float = 3_000.0,
    min_width_m: float = 20.0,
) -> gpd.GeoDataFrame:
    """Street blocks of every community: its polygon cut by the roads inside it.

    Parameters
    ----------
    communities
        Community polygons with an id column.
    roads
        Road (or walking-network) lines; any CRS.
    community_id
        The communities' id column (kept as ``community_code`` on each block).
    min_area_m2, min_width_m
        Faces below either are slivers, merged into a neighbour.

    Returns
    -------
    geopandas.GeoDataFrame
        ``block_id`` (``{community}-{nnn}``, numbered west to east, then south to north
        within a column of 100 m), ``community_code``, ``area_m2``, geometry, in the
        communities' CRS. A community without a road inside is one block.
    """
    if len(communities) == 0:
        raise EmptyInputError("no communities / 没有社区")
    if communities.crs is None or roads.crs is None:
        raise CRSMismatchError("communities and roads need a CRS / 社区与道路须有坐标系")
    if community_id not in communities.columns:
        msg = f"communities have no column {community_id!r} / 社区缺少字段 {community_id!r}"
        raise AnalysisError(msg)
    crs = measuring_crs(communities)
    polys = communities.to_crs(crs).geometry.values
    lines = roads.to_crs(crs).geometry.values
    ci, ri = shapely.STRtree(lines).query(polys, predicate="intersects")
    starts = np.searchsorted(ci, np.arange(len(polys) + 1))
    ids, geoms = [], []
    for i, poly in enumerate(polys):
        faces = _faces(poly, lines[ri[starts[i] : starts[i + 1]]])
        faces = _merge_slivers(faces, min_area_m2=min_area_m2, min_width_m=min_width_m)
        ids.append(np.full(faces.size, communities[community_id].iloc[i], dtype=object))
        geoms.append(_ordered(faces))
    geometry = np.concatenate(geoms)
    code = np.concatenate(ids)
    seq = pd.Series(code).groupby(code).cumcount().to_numpy() + 1
    out = gpd.GeoDataFrame(
        {
            "block_id": [f"{c}-{s:03d}" for c, s in zip(code, seq, strict=True)],
            "community_code": code,
            "area_m2": shapely.area(geometry),
        },
        geometry=geometry,
        crs=crs,
    )
    return out.to_crs(communities.crs)


def _ordered(faces: NDArray[np.object_]) -> NDArray[np.object_]:
    """Faces in a stable order: by 100 m column of their inner point, then northing."""
    xy = shapely.get_coordinates(shapely.point_on_surface(faces))
    return faces[np.lexsort((xy[:, 1], np.floor(xy[:, 0] / 100.0)))]


def apportion(total: float, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """Split a whole ``total`` in proportion to ``weights`` into integers summing to it
    (largest remainder; ties to the earlier item)."""
    w = np.asarray(weights, dtype=float)
    t = round(float(total))
    if w.size == 0:
        return np.zeros(0, dtype=np.int64)
    share = w / w.sum() * t if w.sum() > 0 else np.full(w.size, t / w.size)
    base = np.floor(share).astype(np.int64)
    rest = t - int(base.sum())
    order = np.lexsort((np.arange(w.size), -(share - base)))
    base[order[:rest]] += 1
    return base


def block_counts(
    blocks: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    *,
    households: gpd.GeoDataFrame | None = None,
    community_id: str = "code",
) -> gpd.GeoDataFrame:
    """Households, population and elderly of every block.

    Parameters
    ----------
    blocks
        From :func:`street_blocks` (``community_code``, ``area_m2``).
    communities
        With the totals :data:`COUNT_COLUMNS` (those missing count as 0).
    households
        Buildings or courtyards (points or polygons) with ``households`` and ``population``
        (and optionally elderly) columns: each is counted in the block holding its inner
        point. ``None``: every count is apportioned from the community by block area.

    Returns
    -------
    geopandas.GeoDataFrame
        ``blocks`` with the count columns and ``estimated`` (``True`` where apportioned).
        Elderly counts missing from ``households`` are apportioned by population.
    """
    out = blocks.copy()
    totals = communities.set_index(community_id).reindex(out["community_code"].unique())
    area = out["area_m2"].to_numpy(dtype=float)
    measured: dict[str, NDArray[np.int64]] = {}
    if households is not None:
        measured = _summed(out, households)
    for col in COUNT_COLUMNS:
        if col in measured:
            out[col] = measured[col]
            continue
        weight = out["population"].to_numpy(dtype=float) if "population" in measured else area
        out[col] = _by_community(out, totals, col, weight)
    out["estimated"] = "households" not in measured
    return out


def _by_community(
    blocks: gpd.GeoDataFrame, totals: pd.DataFrame, column: str, weight: NDArray[np.float64]
) -> NDArray[np.int64]:
    values = np.zeros(len(blocks), dtype=np.int64)
    if column not in totals.columns:
        return values
    codes = blocks["community_code"].to_numpy()
    for code, total in totals[column].fillna(0).items():
        at = np.flatnonzero(codes == code)
        values[at] = apportion(float(total), weight[at])
    return values


def _summed(blocks: gpd.GeoDataFrame, households: gpd.GeoDataFrame) -> dict[str, NDArray]:
    """Counts of the household layer summed per block (by inner point)."""
    if households.crs is None:
        raise CRSMismatchError("the household layer has no CRS / 户籍图层没有坐标系")
    missing = [c for c in ("households", "population") if c not in households.columns]
    if missing:
        msg = (
            f"the household layer lacks {', '.join(missing)}"
            f" / 户籍图层缺少字段：{', '.join(missing)}"
        )
        raise AnalysisError(msg)
    pts = shapely.point_on_surface(households.to_crs(blocks.crs).geometry.values)
    hi, bi = shapely.STRtree(blocks.geometry.values).query(pts, predicate="intersects")
    first = np.unique(hi, return_index=True)[1]
    hi, bi = hi[first], bi[first]
    out = {}
    for col in COUNT_COLUMNS:
        if col in households.columns:
            vals = pd.to_numeric(households[col], errors="coerce").fillna(0).to_numpy()
            out[col] = np.bincount(bi, weights=vals[hi], minlength=len(blocks)).round()
            out[col] = out[col].astype(np.int64)
    return out


def _grid_pieces(block: shapely.Geometry, pieces: int) -> NDArray[np.object_]:
    """``block`` cut by a grid aligned with its minimum rotated rectangle into about
    ``pieces`` cells (slivers merged)."""
    rect = shapely.get_coordinates(shapely.oriented_envelope(block))[:4]
    origin, u_end, v_end = rect[0], rect[1], rect[3]
    u, v = u_end - origin, v_end - origin
    lu, lv = float(np.hypot(*u)), float(np.hypot(*v))
    cols = max(1, round(np.sqrt(pieces * lu / max(lv, 1e-9))))
    rows = max(1, int(np.ceil(pieces / cols)))
    s, t = np.meshgrid(np.arange(cols), np.arange(rows), indexing="ij")
    s, t = s.ravel()[:, None], t.ravel()[:, None]
    corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    margin = 1e-3  # the outer cells reach past the rectangle; inner edges stay shared
    a = (s + corners[:, 0]) / cols * (1 + 2 * margin) - margin
    b = (t + corners[:, 1]) / rows * (1 + 2 * margin) - margin
    xy = origin + a[..., None] * u + b[..., None] * v
    cells = shapely.polygons(xy)
    parts = shapely.get_parts(shapely.intersection(cells, block))
    return parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)]


def cut_blocks(
    blocks: gpd.GeoDataFrame, *, max_households: float, piece_households: float
) -> gpd.GeoDataFrame:
    """Cut every block holding more than ``max_households`` (no road inside it divides it)
    into grid cells of about ``piece_households`` each, counts apportioned by area.

    The cells' edges are not roads: such blocks are flagged ``cut`` so that a proposal
    drawn along them is checked on the ground (a compound's inner paths, building rows).
    Cell ids are the block's id with ``-c{n}``.
    """
    out = blocks.copy()
    out["cut"] = out.get("cut", pd.Series(False, index=out.index)).astype(bool)
    big = np.flatnonzero(out["households"].to_numpy(dtype=float) > max_households)
    if big.size == 0:
        return out
    crs = measuring_crs(out)
    proj = out.to_crs(crs)
    rows = []
    for i in big:
        row = proj.iloc[i]
        n = int(np.ceil(float(row["households"]) / piece_households))
        cells = _grid_pieces(row.geometry, n)
        cells = _merge_slivers(cells, min_area_m2=0.1 * row.geometry.area / n, min_width_m=0.0)
        cells = _ordered(cells)
        area = shapely.area(cells)
        piece = pd.DataFrame([row.drop("geometry")] * cells.size).reset_index(drop=True)
        piece["block_id"] = [f"{row['block_id']}-c{j + 1}" for j in range(cells.size)]
        piece["area_m2"] = area
        for col in COUNT_COLUMNS:
            if col in piece.columns:
                piece[col] = apportion(float(row[col]), area)
        piece["cut"] = True
        rows.append(gpd.GeoDataFrame(piece, geometry=cells, crs=crs).to_crs(out.crs))
    keep = out.drop(index=out.index[big])
    return gpd.GeoDataFrame(pd.concat([keep, *rows], ignore_index=True), crs=out.crs)
