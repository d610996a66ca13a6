"""A uniform grid over straight street pieces: the nearest piece of many points at once.

Every piece is cut into sub-pieces no longer than a given step (so a long piece does not
spread over many cells), and each sub-piece is registered in every cell that its bounding
box, grown by a margin, touches. A point then looks only at the pieces of its own cell.
The best of them is certainly its nearest piece when that distance ``d`` is at most the
margin plus the point's distance to the border of its cell: any piece closer than ``d``
has a sub-piece whose box meets the square of half-side ``d`` around the point, and that
square lies inside the cell grown by the margin, so the sub-piece is registered there.
A point not settled so looks again in every cell that the square of half-side ``d``
less the margin touches (by the same argument no closer piece can be registered
elsewhere), up to a few cells across. Points still unsettled, outside the grid or in an
empty cell are left to the caller's exact search.

The distance kernel :func:`piece_distances` is the one the KD-tree search uses too, so
both give bit-identical distances for the same piece.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo.network._polyline import ranges

__all__ = ["PieceArrays", "SegmentGrid", "piece_distances"]

#: extra reach of every registration beyond the margin, against rounding (metres)
_SAFETY_M = 1e-6
#: pieces registered per pass of the build, and points per pass of a query
_CHUNK = 1 << 17
#: unsettled points look again in the cells around them up to this many cells across
_WIDEN_CELLS = 5


@dataclass(frozen=True)
class PieceArrays:
    """Straight pieces as flat arrays: start ``(ax, ay)``, direction ``(dx, dy)`` and
    ``inv`` = 1 / length² (0 for a piece of zero length)."""

    ax: NDArray[np.float64]
    ay: NDArray[np.float64]
    dx: NDArray[np.float64]
    dy: NDArray[np.float64]
    inv: NDArray[np.float64]

    @classmethod
    def from_ends(cls, a: NDArray[np.float64], b: NDArray[np.float64]) -> PieceArrays:
        """The pieces from ``a`` to ``b`` (``(n, 2)`` each)."""
        d = b - a
        dx, dy = np.ascontiguousarray(d[:, 0]), np.ascontiguousarray(d[:, 1])
        len2 = dx**2 + dy**2
        inv = np.divide(1.0, len2, out=np.zeros_like(len2), where=len2 > 0)
        return cls(np.ascontiguousarray(a[:, 0]), np.ascontiguousarray(a[:, 1]), dx, dy, inv)


def piece_distances(
    arrays: PieceArrays, px: NDArray[np.float64], py: NDArray[np.float64], cand: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distances from points ``(px, py)`` to pieces ``cand`` (broadcast together) and the
    positions ``t`` in [0, 1] of the closest points on them."""
    rx, ry = px - arrays.ax[cand], py - arrays.ay[cand]
    dx, dy = arrays.dx[cand], arrays.dy[cand]
    t = (rx * dx + ry * dy) * arrays.inv[cand]
    np.clip(t, 0.0, 1.0, out=t)
    rx -= t * dx
    ry -= t * dy
    return np.hypot(rx, ry), t


@dataclass(frozen=True)
class GridHits:
    """Per point: ``settled`` (the piece found is certainly the nearest), and the best
    piece of its cell (``-1`` if none), its distance and position ``t`` on it."""

    settled: NDArray[np.bool_]
    piece: NDArray[np.int64]
    dist: NDArray[np.float64]
    t: NDArray[np.float64]


