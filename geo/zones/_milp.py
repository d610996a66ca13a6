"""The exact zoning MILP with lazy contiguity cuts, for small subproblems.

Binary ``x[i, j]`` for every allowed unit/station pair; one station per unit; the band as
ranged rows (optionally soft, with over/under slack at a penalty); fixed units (locks, homes)
as bounds. Contiguity is enforced lazily: after each solve, every piece ``S`` of a zone that
is cut off from the zone's seed yields the separator cuts ``x[v, j] <= sum_{u in N(S)} x[u, j]``
for ``v`` in ``S`` (``N(S)``: the units adjacent to ``S``), and the model is solved again.
Pieces in a part of the adjacency graph that holds no seed of their zone cannot be joined and
are left alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from geo.zones._arrays import ranks, sums
from geo.zones._highs import HighsModel
from geo.zones._repair import main_component, zone_labels
from geo.zones._sub import Sub

__all__ = ["ExactOutcome", "solve_exact"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ExactOutcome:
    """``status``: ``optimal``, ``infeasible`` or ``time_limit``; ``z`` the local station per
    unit (``None`` if no solution); ``bound`` the MILP dual bound (objective units);
    ``slack`` the band slack per station (soft band only)."""

    status: str
    z: IntArray | None
    objective: float
    bound: float
    slack: FloatArray
    cuts: int


def _pairs(sub: Sub) -> tuple[IntArray, IntArray]:
    i = np.repeat(np.arange(sub.n, dtype=np.intp), sub.m)
    j = np.tile(np.arange(sub.m, dtype=np.intp), sub.n)
    fixed = sub.fixed[i]
    keep = np.where(fixed >= 0, fixed == j, sub.allowed(i, j))
    return i[keep], j[keep]


def _build(
    sub: Sub,
    *,
    pi: IntArray,
    pj: IntArray,
    coef: FloatArray,
    soft: bool,
    time_limit_s: float | None,
    max_nodes: int | None,
    penalty: float | None = None,
) -> HighsModel:
    n, m, npair = sub.n, sub.m, pi.size
    nslack = 2 * m if soft else 0
    if penalty is None:
        per_w = coef / np.maximum(sub.w[pi], 1e-12)
        penalty = 10.0 * (float(per_w.max(initial=0.0)) + 1.0)
    cost = np.concatenate([coef, np.full(nslack, penalty)])
    row = np.concatenate([pi, n + pj])
    col = np.concatenate([np.arange(npair), np.arange(npair)])
    val = np.concatenate([np.ones(npair), sub.w[pi]])
    if soft:
        row = np.concatenate([row, n + np.arange(m), n + np.arange(m)])
        col = np.concatenate([col, npair + np.arange(2 * m)])
        val = np.concatenate([val, -np.ones(m), np.ones(m)])
    a = sp.csc_array((val, (row, col)), shape=(n + m, npair + nslack))
    lo = np.zeros(npair + nslack)
    lo[:npair] = (sub.fixed[pi] >= 0).astype(float)
    hi = np.concatenate([np.ones(npair), np.full(nslack, np.inf)])
    integer = np.concatenate([np.ones(npair, dtype=bool), np.zeros(nslack, dtype=bool)])
    return HighsModel(
        cost,
        a,
        col_lo=lo,
        col_hi=hi,
        row_lo=np.concatenate([np.ones(n), sub.lower]),
        row_hi=np.concatenate([np.ones(n), sub.upper]),
        integer=integer,
        time_limit_s=time_limit_s,
        max_nodes=max_nodes,
    )


def _cuts(
    sub: Sub, z: IntArray, pid: IntArray, reach: IntArray, graph: sp.csr_array
) -> sp.csr_array | None:
    """Separator cuts ``x[v, j] + x[r, j] - sum_{u in C} x[u, j] <= 1`` for every unit ``v``
    of a piece ``S`` cut off from its zone's anchor ``r`` (the seed, or a unit of the main
    piece), where ``C`` is the minimal part of ``N(S)`` that separates ``S`` from ``r``;
    ``None`` if no piece can be joined."""
    labels = zone_labels(z, sub.ea, sub.eb)
    is_main = main_component(z, labels, sub.seed, sub.w, sub.m)
    anchor = np.full(sub.m, -1, dtype=np.intp)
    anchor[z[is_main]] = np.flatnonzero(is_main)
    seeded = sub.seed >= 0
    anchor[seeded] = sub.seed[seeded]
    fv = np.flatnonzero(~is_main & (z >= 0))
    fv = fv[reach[fv] == reach[anchor[z[fv]]]]
    if fv.size == 0:
        return None
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    n_rows = 0
    for piece in np.unique(labels[fv]):
        members = np.flatnonzero(labels == piece)
        j = int(z[members[0]])
        sep = _separator(graph, members, int(anchor[j]))
        neg = pid[sep, j]
        neg = neg[neg >= 0]
        for v in members:
            rows.append(np.full(2 + neg.size, n_rows))
            cols.append(np.concatenate([[pid[v, j], pid[anchor[j], j]], neg]))
            vals.append(np.concatenate([[1.0, 1.0], -np.ones(neg.size)]))
            n_rows += 1
    return sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, int(pid.max()) + 1),
    )


def _separator(graph: sp.csr_array, piece: IntArray, root: int) -> IntArray:
    """The units of ``N(piece)`` adjacent to the root's side once ``N(piece)`` is removed."""
    n = graph.shape[0]
    inside = np.zeros(n, dtype=bool)
    inside[piece] = True
    nbr = np.zeros(n, dtype=bool)
    nbr[graph[piece].indices] = True
    nbr &= ~inside
    keep = ~nbr
    coo = sp.coo_array(graph)
    e = keep[coo.row] & keep[coo.col]
    g = sp.csr_array((coo.data[e], (coo.row[e], coo.col[e])), shape=(n, n))
    side = connected_components(g, directed=False)[1]
    root_side = (side == side[root]) & keep
    touch = np.zeros(n, dtype=bool)
    touch[graph[np.flatnonzero(root_side)].indices] = True
    return np.flatnonzero(nbr & touch)


