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

The distance kernel :func:`piece_sq_distances` is the one the KD-tree search uses too, so
both give bit-identical distances for the same piece. Candidates are compared by squared
distance (the square root is taken of the best only) and a query runs in blocks of a
few thousand points, cell by cell, so that its temporaries stay in the processor's cache.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo.network._polyline import ranges

__all__ = ["PieceArrays", "SegmentGrid", "piece_distances", "piece_sq_distances"]

#: extra reach of every registration beyond the margin, against rounding (metres)
_SAFETY_M = 1e-6
#: pieces registered per pass of the build
_CHUNK = 1 << 17
#: points per block of a query (its temporaries, ~6 candidates a point, fit in cache)
_BLOCK = 1 << 13
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


def piece_sq_distances(
    arrays: PieceArrays, px: NDArray[np.float64], py: NDArray[np.float64], cand: NDArray[np.integer]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Squared distances from points ``(px, py)`` to pieces ``cand`` (broadcast together)
    and the positions ``t`` in [0, 1] of the closest points on them."""
    dx, dy = arrays.dx[cand], arrays.dy[cand]
    rx = px - arrays.ax[cand]
    ry = py - arrays.ay[cand]
    t = rx * dx
    t += ry * dy
    t *= arrays.inv[cand]
    np.clip(t, 0.0, 1.0, out=t)
    rx -= t * dx
    ry -= t * dy
    rx *= rx
    ry *= ry
    rx += ry
    return rx, t


def piece_distances(
    arrays: PieceArrays, px: NDArray[np.float64], py: NDArray[np.float64], cand: NDArray[np.integer]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distances from points ``(px, py)`` to pieces ``cand`` (broadcast together) and the
    positions ``t`` in [0, 1] of the closest points on them."""
    d2, t = piece_sq_distances(arrays, px, py, cand)
    return np.sqrt(d2, out=d2), t


def _sorting(key: NDArray[np.int64]) -> NDArray[np.int64]:
    """The order that sorts ``key`` (at once when it is sorted already)."""
    if len(key) and bool((key[1:] >= key[:-1]).all()):
        return np.arange(len(key), dtype=np.int64)
    return np.argsort(key).astype(np.int64)


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

    def cells(self, xy: NDArray[np.float64]) -> NDArray[np.int64]:
        """The cell of every point (``-1`` outside the grid and for NaN points)."""
        ix = np.floor((xy[:, 0] - self.origin[0]) / self.cell_m)
        iy = np.floor((xy[:, 1] - self.origin[1]) / self.cell_m)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)  # False for NaN
        return np.where(inside, iy * self.nx + ix, -1).astype(np.int64)

    def order(self, xy: NDArray[np.float64]) -> NDArray[np.int64]:
        """An order of the points cell by cell (nearby points together; the points
        outside the grid first): the order :meth:`nearest` looks at them in, and an
        order in which the pieces' arrays are read close together."""
        return _sorting(self.cells(xy))

    def nearest(self, xy: NDArray[np.float64]) -> GridHits:
        """The best piece of every point's cell (``(n, 2)`` points) and whether it is
        certainly the nearest; cell by cell (nearby points together: fastest when the
        points come in :meth:`order`)."""
        n, c = len(xy), self.cell_m
        hits = GridHits(
            np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64), np.full(n, np.inf), np.zeros(n)
        )
        cell = self.cells(xy)
        fx, fy = (xy[:, 0] - self.origin[0]) / c, (xy[:, 1] - self.origin[1]) / c
        fx -= np.floor(fx)
        fy -= np.floor(fy)
        border = np.minimum(np.minimum(fx, 1 - fx), np.minimum(fy, 1 - fy))
        reach = self.margin_m + border * c
        rows = _sorting(cell)
        rows = rows[np.searchsorted(cell[rows], 0) :]  # points outside the grid come first
        self._best_into(hits, xy, rows, cell[rows])
        hits.settled[:] = hits.dist <= reach
        self._widen(xy, hits, rows)
        return hits

    def _widen(self, xy: NDArray[np.float64], hits: GridHits, rows: NDArray[np.int64]) -> None:
        """Settle the points whose best piece is farther than their cell allows by
        looking in every cell within that distance less the margin (where no closer
        piece can hide, by the module docstring's argument); at most
        :data:`_WIDEN_CELLS` cells across, farther ones are left unsettled. ``rows``: the
        points in the grid, cell by cell (the order they are looked at in)."""
        half = hits.dist[rows] - self.margin_m
        redo = rows[~hits.settled[rows] & (half <= _WIDEN_CELLS * self.cell_m / 2)]
        if len(redo) == 0:
            return
        c, h = self.cell_m, hits.dist[redo] - self.margin_m
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
        run for ``rows[i]``) of every point ``rows``, written into ``hits``; in blocks of
        :data:`_BLOCK` rows."""
        count_c = self.ptr[cells + 1] - self.ptr[cells]
        if per_row is None:
            count, cell_at = count_c, np.arange(len(rows) + 1)
        else:
            cell_at = np.zeros(len(rows) + 1, dtype=np.int64)
            np.cumsum(per_row, out=cell_at[1:])
            filled = np.add.reduceat(count_c, cell_at[:-1]) if len(count_c) else count_c
            count = np.where(per_row > 0, filled, 0)
        for lo in range(0, len(rows), _BLOCK):
            hi = min(lo + _BLOCK, len(rows))
            cl, ch = cell_at[lo], cell_at[hi]
            block_counts = (count_c[cl:ch], count[lo:hi])
            self._best_block(hits, xy, rows[lo:hi], cells[cl:ch], counts=block_counts)

    def _best_block(
        self,
        hits: GridHits,
        xy: NDArray[np.float64],
        rows: NDArray[np.int64],
        cells: NDArray[np.int64],
        *,
        counts: tuple[NDArray[np.int64], NDArray[np.int64]],
    ) -> None:
        """:meth:`_best_into` for one block; ``counts``: pieces in each of ``cells``, and
        in all for each of ``rows``."""
        count_c, count = counts
        cand = self.cell_piece[ranges(self.ptr[cells], count_c)]
        has = count > 0
        rows, count = rows[has], count[has]
        if len(rows) == 0:
            return
        d2, t = piece_sq_distances(
            self.arrays, np.repeat(xy[rows, 0], count), np.repeat(xy[rows, 1], count), cand
        )
        start = np.cumsum(count) - count
        best = np.minimum.reduceat(d2, start)
        at_best = np.flatnonzero(d2 == np.repeat(best, count))
        # the first candidate at the best distance of every row
        first = at_best[np.searchsorted(at_best, start)]
        hits.piece[rows], hits.dist[rows], hits.t[rows] = cand[first], np.sqrt(best), t[first]
