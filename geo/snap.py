"""Snapping points to the nearest street segment (not only the nearest node).

A point snaps to the closest position on any segment polyline of a
:class:`~geo.network.Network`: the segment, the distance along it from its ``u`` end, the
straight distance from the point (the access leg) and the snapped position. Points farther
than ``max_snap_m`` from every segment do not snap: they are reported, never given a
distance.

The search is exact and vectorised: a KD-tree over sample points spaced at most
``spacing_m`` along every piece proposes the ``k`` nearest candidates; a point is settled
once the ``k``-th sample is farther than the best exact distance plus half a spacing (no
unseen piece can then be closer); the unsettled few are searched again with more
candidates. Large batches first look in a grid of cells over the pieces
(:mod:`geo._segment_grid`, built on first use), which settles most points with a few
exact projections each and leaves the rest to the tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo._segment_grid import PieceArrays, SegmentGrid, piece_sq_distances
from geo.network import _polyline
from geo.projection import points_xy

if TYPE_CHECKING:
    from geo.network.graph import Network

__all__ = ["DEFAULT_MAX_SNAP_M", "SnapIndex", "Snapped", "snap_points"]

#: points farther than this from every walkable segment are unreachable
DEFAULT_MAX_SNAP_M = 500.0
#: query the KD-tree on all cores only for batches larger than this (threads cost time)
_PARALLEL_FROM = 20_000
#: batches of at least this many points look in the grid of cells first
_GRID_FROM = 20_000
#: a grid cell is at least this share of the sampling spacing, its margin this share of it
_CELL_SHARE, _MARGIN_SHARE = 0.8, 0.5
#: rounding allowance when telling which points may lie on a node (metres)
_ON_NODE_SLACK_M = 1e-6


@dataclass(frozen=True)
class Snapped:
    """Where points meet the network.

    Attributes
    ----------
    edge
        Segment index, ``-1`` where the point is beyond ``max_snap_m``.
    offset_m
        Distance along the segment from its ``u`` end (``nan`` where not snapped).
    snap_m
        Straight distance from the point to the segment (``inf`` where not snapped).
    xy
        The snapped position (``nan`` where not snapped).
    max_snap_m
        The limit used.
    """

    edge: NDArray[np.int64]
    offset_m: NDArray[np.float64]
    snap_m: NDArray[np.float64]
    xy: NDArray[np.float64]
    max_snap_m: float

    @property
    def ok(self) -> NDArray[np.bool_]:
        """True where the point snapped."""
        return self.edge >= 0

    def __len__(self) -> int:
        return len(self.edge)


class SnapIndex:
    """A reusable nearest-segment index of one network (see the module docstring)."""

    def __init__(self, network: Network, *, spacing_m: float | None = None) -> None:
        self._network = network
        self._spacing_m = spacing_m
        self._tree: cKDTree | None = None
        self._grid: SegmentGrid | None = None
        self._node_reach_m: float | None = None
        self._edge_length = network.edge_length_m
        # points lying exactly on a node (common: pre-snapped or node-derived points) are
        # found by a sorted lookup on their coordinates, before any tree search
        self._node_order = np.lexsort((network.node_xy[:, 1], network.node_xy[:, 0]))
        self._node_x = network.node_xy[self._node_order, 0]
        self._node_y = network.node_xy[self._node_order, 1]
        incident = np.concatenate([network.edge_u, network.edge_v])
        seg = np.concatenate([np.arange(network.n_edges)] * 2)
        first = np.unique(incident, return_index=True)[1]
        self._node_edge = np.full(network.n_nodes, -1, dtype=np.int64)
        self._node_edge[incident[first]] = seg[first]
        self._node_at_v = np.zeros(network.n_nodes, dtype=bool)
        self._node_at_v[incident[first]] = first >= network.n_edges

    @property
    def tree(self) -> cKDTree:
        """The KD-tree of sample points (built on first use, with the piece arrays)."""
        if self._tree is None:
            self._build()
        assert self._tree is not None
        return self._tree

    def _build(self) -> None:
        network, spacing_m = self._network, self._spacing_m
        pcs = _polyline.pieces(network.geom_offsets, network.geom_xy)
        if spacing_m is None:
            median = float(np.median(pcs.length_m)) if len(pcs.length_m) else 10.0
            spacing_m = float(np.clip(median, 5.0, 50.0))
        n_sub = np.maximum(1, np.ceil(pcs.length_m / spacing_m)).astype(np.int64)
        sample_piece = np.repeat(np.arange(len(n_sub)), n_sub)
        rank = np.arange(len(sample_piece)) - np.repeat(np.cumsum(n_sub) - n_sub, n_sub)
        frac = (rank + 0.5) / n_sub[sample_piece]
        a, b = pcs.a[sample_piece], pcs.b[sample_piece]
        samples = a + frac[:, None] * (b - a)
        geom_len = _polyline.lengths(network.geom_offsets, network.geom_xy)
        self.pieces = pcs
        self.edge_scale = np.divide(
            network.edge_length_m, geom_len, out=np.ones_like(geom_len), where=geom_len > 0
        )
        self.sample_piece = sample_piece
        self.half_m = float((pcs.length_m / n_sub).max() / 2) if len(n_sub) else 0.0
        self.spacing_m, self.n_sub = spacing_m, n_sub
        # piece start, direction and 1 / length², as flat arrays for the distance kernel
        self.arrays = PieceArrays.from_ends(pcs.a, pcs.b)
        self._tree = cKDTree(samples, balanced_tree=False, compact_nodes=False)

    @property
    def grid(self) -> SegmentGrid:
        """The grid of cells over the pieces (built on first use): cells of 0.8 times the
        sampling spacing, or larger where the network is sparse (about two pieces'
        worth of area per cell at most), margins of half a cell."""
        if self._grid is None:
            _ = self.tree
            ax, ay, dx, dy = self.arrays.ax, self.arrays.ay, self.arrays.dx, self.arrays.dy
            span = np.ptp(np.r_[ax, ax + dx]) * np.ptp(np.r_[ay, ay + dy])
            cell_m = max(_CELL_SHARE * self.spacing_m, float(np.sqrt(span / (2 * len(ax)))))
            self._grid = SegmentGrid(
                self.arrays, self.n_sub, cell_m=cell_m, margin_m=_MARGIN_SHARE * cell_m
            )
        return self._grid

    @property
    def node_reach_m(self) -> float:
        """How far a node may be from its nearest piece: the largest gap between a
        segment's end node and its polyline's end (0 when they coincide; cached)."""
        if self._node_reach_m is None:
            self._node_reach_m = self._largest_end_gap()
        return self._node_reach_m

    def _largest_end_gap(self) -> float:
        net = self._network
        if net.n_edges == 0:
            return 0.0
        first = net.geom_xy[net.geom_offsets[:-1]]
        last = net.geom_xy[net.geom_offsets[1:] - 1]
        gaps = np.r_[
            np.hypot(*(first - net.node_xy[net.edge_u]).T),
            np.hypot(*(last - net.node_xy[net.edge_v]).T),
        ]
        return float(gaps.max())

    def _on_nodes(self, xy: NDArray[np.float64]) -> NDArray[np.int64]:
        """The node each point lies exactly on, -1 for the others."""
        pos = np.searchsorted(self._node_x, xy[:, 0])
        pos = np.minimum(pos, max(len(self._node_x) - 1, 0))
        if len(self._node_x) == 0:
            return np.full(len(xy), -1, dtype=np.int64)
        hit = (self._node_x[pos] == xy[:, 0]) & (self._node_y[pos] == xy[:, 1])
        node = np.where(hit, self._node_order[pos], -1)
        return np.where(hit & (self._node_edge[np.maximum(node, 0)] >= 0), node, -1)

    @classmethod
    def from_network(cls, network: Network, *, spacing_m: float | None = None) -> SnapIndex:
        """Build the index of ``network``."""
        return cls(network, spacing_m=spacing_m)

    def order(self, xy: NDArray[np.float64]) -> NDArray[np.int64] | None:
        """An order of a large batch of points (network CRS) that snaps them fastest, nearby
        points together (the grid's cells); None for batches too small to gain from it."""
        if len(xy) < _GRID_FROM or not len(self.tree.data):
            return None
        return self.grid.order(np.asarray(xy, dtype=np.float64).reshape(-1, 2))

    def snap(
        self, xy: NDArray[np.float64], *, max_snap_m: float = DEFAULT_MAX_SNAP_M, k: int = 8
    ) -> Snapped:
        """Snap ``(n, 2)`` points (network CRS) to their nearest segment.

        Parameters
        ----------
        xy
            Point coordinates in the network's CRS.
        max_snap_m
            Points farther than this from every segment do not snap.
        k
            Candidates tried first (more are tried only where needed).
        """
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        small = len(xy) < _GRID_FROM
        node = self._on_nodes(xy) if small else np.full(len(xy), -1, dtype=np.int64)
        if small and (node >= 0).all():
            return self._at_nodes(node, xy, max_snap_m)
        piece, dist, t = self._search(xy, max_snap_m=max_snap_m, k=k, grid=not small)
        if not small:  # only points this close to a piece can lie on a node
            reach = self.node_reach_m + _ON_NODE_SLACK_M
            near = np.flatnonzero((dist <= reach) | (reach > max_snap_m))
            node[near] = self._on_nodes(xy[near])
        out = self._result(piece, dist, t, max_snap_m=max_snap_m)
        hit = node >= 0
        if hit.any():
            at = self._at_nodes(node, xy, max_snap_m)
            for arr_out, arr_at in (
                (out.edge, at.edge),
                (out.offset_m, at.offset_m),
                (out.snap_m, at.snap_m),
                (out.xy, at.xy),
            ):
                arr_out[hit] = arr_at[hit]
        return out

    def _search(
        self, xy: NDArray[np.float64], *, max_snap_m: float, k: int, grid: bool
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """Nearest piece of every point, its distance and position on it (``-1``,
        ``inf`` for NaN points and beyond reach): the grid first if asked, then the tree
        for the points the grid did not settle."""
        n = len(xy)
        finite = np.isfinite(xy).all(axis=1)  # NaN points never snap
        if grid and n and len(self.tree.data):
            hits = self.grid.nearest(xy)  # NaN points: no piece, never settled
            piece, dist, t = hits.piece, hits.dist, hits.t
            pending = np.flatnonzero(finite & ~hits.settled)
        else:
            piece, dist, t = np.full(n, -1, dtype=np.int64), np.full(n, np.inf), np.zeros(n)
            pending = np.flatnonzero(finite)
        if len(pending):
            piece[pending], dist[pending], t[pending] = self._tree_search(
                xy[pending], max_snap_m=max_snap_m, k=k
            )
        return piece, dist, t

    def _tree_search(
        self, xy: NDArray[np.float64], *, max_snap_m: float, k: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """:meth:`_search` by the KD-tree alone, for finite points."""
        tree = self.tree
        n, n_samples = len(xy), len(self.sample_piece)
        order = _spatial_order(xy)
        q = xy[order]
        piece = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        t = np.zeros(n)
        pending = np.arange(n)
        kk = min(k, n_samples)
        bound = max_snap_m + self.half_m
        while len(pending) and n_samples:
            workers = -1 if len(pending) > _PARALLEL_FROM else 1
            kd, ki = tree.query(q[pending], k=kk, distance_upper_bound=bound, workers=workers)
            kd, ki = kd.reshape(len(pending), kk), ki.reshape(len(pending), kk)
            valid = ki < n_samples
            cand = self.sample_piece[np.where(valid, ki, 0)]
            qp = q[pending]
            d2, tt = piece_sq_distances(self.arrays, qp[:, :1], qp[:, 1:], cand)
            d2[~valid] = np.inf
            j = np.argmin(d2, axis=1)
            rows = np.arange(len(pending))
            best = np.sqrt(d2[rows, j])
            piece[pending], dist[pending], t[pending] = cand[rows, j], best, tt[rows, j]
            kth = kd[:, -1]
            settled = ~np.isfinite(kth) | (kth > best + self.half_m) | (kk >= n_samples)
            pending = pending[~settled]
            kk = min(kk * 4, n_samples)
        back = np.empty_like(order)
        back[order] = np.arange(n)
        return piece[back], dist[back], t[back]

    def _at_nodes(
        self, node: NDArray[np.int64], xy: NDArray[np.float64], max_snap_m: float
    ) -> Snapped:
        """Points lying on nodes (``node >= 0``): snapped to an end of a segment there."""
        ok = node >= 0
        nd = np.maximum(node, 0)
        edge = np.where(ok, self._node_edge[nd], -1)
        at_v = self._node_at_v[nd]
        offset = np.where(at_v, self._edge_length[np.maximum(edge, 0)], 0.0)
        return Snapped(
            edge=edge.astype(np.int64),
            offset_m=np.where(ok, offset, np.nan),
            snap_m=np.where(ok, 0.0, np.inf),
            xy=np.where(ok[:, None], xy, np.nan),
            max_snap_m=float(max_snap_m),
        )

    def _result(
        self,
        piece: NDArray[np.int64],
        dist: NDArray[np.float64],
        t: NDArray[np.float64],
        *,
        max_snap_m: float,
    ) -> Snapped:
        ok = (piece >= 0) & (dist <= max_snap_m)
        every = bool(ok.all())  # the common case: no masking needed
        pc = piece if every else np.where(ok, piece, 0)
        edge = self.pieces.line[pc]
        along = self.pieces.start_m[pc] + t * self.pieces.length_m[pc]
        offset = along * self.edge_scale[edge]
        arr = self.arrays
        pos = np.empty((len(pc), 2))
        for col, start, step in ((0, arr.ax, arr.dx), (1, arr.ay, arr.dy)):
            np.multiply(t, step[pc], out=pos[:, col])
            pos[:, col] += start[pc]
        if not every:
            edge = np.where(ok, edge, -1)
            offset[~ok] = np.nan
            pos[~ok] = np.nan
        return Snapped(
            edge=edge.astype(np.int64, copy=False),
            offset_m=offset,
            snap_m=np.where(ok, dist, np.inf),
            xy=pos,
            max_snap_m=float(max_snap_m),
        )


def _spatial_order(xy: NDArray[np.float64], cell_m: float = 250.0) -> NDArray[np.int64]:
    """An order that visits nearby points together (cells of ``cell_m``, row by row),
    which makes the KD-tree queries cache-friendly."""
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    finite = np.where(np.isfinite(xy), xy, 0.0)
    cell = np.floor((finite - finite.min(axis=0)) / cell_m).astype(np.int64)
    key = cell[:, 1] * (int(cell[:, 0].max()) + 1) + cell[:, 0]
    return np.argsort(key, kind="stable").astype(np.int64)


def snap_points(
    points: gpd.GeoDataFrame | gpd.GeoSeries | NDArray[np.float64],
    network: Network,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Snapped:
    """Snap points to the nearest walkable segment of ``network``.

    Parameters
    ----------
    points
        A point layer in any CRS (reprojected to the network's), or ``(n, 2)``
        coordinates already in the network's CRS.
    network
        The walking network (its snap index is built once and cached).
    max_snap_m
        Points farther than this from every segment do not snap (``edge == -1``).

    Returns
    -------
    Snapped
    """
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        xy = points_xy(points, network.pyproj_crs)
    else:
        xy = np.asarray(points, dtype=np.float64)
    index: SnapIndex = network.snap_index
    return index.snap(xy, max_snap_m=max_snap_m)
