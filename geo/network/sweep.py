"""Many-to-many distances within a cutoff without one search per facility.

Facilities are grouped into *sweeps*: facilities whose snapped positions lie more than
``2 * cutoff_m / ratio`` apart in a straight line, where ``ratio`` is the smallest
length-to-chord ratio of the network's segments (1 for straight or curved streets: a
walk is never shorter than the straight line). No node can then lie within the cutoff
of two facilities of one sweep, so a single multi-source Dijkstra
(``scipy.sparse.csgraph.dijkstra`` with ``min_only=True``, bounded by the cutoff) gives
every node within the cutoff its distance to *the* facility of the sweep that reaches it,
and the label of its origin says which facility that is. A demand point takes the better
of its two ends; the two ends cannot belong to two facilities both within the cutoff
(that would put them within ``2 * cutoff_m`` of each other), so the distance is the same,
to the last bit of the path's sum, as a search from that facility alone.

Each sweep costs one pass over the node arrays plus the balls it explores, so a city of a
million nodes with thousands of facilities needs tens of sweeps instead of thousands of
searches; memory is a few node-sized arrays plus the pairs found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.network.augment import Augmented, augment, locate
from geo.network.graph import Network
from geo.snap import snap_points

__all__ = ["distance_ratio", "sweep_groups", "sweep_pairs"]

Pairs = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


def distance_ratio(network: Network) -> float:
    """The smallest ratio of a stored length to the straight line it spans, over the
    graph's entries and the segments' polylines (at most 1): every walk, from any point of
    a segment, is at least this times the straight-line distance. Cached on the network."""
    if "distance_ratio" not in network._cache:
        rows = np.repeat(np.arange(network.n_nodes), np.diff(network.indptr))
        xy = network.node_xy
        ratios = [_ratios(network.weights, np.hypot(*(xy[rows] - xy[network.indices]).T))]
        if len(network.geom_offsets) > 1:
            step = np.hypot(*np.diff(network.geom_xy, axis=0).T)
            cum = np.concatenate([[0.0], np.cumsum(step)])
            offsets = network.geom_offsets
            polyline = cum[offsets[1:] - 1] - cum[offsets[:-1]]
            ratios.append(_ratios(network.edge_length_m, polyline))
        network._cache["distance_ratio"] = float(min(1.0, *(r.min(initial=1.0) for r in ratios)))
    value: float = network._cache["distance_ratio"]
    return value


def _ratios(length: NDArray[np.float64], chord: NDArray[np.float64]) -> NDArray[np.float64]:
    long = chord > 1e-9
    return np.asarray(length[long] / chord[long], dtype=np.float64)


def sweep_groups(xy: NDArray[np.float64], separation_m: float) -> list[NDArray[np.intp]]:
    """Split points into groups whose members are more than ``separation_m`` apart
    (greedy colouring of the conflict graph, points taken in x-then-y order)."""
    n = len(xy)
    if n == 0:
        return []
    pairs = cKDTree(xy).query_pairs(separation_m, output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.argsort(i, kind="stable")
    i, j = i[order], j[order]
    start = np.searchsorted(i, np.arange(n + 1))
    colour = np.full(n, -1, dtype=np.int64)
    for k in np.lexsort((xy[:, 1], xy[:, 0])):
        used = colour[j[start[k] : start[k + 1]]]
        taken = np.zeros(len(used) + 2, dtype=bool)
        taken[used[(used >= 0) & (used < len(taken))]] = True
        colour[k] = int(np.argmin(taken))
    by = np.argsort(colour, kind="stable")
    cuts = np.flatnonzero(np.diff(colour[by])) + 1
    return [g.astype(np.intp) for g in np.split(by, cuts)]


@dataclass(frozen=True)
class _Demand:
    """Snapped demand rows (``row``) between nodes ``left`` and ``right``, the walk to each
    (``inf`` where that way is closed) and the access leg."""

    row: NDArray[np.int64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    left_m: NDArray[np.float64]
    right_m: NDArray[np.float64]
    access_m: NDArray[np.float64]

    def pairs(
        self,
        dist: NDArray[np.float64],
        origin: NDArray[np.int32],
        by_source: NDArray[np.int64],
        cutoff_m: float,
    ) -> list[Pairs]:
        """Pairs through each end within the cutoff (``origin``: each node's source node,
        negative for none; ``by_source``: each source node's facility); an end is dropped
        when the other end reaches the same facility no farther."""
        at_left = _owner(origin[self.left], by_source)
        at_right = _owner(origin[self.right], by_source)
        via_left = dist[self.left] + self.left_m + self.access_m
        via_right = dist[self.right] + self.right_m + self.access_m
        same = at_left == at_right
        keep_left = (via_left <= cutoff_m) & ~(same & (via_right < via_left))
        keep_right = (via_right <= cutoff_m) & ~(same & (via_left <= via_right))
        return [
            (self.row[k], at[k], v[k])
            for k, at, v in ((keep_left, at_left, via_left), (keep_right, at_right, via_right))
        ]


def _owner(origin: NDArray[np.int32], by_source: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.where(origin >= 0, by_source[np.maximum(origin, 0)], -1)


def _demand(
    network: Network,
    aug: Augmented,
    demand_xy: NDArray[np.float64],
    *,
    max_snap_m: float,
    add_access: bool,
) -> _Demand:
    dem = snap_points(demand_xy, network, max_snap_m=max_snap_m)
    loc = locate(network, aug, dem)
    sel = np.flatnonzero(dem.ok)
    return _Demand(
        row=sel.astype(np.int64),
        left=loc.left[sel],
        right=loc.right[sel],
        left_m=np.where(loc.to_left[sel], loc.left_m[sel], np.inf),
        right_m=np.where(loc.to_right[sel], loc.right_m[sel], np.inf),
        access_m=dem.snap_m[sel] if add_access else np.zeros(len(sel)),
    )


def sweep_pairs(
    network: Network,
    demand_xy: NDArray[np.float64],
    facility_xy: NDArray[np.float64],
    *,
    cutoff_m: float,
    max_snap_m: float,
    add_access: bool,
) -> Pairs:
    """Every (demand row, facility column, distance) within a finite ``cutoff_m``, by
    sweeps (see the module docstring); the same pairs and distances as one bounded search
    per facility."""
    fac = snap_points(facility_xy, network, max_snap_m=max_snap_m)
    aug = augment(network, fac, add_access=add_access)
    demand = _demand(network, aug, demand_xy, max_snap_m=max_snap_m, add_access=add_access)
    separation = 2.0 * cutoff_m / max(distance_ratio(network), 1e-9)
    by_source = np.full(aug.graph.shape[0], -1, dtype=np.int64)
    out: list[Pairs] = []
    for group in sweep_groups(fac.xy[aug.facility], separation):
        src = aug.source[group]
        dist, _, origin = dijkstra(
            aug.graph,
            directed=True,
            indices=src,
            limit=cutoff_m,
            min_only=True,
            return_predecessors=True,
        )
        by_source[src] = aug.facility[group]
        out.extend(demand.pairs(dist, origin, by_source, cutoff_m))
        by_source[src] = -1
    if not out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    rows, cols, vals = (np.concatenate(part) for part in zip(*out, strict=True))
    return rows.astype(np.int64), cols.astype(np.int64), vals.astype(np.float64)
