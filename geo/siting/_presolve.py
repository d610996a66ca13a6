"""Solving the reduced uncapacitated MCLP: LP relaxation, LP-guided start, fixing by the
Lagrangian bound, then HiGHS on what is left.

After the structural reductions of :mod:`geo.siting._reduce` the model is
``max w.y  s.t.  y_i <= sum_j a_ij x_j,  sum x = p``. Its LP relaxation is tight on city
instances (a few tenths of a percent), so the steps are:

1. a greedy cover improved by swaps, and the LP relaxation (a bound, and row duals);
2. the LP-guided restricted MILP (RENS: only the candidates the LP uses, those it opens
   fully fixed open), which usually finds the optimum or comes within a hair of it;
3. fixing by the Lagrangian bound: with multipliers ``lam`` (the LP's row duals) every
   choice of sites is worth at most ``L(lam) = sum(w - lam) + top_p(c)`` with
   ``c = A' lam``; forcing candidate ``j`` open (or closed) changes the top ``p`` and so
   gives a bound for every solution that opens (closes) it. When that bound is below the
   incumbent no optimal solution opens (closes) ``j``: it is fixed. With integer weights
   a bound below the incumbent + 1 is enough (nothing there beats the incumbent, which
   is kept). This is exact;
4. the structural reductions again on the fixed model (rows covered by a fixed-open site
   become a constant, dominated candidates and identical rows once more), and HiGHS from
   the incumbent. With integer weights any bound below the incumbent + 1 proves it.

Where the time goes at 10,000 x 1,000, p = 100 (4,141 merged rows, 935 candidates; CPU,
seeds 1-3 of the benchmark): the LP 0.14-0.16 s, RENS 0.2-0.4 s (1,276, 532 and 460
short of the optimum), and HiGHS on the fixed model (758-812 candidates) 0.9-1.6 s, almost
all at the root: the LP bound is 0.21-0.26 % above the optimum and HiGHS's cut rounds
close most of it (see :data:`_MIP_OPTIONS`). The proof's time swings by up to 2x with small
changes of the model or the start, and it hardly depends on the model's size (fixed by a
bound 3,000 tighter than the LP's, an invalid test leaving 347 candidates, it still took
1.4 s); it depends on the start: from the optimum it takes half the time. Measured and
dropped: RENS also over the candidates whose LP reduced cost is within 30 of the threshold
(whole solve 2.1 -> 1.6 s on seed 1, but slower on four of seeds 2-7: 13.3 -> 13.6 s over
seeds 1-7; within 100, RENS alone takes 0.4-1.1 s); windows re-solved around the
fractional clusters 0.1-4 s for no sure gain; probing each candidate's LP 5 s; and a
Lagrangian decomposition into regions priced by the LP duals (regions of 20-80 candidates
solved exactly, or the fractional clusters for every budget) closes at most 15 % of the LP
gap (the budget moves to candidates tied at the LP's threshold), and cuts of the clusters'
exact value functions on their inner rows are not violated by the LP.

Beyond :data:`LP_MAX_PAIRS` pairs (a city of 250,000 demand points and 5,000 candidates)
even the LP is too slow, and :mod:`geo.siting._large` takes over: a Lagrangian bound by
subgradient steps and a search that re-solves windows of the solution exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo.siting._large import lagrangian_bound, window_search
from geo.siting._reduce import dominated_columns, greedy_cover, merge_identical_rows, swap_improve
from geo.siting.solve import (
    Milp,
    MilpSolution,
    SolveTimeoutError,
    Status,
    relative_gap,
    solve_milp,
)

__all__ = [
    "LP_MAX_PAIRS",
    "CoverSolution",
    "lagrangian_fixing",
    "mclp_milp",
    "solve_cover_mclp",
]

#: above this many (row, candidate) pairs the LP is too slow: the city-scale path instead
LP_MAX_PAIRS = 300_000
#: HiGHS options for the restricted MILP and the proof on the fixed model. Both start from
#: a good solution and need a bound more than new solutions; at 10,000 x 1,000 the proof's
#: time is HiGHS's root: cut rounds, then strong branching. CPU seconds of the proof there
#: (seeds 1, 2, 3, RENS start, one loaded machine): heuristic effort 0 alone 5.1, 4.3, 3.9
#: (RENS, RINS, feasibility jump and root reduced-cost diving still run at effort 0); those
#: off too 4.2, 2.9, 3.6; and no strong branching before pseudo-costs are trusted
#: (``mip_pscost_minreliable`` 0) 2.0, 1.4, 1.3 (at 1 strong branching is back: 4.0, 3.0,
#: 3.4). The restricted MILP: 0.27, 0.38, 0.62 s before, 0.17, 0.30, 0.43 s with these.
#: Cuts only at the root: the same on seeds 1-4, 6 and 7, and 9.1 -> 7.2 s on seed 5, whose
#: tree has 225 nodes (the whole solve took 14.1 s with the former options). The root LP by
#: interior point (HiGHS's log then counts no simplex iterations until the first cut round):
#: whole solve 2.1 -> 1.8, 1.7 -> 1.3, 1.7 -> 1.4, 0.70 -> 0.59, 7.4 -> 6.1, 0.70 -> 0.69,
#: 1.10 -> 1.04 s of CPU on seeds 1-7.
_MIP_OPTIONS: dict[str, bool | int | float | str] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_allow_restart": False,
    "mip_pscost_minreliable": 0,
    "mip_allow_cut_separation_at_nodes": False,
    "mip_lp_solver": "ipm",
}
#: relative safety margin of the Lagrangian test (sums of many weights in float64)
_FIX_TOL = 1e-7


@dataclass(frozen=True)
class CoverSolution:
    """Chosen columns of the reduced model, status, bound on its covered weight, time."""

    chosen: NDArray[np.bool_]
    status: Status
    bound: float
    solve_s: float


def mclp_milp(sub: sp.csr_array, wr: NDArray[np.float64], p: int, constant: float) -> Milp:
    """``max w.y`` s.t. ``y_i <= sum_{j covers i} x_j``, ``sum x = p``; y in [0, 1]."""
    n, m = sub.shape
    matrix = sp.vstack(
        [
            sp.hstack([-sub, sp.eye_array(n, format="csr")]),
            sp.hstack([sp.csr_array(np.ones((1, m))), sp.csr_array((1, n))]),
        ]
    )
    return Milp(
        cost=np.concatenate([np.zeros(m), wr]),
        matrix=matrix,
        row_lower=np.append(np.full(n, -np.inf), float(p)),
        row_upper=np.append(np.zeros(n), float(p)),
        col_lower=np.zeros(m + n),
        col_upper=np.ones(m + n),
        integer=np.concatenate([np.ones(m, dtype=bool), np.zeros(n, dtype=bool)]),
        maximize=True,
        offset=constant,
    )


def _value(a: sp.csc_array, wr: NDArray[np.float64], x: NDArray[np.bool_]) -> float:
    return float(wr @ ((a @ x.astype(np.float64)) > 0))


def _start(a: sp.csc_array, x: NDArray[np.bool_]) -> NDArray[np.float64]:
    return np.concatenate([x, np.minimum(1.0, a @ x.astype(np.float64))])


def lagrangian_fixing(
    a: sp.csc_array,
    weights: NDArray[np.float64],
    multipliers: NDArray[np.float64],
    p: int,
    incumbent: float,
    *,
    integral: bool = False,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Columns that no solution better than ``incumbent`` opens (first) or closes (second).

    Any ``multipliers`` give valid answers (they are clipped to ``[0, w]``); the LP duals
    give the strongest. By default a column is fixed when every solution on its other
    side is worth less than ``incumbent``; with ``integral`` (integer weights, so integer
    values) also when they are all worth less than ``incumbent + 1``: none of them beats
    the incumbent, which the caller keeps.
    """
    lam = np.clip(np.abs(multipliers), 0.0, weights)
    c = a.T @ lam
    m = len(c)
    order = np.argsort(-c, kind="stable")
    top = np.zeros(m, dtype=bool)
    top[order[:p]] = True
    c_p = c[order[p - 1]] if p > 0 else np.inf
    c_next = c[order[p]] if p < m else 0.0
    bound = float((weights - lam).sum() + c[top].sum())
    forced_open = np.where(top, bound, bound - c_p + c)
    forced_closed = np.where(top, bound - c + c_next, bound)
    limit = incumbent + (1.0 if integral else 0.0) - _FIX_TOL * max(1.0, abs(incumbent))
    return forced_open < limit, forced_closed < limit


