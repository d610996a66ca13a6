"""Shortest-path searches from facilities on the augmented network (arrays in, arrays out).

One multi-source Dijkstra (``scipy.sparse.csgraph.dijkstra`` with ``min_only=True``)
gives every node its nearest facility; every facility's demand points within a finite
cutoff come from multi-source sweeps of well-separated facilities (see
:mod:`geo.network.sweep`), and without a cutoff from single-source searches run in
batches. Demand points between two nodes take the better of their two ends (see
:mod:`geo.network.augment`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from geo.network.augment import Augmented, Located, augment, locate
from geo.network.graph import Network
from geo.snap import Snapped, snap_points

__all__ = [
    "NearestArrays",
    "Pairs",
    "nearest_search",
    "node_search",
    "pair_search",
    "pair_search_each",
    "sources_graph",
]

Pairs = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]
#: memory for one batch of per-facility searches in :func:`pair_search`
_BATCH_BYTES = 128 * 2**20


@dataclass(frozen=True)
class NearestArrays:
    """Per demand point: nearest facility (-1 if none), its distance (inf if none),
    snapped or not, access leg; per facility: snapped or not."""

    facility: NDArray[np.int64]
    distance_m: NDArray[np.float64]
    reachable: NDArray[np.bool_]
    snap_m: NDArray[np.float64]
    facility_reachable: NDArray[np.bool_]


def sources_graph(
    network: Network, facility_xy: NDArray[np.float64], *, max_snap_m: float, add_access: bool
) -> tuple[Augmented, NDArray[np.bool_]]:
    """The network augmented with the snapped facilities, and which facilities snapped."""
    fac = snap_points(facility_xy, network, max_snap_m=max_snap_m)
    return augment(network, fac, add_access=add_access), fac.ok


def _multi_source(
    aug: Augmented, cutoff_m: float
) -> tuple[NDArray[np.float64], NDArray[np.integer]]:
    """Distance to the nearest facility and its search's start node, for every node."""
    n = aug.graph.shape[0]
    if len(aug.source) == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int32)
    dist, _, src = dijkstra(
        aug.graph,
        directed=True,
        indices=aug.source,
        limit=cutoff_m,
        min_only=True,
        return_predecessors=True,
    )
    return dist, src


def _combine(
    loc: Located, d_left: NDArray[np.float64], d_right: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Distance through the better end of each demand point's piece; True where left."""
    via_left = np.where(loc.to_left, d_left + loc.left_m, np.inf)
    via_right = np.where(loc.to_right, d_right + loc.right_m, np.inf)
    use_left = via_left <= via_right
    return np.where(use_left, via_left, via_right), use_left


def nearest_search(
    network: Network,
    demand_xy: NDArray[np.float64],
    facility_xy: NDArray[np.float64],
    *,
    cutoff_m: float,
    max_snap_m: float,
    add_access: bool,
    demand: Snapped | None = None,
) -> NearestArrays:
    """The nearest facility of every demand point, walking (coordinates in the network's
    CRS); ``demand``: the points already snapped to ``network`` within ``max_snap_m``.
    A large batch to snap is worked on in the snap index's order (nearby points
    together: the network's arrays are then read close together) and put back."""
    order = network.snap_index.order(demand_xy) if demand is None else None
    if order is not None:
        demand_xy = demand_xy[order]
    aug, fac_ok = sources_graph(network, facility_xy, max_snap_m=max_snap_m, add_access=add_access)
    dem = snap_points(demand_xy, network, max_snap_m=max_snap_m) if demand is None else demand
    loc = locate(network, aug, dem)
    dist, src = _multi_source(aug, cutoff_m)
    total, use_left = _combine(loc, dist[loc.left], dist[loc.right])
    if add_access:
        total = total + np.where(dem.ok, dem.snap_m, 0.0)
    total = np.where(dem.ok & (total <= cutoff_m), total, np.inf)
    src_node = np.where(use_left, src[loc.left], src[loc.right])
    facility = np.where(np.isfinite(total), aug.facility_of(src_node), -1).astype(np.int64)
    per_point = (facility, total, dem.ok, dem.snap_m)
    if order is not None:  # back in the points' order
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        per_point = tuple(a[back] for a in per_point)
    return NearestArrays(*per_point, fac_ok)


def node_search(
    network: Network,
    facility_xy: NDArray[np.float64],
    *,
    cutoff_m: float,
    max_snap_m: float,
    add_access: bool,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Distance from every node to its nearest facility, and which facility."""
    aug, _ = sources_graph(network, facility_xy, max_snap_m=max_snap_m, add_access=add_access)
    n = network.n_nodes
    dist, src = _multi_source(aug, cutoff_m)
    facility = np.where(np.isfinite(dist[:n]), aug.facility_of(src[:n]), -1)
    return dist[:n], facility.astype(np.int64)


def pair_search(
    network: Network,
    demand_xy: NDArray[np.float64],
    facility_xy: NDArray[np.float64],
    *,
    cutoff_m: float,
    max_snap_m: float,
    add_access: bool,
) -> Pairs:
    """Every (demand row, facility column, distance) within ``cutoff_m``: by sweeps of
    well-separated facilities (:mod:`geo.network.sweep`) when the cutoff is finite, else
    one search per facility."""
    from geo.network.sweep import sweep_pairs

    search = sweep_pairs if np.isfinite(cutoff_m) else pair_search_each
    return search(
        network,
        demand_xy,
        facility_xy,
        cutoff_m=cutoff_m,
        max_snap_m=max_snap_m,
        add_access=add_access,
    )


def pair_search_each(
    network: Network,
    demand_xy: NDArray[np.float64],
    facility_xy: NDArray[np.float64],
    *,
    cutoff_m: float,
    max_snap_m: float,
    add_access: bool,
) -> Pairs:
    """Every (demand row, facility column, distance) within ``cutoff_m``: one bounded
    search per facility, in batches of dense rows that fit in memory (the reference the
    sweeps are tested and measured against)."""
    aug, _ = sources_graph(network, facility_xy, max_snap_m=max_snap_m, add_access=add_access)
    dem = snap_points(demand_xy, network, max_snap_m=max_snap_m)
    loc = locate(network, aug, dem)
    sel = np.flatnonzero(dem.ok)
    access = dem.snap_m[sel] if add_access else np.zeros(len(sel))
    left, right = loc.left[sel], loc.right[sel]
    to_left, to_right = loc.to_left[sel], loc.to_right[sel]
    n_nodes = aug.graph.shape[0]
    batch = max(1, _BATCH_BYTES // (8 * (n_nodes + 3 * max(len(sel), 1))))
    out_r, out_c, out_v = [], [], []
    for start in range(0, len(aug.source), batch):
        src = aug.source[start : start + batch]
        dist = dijkstra(aug.graph, directed=True, indices=src, limit=cutoff_m)
        via_left = np.where(to_left, dist[:, left] + loc.left_m[sel], np.inf)
        via_right = np.where(to_right, dist[:, right] + loc.right_m[sel], np.inf)
        total = np.minimum(via_left, via_right) + access
        fi, di = np.nonzero(total <= cutoff_m)
        out_r.append(sel[di])
        out_c.append(aug.facility[start + fi])
        out_v.append(total[fi, di])
    if not out_r:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return (
        np.concatenate(out_r).astype(np.int64),
        np.concatenate(out_c).astype(np.int64),
        np.concatenate(out_v),
    )