class SegmentGrid:
    """The grid index (see the module docstring).

    Parameters
    ----------
    arrays
        The pieces.
    n_sub
        Sub-pieces of every piece (equal parts).
    cell_m
        Side of a cell.
    margin_m
        How far beyond its box every sub-piece is registered.
    """

    def __init__(
        self, arrays: PieceArrays, n_sub: NDArray[np.int64], *, cell_m: float, margin_m: float
    ) -> None:
        self.arrays, self.cell_m, self.margin_m = arrays, float(cell_m), float(margin_m)
        ax, ay, dx, dy = arrays.ax, arrays.ay, arrays.dx, arrays.dy
        self.origin = (float(np.minimum(ax, ax + dx).min()), float(np.minimum(ay, ay + dy).min()))
        top = (float(np.maximum(ax, ax + dx).max()), float(np.maximum(ay, ay + dy).max()))
        self.nx = int((top[0] - self.origin[0]) // cell_m) + 1
        self.ny = int((top[1] - self.origin[1]) // cell_m) + 1
        counts = np.zeros(self.nx * self.ny, dtype=np.int64)
        for lo in range(0, len(n_sub), _CHUNK):
            cells, _ = self._registrations(n_sub, lo, lo + _CHUNK)
            counts += np.bincount(cells, minlength=len(counts))
        self.ptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.ptr[1:])
        self.cell_piece = np.empty(int(self.ptr[-1]), dtype=np.int32)
        fill = self.ptr[:-1].copy()
        for lo in range(0, len(n_sub), _CHUNK):
            cells, pieces = self._registrations(n_sub, lo, lo + _CHUNK)
            order = np.argsort(cells, kind="stable")
            cells, pieces = cells[order], pieces[order]
            rank = np.arange(len(cells)) - np.searchsorted(cells, cells, side="left")
            self.cell_piece[fill[cells] + rank] = pieces
            fill += np.bincount(cells, minlength=len(counts))

    @property
    def nbytes(self) -> int:
        """Memory held by the grid's own arrays."""
        return int(self.ptr.nbytes + self.cell_piece.nbytes)

    def _registrations(
        self, n_sub: NDArray[np.int64], lo: int, hi: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(cell, piece) of every registration of the sub-pieces of pieces ``lo:hi``."""
        arr, c = self.arrays, self.cell_m
        n = n_sub[lo:hi]
        sub_piece = np.repeat(np.arange(lo, lo + len(n), dtype=np.int64), n)
        rank = np.arange(len(sub_piece)) - np.repeat(np.cumsum(n) - n, n)
        f0, f1 = rank / n_sub[sub_piece], (rank + 1) / n_sub[sub_piece]
        ax, ay, dx, dy = (v[sub_piece] for v in (arr.ax, arr.ay, arr.dx, arr.dy))
        x0, x1 = ax + f0 * dx, ax + f1 * dx
        y0, y1 = ay + f0 * dy, ay + f1 * dy
        reach = self.margin_m + _SAFETY_M
        gx0, gy0 = self.origin
        cx0 = np.floor((np.minimum(x0, x1) - reach - gx0) / c).astype(np.int64)
        cx1 = np.floor((np.maximum(x0, x1) + reach - gx0) / c).astype(np.int64)
        cy0 = np.floor((np.minimum(y0, y1) - reach - gy0) / c).astype(np.int64)
        cy1 = np.floor((np.maximum(y0, y1) + reach - gy0) / c).astype(np.int64)
        cx0, cx1 = np.clip(cx0, 0, self.nx - 1), np.clip(cx1, 0, self.nx - 1)
        cy0, cy1 = np.clip(cy0, 0, self.ny - 1), np.clip(cy1, 0, self.ny - 1)
        wx = cx1 - cx0 + 1
        per = wx * (cy1 - cy0 + 1)
        k = ranges(np.zeros(len(per), dtype=np.int64), per)
        which = np.repeat(np.arange(len(per)), per)
        gx, gy = cx0[which] + k % wx[which], cy0[which] + k // wx[which]
        # a cell the previous sub-piece of the same piece covers already is left out
        prev = np.maximum(which - 1, 0)
        again = (rank[which] > 0) & (gx >= cx0[prev]) & (gx <= cx1[prev])
        again &= (gy >= cy0[prev]) & (gy <= cy1[prev])
        keep = ~again
        return gy[keep] * self.nx + gx[keep], sub_piece[which[keep]]

    def nearest(self, xy: NDArray[np.float64]) -> GridHits:
        """The best piece of every point's cell (``(n, 2)`` points) and whether it is
        certainly the nearest; cell by cell (nearby points together), in passes of
        bounded memory."""
        n, c = len(xy), self.cell_m
        hits = GridHits(
            np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64), np.full(n, np.inf), np.zeros(n)
        )
        fx, fy = (xy[:, 0] - self.origin[0]) / c, (xy[:, 1] - self.origin[1]) / c
        ix, iy = np.floor(fx), np.floor(fy)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)  # False for NaN
        cell = np.where(inside, iy * self.nx + ix, -1).astype(np.int64)
        border = np.minimum(np.minimum(fx - ix, ix + 1 - fx), np.minimum(fy - iy, iy + 1 - fy))
        reach = self.margin_m + border * c
        order = np.argsort(cell)
        for lo in range(0, n, _CHUNK):
            rows = order[lo : lo + _CHUNK]
            rows = rows[cell[rows] >= 0]
            self._best_into(hits, xy, rows, cell[rows])
        hits.settled[:] = hits.dist <= reach
        self._widen(xy, hits)
        return hits

    def _widen(self, xy: NDArray[np.float64], hits: GridHits) -> None:
        """Settle the points whose best piece is farther than their cell allows by
        looking in every cell within that distance less the margin (where no closer
        piece can hide, by the module docstring's argument); at most
        :data:`_WIDEN_CELLS` cells across, farther ones are left unsettled."""
        half = hits.dist - self.margin_m
        redo = np.flatnonzero(~hits.settled & (half <= _WIDEN_CELLS * self.cell_m / 2))
        if len(redo) == 0:
            return
        c, h = self.cell_m, half[redo]
        px, py = xy[redo, 0] - self.origin[0], xy[redo, 1] - self.origin[1]
        x0 = np.clip(np.floor((px - h) / c), 0, self.nx - 1).astype(np.int64)
        x1 = np.clip(np.floor((px + h) / c), 0, self.nx - 1).astype(np.int64)
        y0 = np.clip(np.floor((py - h) / c), 0, self.ny - 1).astype(np.int64)
        y1 = np.clip(np.floor((py + h) / c), 0, self.ny - 1).astype(np.int64)
        wx = x1 - x0 + 1
        per = wx * (y1 - y0 + 1)
        k = ranges(np.zeros(len(per), dtype=np.int64), per)
        which = np.repeat(np.arange(len(per)), per)
        cells = (y0[which] + k // wx[which]) * self.nx + x0[which] + k % wx[which]
        self._best_into(hits, xy, redo, cells, per_row=per)
        hits.settled[redo] = True

    def _best_into(
        self,
        hits: GridHits,
        xy: NDArray[np.float64],
        rows: NDArray[np.int64],
        cells: NDArray[np.int64],
        *,
        per_row: NDArray[np.int64] | None = None,
    ) -> None:
        """The best piece among those of ``cells`` (one per row, or ``per_row[i]`` in a
        run for ``rows[i]``) of every point ``rows``, written into ``hits``."""
        count_c = self.ptr[cells + 1] - self.ptr[cells]
        cand = self.cell_piece[ranges(self.ptr[cells], count_c)].astype(np.int64)
        if per_row is None:
            count = count_c
        else:
            owner = np.repeat(np.arange(len(rows)), per_row)
            count = np.bincount(owner, weights=count_c, minlength=len(rows)).astype(np.int64)
        rep = np.repeat(np.arange(len(rows)), count)
        d, t = piece_distances(self.arrays, xy[rows, 0][rep], xy[rows, 1][rep], cand)
        has = np.flatnonzero(count > 0)
        if len(has) == 0:
            return
        best = np.minimum.reduceat(d, (np.cumsum(count) - count)[has])
        if len(has) < len(rows):  # rep numbers all rows, best only those with pieces
            at = np.zeros(len(rows), dtype=np.int64)
            at[has] = np.arange(len(has))
            rep_best = best[at[rep]]
        else:
            rep_best = best[rep]
        at_best = np.flatnonzero(d == rep_best)
        first = at_best[np.r_[True, rep[at_best[1:]] != rep[at_best[:-1]]]]
        out = rows[has]
        hits.piece[out], hits.dist[out], hits.t[out] = cand[first], best, t[first]