def _reduce_fixed(
    sub: sp.csr_array,
    wr: NDArray[np.float64],
    zero: NDArray[np.bool_],
    one: NDArray[np.bool_],
) -> tuple[sp.csr_array, NDArray[np.float64], NDArray[np.intp], float]:
    """The model with fixed columns removed: rows covered by a fixed-open column become a
    constant, then dominated columns go and identical rows merge. Returns the model, its
    weights, the kept columns and the constant."""
    by_one = (sub @ one.astype(np.float64)) > 0
    free = np.flatnonzero(~zero & ~one)
    rest = sp.csr_array(sub[np.flatnonzero(~by_one)][:, free])
    reach = np.diff(rest.indptr) > 0
    rest, w_rest = sp.csr_array(rest[reach]), wr[~by_one][reach]
    dominated = dominated_columns(rest)
    rest, w_rest, _ = merge_identical_rows(sp.csr_array(rest[:, ~dominated]), w_rest)
    return rest, w_rest, free[~dominated], float(wr[by_one].sum())


def _rens(
    milp: Milp, x_lp: NDArray[np.float64], m: int, *, time_limit_s: float
) -> NDArray[np.bool_] | None:
    """The MILP restricted to the columns the LP uses, those it opens fully fixed open."""
    lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
    lower[:m] = x_lp >= 0.99
    upper[:m] = (x_lp > 1e-6) | (lower[:m] > 0)
    if upper[:m].sum() <= milp.row_lower[-1]:
        return None
    try:
        sol = solve_milp(
            replace(milp, col_lower=lower, col_upper=upper),
            time_limit_s=time_limit_s,
            mip_gap=0.0,
            options=_MIP_OPTIONS,
        )
    except SolveTimeoutError:
        return None
    return sol.x[:m] > 0.5


