"""Service areas (isochrones) built from the streets actually reached, not hulls.

In network mode, a facility's area at radius ``r`` is the set of street pieces from which
the facility is within ``r`` (partial segments cut at the exact reach), buffered by
``buffer_m``: it contains only what is reachable, with holes where blocks are not.
``how="each"`` gives every facility its own (overlapping) area; ``how="nearest"`` gives
each reached street piece to its nearest facility only (areas that tile the covered
streets). In Euclidean mode the areas are circles (``"nearest"``: clipped to Voronoi
cells).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from geo._errors import AnalysisError, EmptyInputError
from geo.costs import Mode
from geo.network import _polyline
from geo.network.augment import Augmented, pieces_of
from geo.network.graph import Network
from geo.network.search import sources_graph
from geo.projection import measuring_crs, points_xy
from geo.snap import DEFAULT_MAX_SNAP_M

__all__ = ["service_areas"]

_BATCH_BYTES = 128 * 2**20


def service_areas(
    facilities: gpd.GeoDataFrame,
    *,
    network: Network | None = None,
    mode: Mode = "network",
    tiers_m: Sequence[float] = (1000.0,),
    buffer_m: float = 25.0,
    how: str = "each",
    facility_ids: Sequence[Any] | NDArray[Any] | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    add_access: bool = True,
) -> gpd.GeoDataFrame:
    """Service-area polygons of every facility at every radius in ``tiers_m``.

    Parameters
    ----------
    facilities
        Facility points, any CRS.
    network, mode
        Walking network (network mode) or straight-line circles (``"euclidean"``).
    tiers_m
        Radii (m).
    buffer_m
        Half-width of the band drawn around reached streets (network mode).
    how
        ``"each"`` (one area per facility, overlapping) or ``"nearest"`` (reached streets
        go to their nearest facility only).
    facility_ids
        Ids to report (default: the facilities' index).
    max_snap_m, add_access
        As in :func:`geo.distance.nearest_facility`; facilities that do not snap get no
        area.

    Returns
    -------
    geopandas.GeoDataFrame
        ``facility_id``, ``radius_m``, ``reached_length_m`` (network mode) and the area
        polygons, in the facilities' CRS.
    """
    if len(facilities) == 0:
        raise EmptyInputError("no facilities / 没有设施")
    if how not in ("each", "nearest"):
        raise AnalysisError(f"how must be 'each' or 'nearest', not {how!r} / 参数 how 无效")
    radii = tuple(sorted({float(r) for r in tiers_m}))
    ids = np.asarray(facilities.index if facility_ids is None else facility_ids, dtype=object)
    if mode == "euclidean":
        crs = network.pyproj_crs if network is not None else measuring_crs(facilities)
        frame = _circles(points_xy(facilities, crs), radii, how, ids)
    elif network is None:
        raise AnalysisError("network mode needs a network / 路网模式需要路网")
    else:
        crs = network.pyproj_crs
        parts = _reached(
            network,
            points_xy(facilities, crs),
            radii=radii,
            how=how,
            max_snap_m=max_snap_m,
            add_access=add_access,
        )
        frame = _polygons(network, parts, buffer_m, ids)
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
    return out.to_crs(facilities.crs)


def _circles(
    xy: NDArray[np.float64], radii: tuple[float, ...], how: str, ids: NDArray[Any]
) -> pd.DataFrame:
    centers = shapely.points(xy)
    rows = []
    cells: NDArray[np.object_] | None = None
    # co-located facilities tie for nearest: they share one Voronoi cell
    unique_xy, inverse = np.unique(xy, axis=0, return_inverse=True)
    if how == "nearest" and len(unique_xy) > 1:
        diagram = shapely.voronoi_polygons(shapely.multipoints(unique_xy), ordered=True)
        cells = np.asarray(shapely.get_parts(diagram), dtype=object)[inverse.ravel()]
    for r in radii:
        geom = shapely.buffer(centers, r, quad_segs=16)
        if cells is not None:
            geom = shapely.intersection(geom, cells)
        rows.append(pd.DataFrame({"facility_id": ids, "radius_m": r, "geometry": geom}))
    return pd.concat(rows, ignore_index=True)


@dataclass(frozen=True)
class _Streets:
    """The street pieces of the augmented network: from node ``a`` to node ``b``, on
    segment ``edge`` from ``seg_from`` along it, ``length`` long, walkable towards ``a``
    / ``b`` (to a facility)."""

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    edge: NDArray[np.int64]
    seg_from: NDArray[np.float64]
    length: NDArray[np.float64]
    to_a: NDArray[np.bool_]
    to_b: NDArray[np.bool_]

    def reach(
        self, r: float, d_a: NDArray[np.float64], d_b: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """How far into each piece radius ``r`` reaches from its ``a`` and ``b`` ends."""
        ra = np.where(self.to_a, np.clip(r - d_a, 0.0, self.length), 0.0)
        rb = np.where(self.to_b, np.clip(r - d_b, 0.0, self.length), 0.0)
        return ra, rb


def _reached(
    network: Network,
    fxy: NDArray[np.float64],
    *,
    radii: tuple[float, ...],
    how: str,
    max_snap_m: float,
    add_access: bool,
) -> pd.DataFrame:
    """Reached street parts: facility, radius, segment, from / to offsets along it."""
    aug, _ = sources_graph(network, fxy, max_snap_m=max_snap_m, add_access=add_access)
    a, b, edge, seg_from, seg_to = pieces_of(network, aug)
    streets = _Streets(
        a,
        b,
        edge,
        seg_from,
        seg_to - seg_from,
        network.edge_backward[edge],
        network.edge_forward[edge],
    )
    if how == "nearest":
        return _reached_nearest(aug, streets, radii, n_facilities=len(fxy))
    return _reached_each(aug, streets, radii)


def _reached_nearest(
    aug: Augmented, st: _Streets, radii: tuple[float, ...], *, n_facilities: int
) -> pd.DataFrame:
    """Every reached part goes to its nearest facility (one multi-source search); a
    piece reached from both ends by different facilities is cut where they are equal."""
    dist, _, src = dijkstra(
        aug.graph, indices=aug.source, limit=radii[-1], min_only=True, return_predecessors=True
    )
    owner = aug.facility_of(src)
    fa, fb = owner[st.a], owner[st.b]
    da, db = dist[st.a], dist[st.b]
    with np.errstate(invalid="ignore"):
        split = np.clip(np.nan_to_num((st.length + db - da) / 2, nan=0.0), 0.0, st.length)
    out = []
    for r in radii:
        ra, rb = st.reach(r, da, db)
        a_end = np.where(fa == fb, ra, np.minimum(ra, split))
        b_start = np.where(fa == fb, st.length - rb, np.maximum(st.length - rb, split))
        out.append(_parts(st, fa, fb, r=r, a_end=a_end, b_start=b_start, facility=None))
    return pd.concat(out, ignore_index=True)


def _reached_each(aug: Augmented, st: _Streets, radii: tuple[float, ...]) -> pd.DataFrame:
    """Every facility's own reach (one bounded search per facility, in batches)."""
    n_nodes = aug.graph.shape[0]
    batch = max(1, _BATCH_BYTES // (8 * (n_nodes + 4 * len(st.edge))))
    out = []
    for start in range(0, len(aug.source), batch):
        src_nodes = aug.source[start : start + batch]
        dist = dijkstra(aug.graph, indices=src_nodes, limit=radii[-1])
        k = np.broadcast_to(np.arange(start, start + len(src_nodes))[:, None], dist[:, st.a].shape)
        for r in radii:
            ra, rb = st.reach(r, dist[:, st.a], dist[:, st.b])
            out.append(
                _parts(st, k, k, r=r, a_end=ra, b_start=st.length - rb, facility=aug.facility)
            )
    return pd.concat(out, ignore_index=True) if out else _parts_empty()


def _parts(
    st: _Streets,
    fa: NDArray[np.int64],
    fb: NDArray[np.int64],
    *,
    r: float,
    a_end: NDArray[np.float64],
    b_start: NDArray[np.float64],
    facility: NDArray[np.int64] | None,
) -> pd.DataFrame:
    """The reached parts ``[0, a_end]`` (from the ``a`` end, facility ``fa``) and
    ``[b_start, length]`` (``b`` end, ``fb``) of every piece, broadcasting over rows;
    ``facility`` maps ``fa``/``fb`` to facility positions (None: they already are)."""
    edge2 = np.broadcast_to(st.edge, a_end.shape)
    from2 = np.broadcast_to(st.seg_from, a_end.shape)
    len2 = np.broadcast_to(st.length, a_end.shape)
    ia = np.nonzero(a_end > 0)
    ib = np.nonzero(b_start < len2)
    who = np.concatenate([fa[ia], fb[ib]])
    return pd.DataFrame(
        {
            "facility": who if facility is None else facility[who],
            "radius_m": r,
            "edge": np.concatenate([edge2[ia], edge2[ib]]),
            "from_m": np.concatenate([from2[ia], from2[ib] + b_start[ib]]),
            "to_m": np.concatenate([from2[ia] + a_end[ia], from2[ib] + len2[ib]]),
        }
    )


def _parts_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["facility", "radius_m", "edge", "from_m", "to_m"])


def _polygons(
    network: Network, parts: pd.DataFrame, buffer_m: float, ids: NDArray[Any]
) -> pd.DataFrame:
    """Buffer the reached parts of each (facility, radius) into one polygon."""
    if len(parts) == 0:
        return pd.DataFrame(
            {"facility_id": [], "radius_m": [], "reached_length_m": [], "geometry": []}
        )
    parts = parts.sort_values(["facility", "radius_m"], kind="stable").reset_index(drop=True)
    offsets, xy = _polyline.substrings(
        network.geom_offsets,
        network.geom_xy,
        parts["edge"].to_numpy(dtype=np.int64),
        parts["from_m"].to_numpy(dtype=np.float64),
        parts["to_m"].to_numpy(dtype=np.float64),
    )
    lines = shapely.linestrings(xy, indices=np.repeat(np.arange(len(parts)), np.diff(offsets)))
    group_keys = parts[["facility", "radius_m"]]
    group = group_keys.ne(group_keys.shift()).any(axis=1).cumsum().to_numpy() - 1
    # buffering each piece and merging per group is far faster than buffering a
    # MultiLineString (GEOS then unions piece by piece)
    bands = np.asarray(shapely.buffer(lines, buffer_m, quad_segs=4), dtype=object)
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1], True])
    geoms = [shapely.union_all(bands[lo:hi]) for lo, hi in itertools.pairwise(bounds)]
    first = np.r_[True, group[1:] != group[:-1]]
    keys = parts.loc[first, ["facility", "radius_m"]].reset_index(drop=True)
    reached = _reached_length(parts, group)
    return pd.DataFrame(
        {
            "facility_id": ids[keys["facility"].to_numpy(dtype=np.int64)],
            "radius_m": keys["radius_m"].to_numpy(dtype=np.float64),
            "reached_length_m": reached,
            "geometry": geoms,
        }
    )


def _reached_length(parts: pd.DataFrame, group: NDArray[np.int64]) -> NDArray[np.float64]:
    """Length of the union of each group's parts (parts on one segment may overlap)."""
    frame = pd.DataFrame(
        {"group": group, "edge": parts["edge"], "lo": parts["from_m"], "hi": parts["to_m"]}
    ).sort_values(["group", "edge", "lo"], kind="stable")
    g, e = frame["group"].to_numpy(), frame["edge"].to_numpy()
    lo, hi = frame["lo"].to_numpy(dtype=float), frame["hi"].to_numpy(dtype=float)
    new = np.r_[True, (g[1:] != g[:-1]) | (e[1:] != e[:-1])]
    run = np.cumsum(new) - 1
    # running maximum of the ends so far, restarted at each (group, segment)
    reach = pd.Series(hi).groupby(run).cummax().to_numpy()
    prev = np.r_[-np.inf, reach[:-1]]
    start = np.where(new, lo, np.maximum(lo, prev))
    covered = np.maximum(hi - start, 0.0)
    return np.asarray(
        np.bincount(g, weights=covered, minlength=int(group.max()) + 1), dtype=np.float64
    )
