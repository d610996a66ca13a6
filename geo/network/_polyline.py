"""Vectorised helpers on polylines stored as ``(offsets, xy)``: the vertices of line ``i``
are ``xy[offsets[i]:offsets[i + 1]]``. No Python loops over lines or vertices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Pieces",
    "gather",
    "lengths",
    "pieces",
    "ranges",
    "reverse",
    "substrings",
]


def ranges(starts: NDArray[np.int64], counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of ``arange(s, s + c)`` for every pair, vectorised."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    shift = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - counts), counts)
    return np.arange(total, dtype=np.int64) + shift


def lengths(offsets: NDArray[np.int64], xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Length of every polyline."""
    if len(xy) < 2:
        return np.zeros(len(offsets) - 1)
    step = np.hypot(*np.diff(xy, axis=0).T)
    # zero the steps that jump from the last vertex of one line to the first of the next
    starts = offsets[1:-1]
    step[starts[starts > 0] - 1] = 0.0
    cum = np.concatenate([[0.0], np.cumsum(step)])
    last = np.maximum(offsets[1:] - 1, offsets[:-1])
    return np.asarray(cum[last] - cum[offsets[:-1]], dtype=np.float64)


def gather(
    offsets: NDArray[np.int64], xy: NDArray[np.float64], which: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The polylines ``which`` (in that order) as a new ``(offsets, xy)``."""
    counts = np.diff(offsets)[which]
    new_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return new_offsets, xy[ranges(offsets[:-1][which], counts)]


def reverse(
    offsets: NDArray[np.int64], xy: NDArray[np.float64], flip: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """``xy`` with the vertex order of the polylines where ``flip`` is true reversed."""
    counts = np.diff(offsets)
    line = np.repeat(np.arange(len(counts)), counts)
    pos = np.arange(len(xy))
    start, end = offsets[:-1][line], offsets[1:][line]
    src = np.where(flip[line], start + end - 1 - pos, pos)
    return xy[src]


@dataclass(frozen=True)
class Pieces:
    """The straight pieces of every polyline: ``a → b``, on line ``line``, starting
    ``start_m`` along it, ``length_m`` long."""

    a: NDArray[np.float64]
    b: NDArray[np.float64]
    line: NDArray[np.int64]
    start_m: NDArray[np.float64]
    length_m: NDArray[np.float64]


def pieces(offsets: NDArray[np.int64], xy: NDArray[np.float64]) -> Pieces:
    """Split every polyline into its straight pieces."""
    counts = np.diff(offsets)
    line = np.repeat(np.arange(len(counts)), counts)
    keep = np.ones(len(xy), dtype=bool)
    keep[np.maximum(offsets[1:] - 1, 0)[counts > 0]] = False  # the last vertex starts no piece
    first = np.flatnonzero(keep)
    a, b = xy[first], xy[first + 1]
    length = np.hypot(*(b - a).T)
    piece_line = line[first]
    return Pieces(a, b, piece_line.astype(np.int64), _offsets(piece_line, length), length)


def _offsets(piece_line: NDArray[np.intp], length: NDArray[np.float64]) -> NDArray[np.float64]:
    """Offset of every piece along its own line: the running total of lengths minus the
    line's start, summed in extended precision so that no line inherits the float64
    rounding of a network-wide total (4e-7 m at 1e8 m of roads; 1e-11 m this way)."""
    before = np.zeros(length.size + 1, dtype=np.longdouble)  # total before each piece
    np.cumsum(length, dtype=np.longdouble, out=before[1:])
    line_start = np.searchsorted(piece_line, piece_line, side="left")
    return np.asarray(before[:-1] - before[line_start], dtype=np.float64)


def substrings(
    offsets: NDArray[np.int64],
    xy: NDArray[np.float64],
    line: NDArray[np.int64],
    from_m: NDArray[np.float64],
    to_m: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The part of polyline ``line[i]`` between ``from_m[i]`` and ``to_m[i]`` along it.

    Returns the parts as ``(offsets, xy)``, one per request, each with at least two
    vertices (a zero-length request gives a degenerate two-vertex line).
    """
    pcs = pieces(offsets, xy)
    piece_counts = np.bincount(pcs.line, minlength=len(offsets) - 1)
    piece_first = np.concatenate([[0], np.cumsum(piece_counts)])[:-1]
    # every piece of every requested line, clipped to [from, to]
    n_req = np.asarray(piece_counts[line], dtype=np.int64)
    idx = ranges(piece_first[line], n_req)
    req = np.repeat(np.arange(len(line)), n_req)
    lo = np.clip(from_m[req] - pcs.start_m[idx], 0.0, pcs.length_m[idx])
    hi = np.clip(to_m[req] - pcs.start_m[idx], 0.0, pcs.length_m[idx])
    inside = hi > lo
    # requests of zero length still need one piece: keep the piece holding `from`
    holds = (pcs.start_m[idx] <= from_m[req]) & (
        from_m[req] <= pcs.start_m[idx] + pcs.length_m[idx]
    )
    empty = np.bincount(req[inside], minlength=len(line)) == 0
    first_hold = np.zeros(len(idx), dtype=bool)
    cand = np.flatnonzero(holds & empty[req])
    if len(cand):
        _, first = np.unique(req[cand], return_index=True)
        first_hold[cand[first]] = True
    use = inside | first_hold
    idx, req, lo, hi = idx[use], req[use], lo[use], hi[use]
    length = np.where(pcs.length_m[idx] > 0, pcs.length_m[idx], 1.0)
    direction = (pcs.b[idx] - pcs.a[idx]) / length[:, None]
    p0 = pcs.a[idx] + direction * lo[:, None]
    p1 = pcs.a[idx] + direction * hi[:, None]
    # vertices: the start of each kept piece, plus the end of the last piece of a request
    last = np.r_[req[1:] != req[:-1], True]
    counts = np.bincount(req, minlength=len(line)) + 1
    out = np.empty((len(req) + len(line), 2))
    new_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    rank = np.arange(len(req)) - np.searchsorted(req, req, side="left")
    out[new_offsets[:-1][req] + rank] = p0
    out[new_offsets[1:][req[last]] - 1] = p1[last]
    return new_offsets, out