def _pad(x: NDArray[np.bool_], p: int) -> NDArray[np.bool_]:
    """``x`` with more columns opened (the first closed ones) up to ``p``."""
    if x.sum() >= p:
        return x
    out = x.copy()
    out[np.flatnonzero(~x)[: p - int(x.sum())]] = True
    return out


def _whole(bound: float, integral: bool) -> float:
    """``bound`` rounded down to an integer when the weights are integers (with a margin
    for sums of many weights in float64, so a bound a hair below an integer stays it)."""
    if not integral:
        return bound
    return float(np.floor(bound + _FIX_TOL * max(1.0, abs(bound))))


def _proven(value: float, bound: float, mip_gap: float) -> Status:
    return "optimal" if relative_gap(value, max(bound, value)) <= mip_gap else "time_limit"


def _solve_large(
    a: sp.csc_array,
    wr: NDArray[np.float64],
    x: NDArray[np.bool_],
    p: int,
    *,
    t0: float,
    time_limit_s: float,
    mip_gap: float,
) -> CoverSolution:
    """City scale (:mod:`geo.siting._large`): the Lagrangian bound on up to a quarter of
    the time, then windows re-solved until the gap is met or the time is up."""
    bound, _ = lagrangian_bound(a, wr, p, x, time_limit_s=time_limit_s / 4)
    bound = _whole(bound, _integral(wr))
    left = time_limit_s - (time.perf_counter() - t0)
    x = window_search(a, wr, x, time_limit_s=left, enough=bound / (1.0 + mip_gap))
    value = _value(a, wr, x)
    bound = max(bound, value)
    return CoverSolution(
        _pad(x, p), _proven(value, bound, mip_gap), bound, time.perf_counter() - t0
    )


def _integral(wr: NDArray[np.float64]) -> bool:
    return bool(np.all(wr == np.round(wr)))


def _relaxation(milp: Milp, *, time_limit_s: float) -> MilpSolution | None:
    """The LP relaxation solved to optimality, or ``None`` when time ran out.

    The interior-point solver with crossover (a vertex: the support RENS uses, and row
    duals) takes about half the dual simplex's time on these models (0.16 s against
    0.28 s at 10,000 x 1,000).
    """
    try:
        lp = solve_milp(
            replace(milp, integer=np.zeros(len(milp.cost), dtype=bool)),
            time_limit_s=time_limit_s,
            mip_gap=0.0,
            options={"solver": "ipm", "run_crossover": "on"},
        )
    except SolveTimeoutError:
        return None
    return lp if lp.status == "optimal" else None