def _degree_rows(sub: Sub, pi: IntArray, pj: IntArray, pid: IntArray) -> sp.csr_array:
    """``x[v, j] <= sum_{u in N(v)} x[u, j]`` for every pair of a seeded station ``j`` whose
    unit is not ``j``'s seed (a unit never sits alone in a zone that has a seed elsewhere)."""
    seeded = sub.seed[pj] >= 0
    rows_p = np.flatnonzero(seeded & (sub.seed[pj] != pi))
    a = np.concatenate([sub.ea, sub.eb])
    b = np.concatenate([sub.eb, sub.ea])
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    v = pi[rows_p]
    start = np.searchsorted(a, v)
    count = np.searchsorted(a, v, side="right") - start
    row_of = np.repeat(np.arange(rows_p.size), count)
    u = b[np.repeat(start, count) + ranks(count)]
    neg = pid[u, pj[rows_p][row_of]]
    ok = neg >= 0
    rows = np.concatenate([np.arange(rows_p.size), row_of[ok]])
    cols = np.concatenate([rows_p, neg[ok]])
    vals = np.concatenate([np.ones(rows_p.size), -np.ones(int(ok.sum()))])
    return sp.csr_array((vals, (rows, cols)), shape=(rows_p.size, pi.size))


def _start(sub: Sub, pi: IntArray, pj: IntArray, z: IntArray, soft: bool) -> FloatArray | None:
    x = (z[pi] == pj).astype(float)
    if sums(pi, x, sub.n).min() < 1:
        return None
    if not soft:
        return x
    load = sums(z, sub.w, sub.m)
    over = np.maximum(load - sub.upper, 0.0)
    under = np.maximum(sub.lower - load, 0.0)
    return np.concatenate([x, over, under])


