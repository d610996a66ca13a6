"""Host streets of orphan streets: where the units of a street with no station go.

A street (街道) with no station cannot have zones of its own. Its units join a zone of an
*adjacent* street instead (the *host*), contiguously, at the crossing penalty. Hosting is
decided per *piece* of an orphan street (a connected part of it on the unit adjacency), one
piece at a time, best piece first:

1. a piece's candidate hosts are the host groups of the units it touches (a street with
   stations is its own host; an orphan piece already hosted lends its host, so chains of
   orphan streets resolve through their neighbours);
2. the host is the candidate whose stations can still take the piece's workload (the sum of
   their band's upper ends minus the workload already in the group), then the one sharing the
   most border (adjacency edges) with the piece, then the one with the most room left, then
   the lowest street code;
3. the piece with the longest border to any candidate goes first (ties: lowest piece).

A piece that touches no hosted unit, directly or through other orphan pieces (an island), has
no host (``-1``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from geo.zones._arrays import sums

__all__ = ["unit_hosts"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]


def _pieces(orphan: NDArray[np.bool_], street: IntArray, ea: IntArray, eb: IntArray) -> IntArray:
    """Piece label of every orphan unit (connected within its street), ``-1`` elsewhere."""
    n = street.size
    same = orphan[ea] & orphan[eb] & (street[ea] == street[eb])
    g = sp.csr_array((np.ones(int(same.sum()), dtype=bool), (ea[same], eb[same])), shape=(n, n))
    labels = connected_components(g, directed=False)[1]
    _, piece = np.unique(labels[orphan], return_inverse=True)
    out = np.full(n, -1, dtype=np.intp)
    out[orphan] = piece
    return out


def unit_hosts(
    unit_street: IntArray,
    station_street: IntArray,
    edges: tuple[IntArray, IntArray],
    *,
    workload: FloatArray,
    upper: FloatArray,
    n_streets: int,
) -> IntArray:
    """The host street of every unit (see the module docstring).

    Parameters
    ----------
    unit_street, station_street
        Street codes of the (n,) units and (m,) stations.
    edges
        Undirected adjacency edges ``(a, b)``.
    workload, upper
        (n,) workload per unit and (m,) upper end of every station's band.
    n_streets
        Number of street codes.

    Returns
    -------
    numpy.ndarray
        (n,) street code: the unit's own street when it has a station, the host street of
        its piece otherwise, ``-1`` for units with no reachable host.
    """
    has = np.zeros(n_streets, dtype=bool)
    has[station_street] = True
    host = np.where(has[unit_street], unit_street, -1).astype(np.intp)
    orphan = host < 0
    if not orphan.any():
        return host
    ea, eb = edges
    piece = _pieces(orphan, unit_street, ea, eb)
    piece_w = sums(piece[orphan], workload[orphan])
    room = sums(station_street, upper, n_streets) - sums(
        host[~orphan], workload[~orphan], n_streets
    )
    a = np.concatenate([ea, eb])
    b = np.concatenate([eb, ea])
    out_of_piece = (piece[a] >= 0) & (piece[b] != piece[a])
    a, b = a[out_of_piece], b[out_of_piece]
    for _ in range(piece_w.size):
        chosen = _next_piece(piece, host=host, a=a, b=b, room=room, piece_w=piece_w)
        if chosen is None:
            break
        p, h = chosen
        host[piece == p] = h
        room[h] -= piece_w[p]
    return host


def _next_piece(
    piece: IntArray,
    *,
    host: IntArray,
    a: IntArray,
    b: IntArray,
    room: FloatArray,
    piece_w: FloatArray,
) -> tuple[int, int] | None:
    """The next piece to host and its host, or ``None`` when no unhosted piece touches a
    hosted unit."""
    e = (host[a] < 0) & (host[b] >= 0)
    if not e.any():
        return None
    n_hosts = room.size
    key, border = np.unique(piece[a[e]].astype(np.int64) * n_hosts + host[b[e]], return_counts=True)
    p, h = (key // n_hosts).astype(np.intp), (key % n_hosts).astype(np.intp)
    fits = room[h] >= piece_w[p]
    first = int(p[np.lexsort((p, -border))[0]])
    mine = p == first
    best = np.lexsort((h[mine], -room[h[mine]], -border[mine], ~fits[mine]))[0]
    return first, int(h[mine][best])
