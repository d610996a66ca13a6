"""Zone pieces and contiguity repair: every fragment of a zone (a piece cut off from the
zone's seed) moves, whole, into a neighbouring zone, in vectorised rounds."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.zones._arrays import ranks, sums
from geo.zones._sub import Sub

__all__ = [
    "main_component",
    "move_delta",
    "repair_fragments",
    "viol",
    "zone_labels",
]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def zone_labels(z: IntArray, ea: IntArray, eb: IntArray) -> IntArray:
    """Connected-component label of every unit on the edges inside its zone
    (units with ``z < 0`` are singletons)."""
    n = z.size
    same = (z[ea] == z[eb]) & (z[ea] >= 0)
    g = sp.csr_array((np.ones(int(same.sum()), dtype=bool), (ea[same], eb[same])), shape=(n, n))
    return connected_components(g, directed=False)[1].astype(np.intp)


def main_component(
    z: IntArray, labels: IntArray, seed: IntArray, w: FloatArray, m: int
) -> BoolArray:
    """Whether each unit is in its zone's main component: the one holding the zone's seed,
    else the heaviest (ties: larger, then lower label)."""
    ncomp = int(labels.max()) + 1 if labels.size else 0
    comp_zone = np.full(ncomp, -1, dtype=np.intp)
    comp_zone[labels] = z
    main = np.full(m, -1, dtype=np.intp)
    has = (seed >= 0) & (z[np.maximum(seed, 0)] == np.arange(m))
    main[has] = labels[seed[has]]
    comp_w = sums(labels, w, ncomp)
    comp_n = np.bincount(labels, minlength=ncomp)
    free = np.flatnonzero((comp_zone >= 0) & (main[np.maximum(comp_zone, 0)] < 0))
    if free.size:
        order = np.lexsort((free, -comp_n[free], -comp_w[free], comp_zone[free]))
        zones, first = np.unique(comp_zone[free][order], return_index=True)
        main[zones] = free[order][first]
    return (z >= 0) & (main[np.maximum(z, 0)] == labels)


def viol(load: FloatArray, lower: FloatArray, upper: FloatArray) -> FloatArray:
    return np.maximum(load - upper, 0.0) + np.maximum(lower - load, 0.0)


def move_delta(
    sub: Sub, load: FloatArray, s: IntArray, t: IntArray, amount: FloatArray
) -> FloatArray:
    """Change of total band violation when ``amount`` workload moves from ``s`` to ``t``."""
    lo, hi = sub.lower, sub.upper
    before = viol(load[s], lo[s], hi[s]) + viol(load[t], lo[t], hi[t])
    after = viol(load[s] - amount, lo[s], hi[s]) + viol(load[t] + amount, lo[t], hi[t])
    return after - before


def _groups(labels: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Units sorted by label, the start of each label's run and each label's size."""
    order = np.argsort(labels, kind="stable")
    size = np.bincount(labels)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    return order, start, size


def _fragment_targets(
    sub: Sub, z: IntArray, labels: IntArray, is_main: BoolArray, movable: BoolArray
) -> tuple[IntArray, IntArray, BoolArray]:
    a = np.concatenate([sub.ea, sub.eb])
    b = np.concatenate([sub.eb, sub.ea])
    c = movable[a] & (z[b] != z[a]) & (z[b] >= 0)
    f, t, to_main = labels[a[c]], z[b[c]], is_main[b[c]]
    order = np.lexsort((~to_main, t, f))
    f, t, to_main = f[order], t[order], to_main[order]
    first = np.ones(f.size, dtype=bool)
    first[1:] = (f[1:] != f[:-1]) | (t[1:] != t[:-1])
    return f[first], t[first], to_main[first]


def repair_fragments(sub: Sub, z: IntArray, *, max_rounds: int = 100) -> IntArray:
    """Make every zone contiguous. A zone whose main piece is below its band while a
    heavier piece lies elsewhere first claims the shortest chain of units joining the two
    (once per zone); then every fragment (a piece without the zone's seed) moves whole into a
    neighbouring zone, preferring a neighbour's main piece, then the least band violation,
    then the least cost. Fragments holding a locked unit stay. Returns a new array."""
    z = z.copy()
    bridged = np.zeros(sub.m, dtype=bool)
    for _ in range(max_rounds):
        labels = zone_labels(z, sub.ea, sub.eb)
        is_main = main_component(z, labels, sub.seed, sub.w, sub.m)
        if _bridge(sub, z, labels, is_main, bridged):
            continue
        dest = _fragment_moves(sub, z, labels, is_main)
        if dest is None:
            break
        moved = dest[labels] >= 0
        z[moved] = dest[labels][moved]
    return z