def _solve_fixed(
    sub: sp.csr_array,
    wr: NDArray[np.float64],
    x: NDArray[np.bool_],
    p: int,
    lp: MilpSolution,
    *,
    time_limit_s: float,
    mip_gap: float,
) -> tuple[NDArray[np.bool_], float, Status]:
    """Steps 3 and 4 of the module: fix by the Lagrangian bound of the LP duals, reduce,
    and let HiGHS finish from ``x``. Returns the solution, its bound and status.

    With integer weights a column is fixed when no solution on its other side can beat
    ``x`` by a whole unit, and HiGHS stops once its bound is less than one above its best
    solution: either way ``x`` (or better) is optimal among what was left out.
    """
    a = sp.csc_array(sub)
    incumbent, integral = _value(a, wr, x), _integral(wr)
    assert lp.row_dual is not None
    zero, one = lagrangian_fixing(
        a, wr, lp.row_dual[: sub.shape[0]], p, incumbent, integral=integral
    )
    rest, w_rest, cols, constant = _reduce_fixed(sub, wr, zero, one)
    p_rest = p - int(one.sum())
    if len(cols) <= p_rest or rest.shape[0] == 0:  # open all that is left
        chosen = one.copy()
        chosen[cols] = True
        if _value(a, wr, chosen) < incumbent:  # what was fixed cannot beat x: x is optimal
            chosen = x
        value = _value(a, wr, chosen)
        return chosen, value, "optimal"
    sol = solve_milp(
        mclp_milp(rest, w_rest, p_rest, constant),
        time_limit_s=max(time_limit_s, 0.1),
        mip_gap=mip_gap,
        start=_start(sp.csc_array(rest), x[cols]),
        options=_MIP_OPTIONS | ({"mip_abs_gap": 1.0 - 1e-6} if integral else {}),
    )
    chosen = one.copy()
    chosen[cols[sol.x[: len(cols)] > 0.5]] = True
    if _value(a, wr, chosen) < incumbent:  # HiGHS stopped before reaching the start
        chosen = x
    value = _value(a, wr, chosen)
    # solutions left out by the fixing are worth at most the incumbent (<= value)
    final = max(_whole(min(lp.objective, sol.bound), integral), value)
    return chosen, final, _proven(value, final, mip_gap)


def solve_cover_mclp(
    sub: sp.csr_array,
    wr: NDArray[np.float64],
    p: int,
    *,
    time_limit_s: float,
    mip_gap: float,
    lp_max_pairs: int = LP_MAX_PAIRS,
) -> CoverSolution:
    """Solve the reduced MCLP (more columns than ``p``, every row coverable) as the
    module describes (the city-scale path above ``lp_max_pairs`` pairs). ``bound`` bounds
    the covered weight of ``sub``'s rows."""
    t0 = time.perf_counter()
    a = sp.csc_array(sub)
    m = sub.shape[1]
    x = np.zeros(m, dtype=bool)
    x[greedy_cover(a, wr, n_sites=p)] = True
    x = swap_improve(a, wr, _pad(x, p))
    if sub.nnz > lp_max_pairs:
        return _solve_large(a, wr, x, p, t0=t0, time_limit_s=time_limit_s, mip_gap=mip_gap)
    milp = mclp_milp(sub, wr, p, 0.0)
    lp = _relaxation(milp, time_limit_s=time_limit_s)
    if lp is None:  # out of time: the start and the trivial bound
        return CoverSolution(_pad(x, p), "time_limit", float(wr.sum()), time.perf_counter() - t0)
    bound = _whole(lp.objective, _integral(wr))
    if _proven(_value(a, wr, x), bound, mip_gap) != "optimal":
        left = time_limit_s - (time.perf_counter() - t0)
        guided = _rens(milp, lp.x[:m], m, time_limit_s=max(left / 4, 0.1))
        if guided is not None and _value(a, wr, guided) > _value(a, wr, x):
            x = swap_improve(a, wr, guided)
    status = _proven(_value(a, wr, x), bound, mip_gap)
    if status == "time_limit" and lp.row_dual is not None:
        left = time_limit_s - (time.perf_counter() - t0)
        x, bound, status = _solve_fixed(sub, wr, x, p, lp, time_limit_s=left, mip_gap=mip_gap)
    return CoverSolution(_pad(x, p), status, max(bound, _value(a, wr, x)), time.perf_counter() - t0)