def _add_at_most(model: HighsModel, rows: sp.csr_array, upper: float, *, width: int) -> None:
    """Add ``rows · x <= upper`` to ``model``; ``rows`` are over the pair columns, widened
    to the model's ``width`` (its slack columns last)."""
    full = sp.csr_array((rows.data, rows.indices, rows.indptr), shape=(rows.shape[0], width))
    model.add_rows(full, np.full(rows.shape[0], -np.inf), np.full(rows.shape[0], upper))


def _unit_graph(sub: Sub) -> tuple[IntArray, sp.csr_array]:
    """The connected component of every unit, and the symmetric adjacency of the units."""
    g = sp.csr_array((np.ones(sub.ea.size), (sub.ea, sub.eb)), shape=(sub.n, sub.n))
    reach = connected_components(g, directed=False)[1].astype(np.intp)
    return reach, sp.csr_array(g + g.T)


def solve_exact(
    sub: Sub,
    *,
    coef: FloatArray | None = None,
    pairs: tuple[IntArray, IntArray] | None = None,
    start: IntArray | None = None,
    soft: bool = False,
    penalty: float | None = None,
    max_nodes: int | None = None,
    time_limit_s: float | None = None,
    max_rounds: int = 100,
) -> ExactOutcome:
    """Solve ``sub`` to optimality with contiguity (see module docstring).

    Parameters
    ----------
    coef
        (n, m) objective of every pair (default: workload × walk).
    pairs
        Local pairs ``(i, j)`` to choose from (default: every allowed pair).
    start
        A contiguous assignment to start from (its cost bounds the search).
    soft, penalty
        Penalise band violation (``penalty`` per unit of workload outside the band, default
        ten times the largest objective per unit of workload) instead of forbidding it.
    max_nodes, time_limit_s
        Branch-and-bound node limit (deterministic) and a wall-clock safety limit, per solve.
    """
    t0 = time.perf_counter()
    pi, pj = _pairs(sub) if pairs is None else pairs
    c = sub.cost(pi, pj) if coef is None else coef[pi, pj]
    pid = np.full((sub.n, sub.m), -1, dtype=np.intp)
    pid[pi, pj] = np.arange(pi.size)
    nslack = 2 * sub.m if soft else 0
    model = _build(
        sub, pi=pi, pj=pj, coef=c, soft=soft, time_limit_s=time_limit_s, max_nodes=max_nodes,
        penalty=penalty,
    )  # fmt: skip
    deg = _degree_rows(sub, pi, pj, pid)
    if deg.shape[0]:
        _add_at_most(model, deg, 0.0, width=pi.size + nslack)
    x0 = None if start is None else _start(sub, pi, pj, start, soft)
    reach, graph = _unit_graph(sub)
    cuts = 0
    for _ in range(max_rounds):
        if x0 is not None:
            model.set_start(x0)
        res = model.solve()
        if res.x is None or res.status not in ("optimal", "limit"):
            return ExactOutcome(res.status, None, np.nan, res.bound, np.zeros(sub.m), cuts)
        x = res.x
        on = x[: pi.size] > 0.5
        z = np.full(sub.n, -1, dtype=np.intp)
        z[pi[on]] = pj[on]
        new = _cuts(sub, z, pid, reach, graph)
        if new is None:
            slack = (
                x[pi.size : pi.size + sub.m] + x[pi.size + sub.m :] if nslack else np.zeros(sub.m)
            )
            obj = float(c[on].sum())
            return ExactOutcome(res.status, z, obj, min(res.bound, obj), slack, cuts)
        _add_at_most(model, new, 1.0, width=pi.size + nslack)
        cuts += new.shape[0]
        if time_limit_s is not None and time.perf_counter() - t0 > time_limit_s:
            break
    return ExactOutcome("time_limit", None, np.nan, np.nan, np.zeros(sub.m), cuts)