def _fragment_moves(sub: Sub, z: IntArray, labels: IntArray, is_main: BoolArray) -> IntArray | None:
    """The zone each movable fragment (by label) should join (``-1``: stays), or ``None``
    when no fragment can move."""
    frag = (z >= 0) & ~is_main
    pinned = np.zeros(int(labels.max()) + 1, dtype=bool)
    pinned[labels[frag & (sub.fixed >= 0)]] = True
    movable = frag & ~pinned[labels]
    if not movable.any():
        return None
    f, t, to_main = _fragment_targets(sub, z, labels, is_main, movable)
    order, start, size = _groups(labels)
    units = order[np.repeat(start[f], size[f]) + ranks(size[f])]
    cand = np.repeat(np.arange(f.size), size[f])
    dcost = sums(cand, sub.cost(units, t[cand]) - sub.cost(units, z[units]), f.size)
    ok = np.bincount(cand, ~sub.allowed(units, t[cand]), f.size) == 0
    if not ok.any():
        return None
    load = sums(z[z >= 0], sub.w[z >= 0], sub.m)
    dviol = move_delta(sub, load, z[order[start[f]]], t, sums(labels, sub.w)[f])
    f, t, dcost, dviol, to_main = f[ok], t[ok], dcost[ok], dviol[ok], to_main[ok]
    pick = np.lexsort((t, dcost, dviol, ~to_main, f))
    first = np.unique(f[pick], return_index=True)[1]
    dest = np.full(int(labels.max()) + 1, -1, dtype=np.intp)
    dest[f[pick][first]] = t[pick][first]
    return dest


def _bridge(
    sub: Sub,
    z: IntArray,
    labels: IntArray,
    is_main: BoolArray,
    bridged: BoolArray,
    *,
    max_hops: int = 6,
) -> bool:
    """For zones whose main piece is below their band while a heavier piece lies elsewhere,
    claim the shortest chain of units joining the two (at most ``max_hops`` units), once per
    zone (``bridged``). Changes ``z`` and ``bridged`` in place; returns whether ``z``
    changed."""
    w, m = sub.w, sub.m
    main_w = sums(z[is_main], w[is_main], m)
    frag = (z >= 0) & ~is_main
    piece_w = sums(labels[frag], w[frag], int(labels.max()) + 1)
    frag_w = np.zeros(m)
    np.maximum.at(frag_w, z[frag], piece_w[labels[frag]])
    needy = np.flatnonzero((main_w < sub.lower) & (frag_w > main_w) & ~bridged)
    bridged[needy] = True
    if needy.size == 0:
        return False
    graph = sp.csr_array(
        (
            np.ones(2 * sub.ea.size),
            (np.concatenate([sub.ea, sub.eb]), np.concatenate([sub.eb, sub.ea])),
        ),
        shape=(sub.n, sub.n),
    )
    changed = False
    for j in needy:
        frag_j = frag & (z == j)
        if not frag_j.any():
            continue
        heavy = labels[frag_j][np.argmax(piece_w[labels[frag_j]])]
        path = _chain(
            sub,
            graph,
            z,
            start=np.flatnonzero(is_main & (z == j)),
            goal=labels == heavy,
            j=int(j),
            max_hops=max_hops,
        )
        if path.size:
            z[path] = j
            changed = True
    return changed


def _chain(
    sub: Sub,
    graph: sp.csr_array,
    z: IntArray,
    *,
    start: IntArray,
    goal: BoolArray,
    j: int,
    max_hops: int,
) -> IntArray:
    """The units of a shortest chain from ``start`` to ``goal`` through units that may join
    zone ``j`` (not fixed elsewhere, allowed), excluding both ends; empty if none."""
    n = sub.n
    free = (sub.fixed < 0) & sub.allowed(np.arange(n), np.full(n, j))
    passable = free | goal
    passable[start] = True
    coo = sp.coo_array(graph)
    e = passable[coo.row] & passable[coo.col]
    rows = np.concatenate([coo.row[e], np.full(start.size, n)])
    cols = np.concatenate([coo.col[e], start])
    g = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n + 1, n + 1))
    dist, pred = dijkstra(
        g, indices=n, unweighted=True, limit=max_hops + 1, return_predecessors=True
    )
    targets = np.flatnonzero(goal & np.isfinite(dist[:n]))
    if targets.size == 0:
        return np.empty(0, dtype=np.intp)
    node = int(targets[np.lexsort((targets, dist[targets]))[0]])
    path = []
    node = int(pred[node])
    while node >= 0 and node != n and not goal[node] and z[node] != j:
        path.append(node)
        node = int(pred[node])
    return np.asarray(path, dtype=np.intp)
