"""Covering problems: LSCP and MCLP, uncapacitated and capacitated.

Uncapacitated models are reduced before the MILP (all reductions keep the optimum):
rows with zero weight and rows already covered by a fixed site leave the model (the
latter become a constant), fixed columns leave it, candidates covering a subset of
another candidate's rows are dropped, and rows with identical candidate sets are merged
with their weights summed; in the LSCP rows whose candidate set contains another row's are
implied and dropped (repeated until nothing changes). A greedy cover starts HiGHS on the
LSCP; the MCLP goes on to :mod:`geo.siting._presolve` (LP bound, LP-guided start,
Lagrangian fixing).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import InfeasibleError
from geo.siting import _checks
from geo.siting._capacitated import solve_capacitated
from geo.siting._presolve import solve_cover_mclp
from geo.siting._reduce import (
    dominated_columns,
    greedy_cover,
    implied_rows,
    merge_identical_rows,
    pattern,
)
from geo.siting.solve import Milp, Outcome, relative_gap, solve_milp

if TYPE_CHECKING:
    from geo.siting.problem import SitingProblem

__all__ = ["min_cover", "solve_lscp", "solve_mclp"]

#: rounds of column dominance and row implication in the LSCP reduction
_REDUCE_ROUNDS = 5


def _covering(problem: SitingProblem) -> sp.csr_array:
    return pattern(problem.costs.within(problem.service_radius_m))


def min_cover(
    cover: sp.csr_array,
    need: NDArray[np.bool_],
    fixed: NDArray[np.bool_],
    *,
    time_limit_s: float,
    mip_gap: float,
    max_new: int | None = None,
) -> tuple[NDArray[np.bool_], Outcome] | None:
    """The fewest new sites that, with the fixed ones, cover every needed row.

    With ``max_new`` only feasibility is asked: any cover with at most ``max_new`` new
    sites is returned, ``None`` if there is none. Rows must all be coverable.

    Returns
    -------
    (is_open, outcome) or None
        ``outcome.objective`` counts all open sites (fixed included).
    """
    n_fixed = int(fixed.sum())
    rows = need & ~((cover @ fixed.astype(np.float64)) > 0)
    free = np.flatnonzero(~fixed)
    sub = sp.csr_array(cover[np.flatnonzero(rows)][:, free])
    if sub.shape[0] == 0:
        return fixed.copy(), Outcome(fixed.copy(), "optimal", n_fixed, n_fixed, 0.0, 0.0)
    sub, cols = _reduce_lscp(sub, free)
    greedy = greedy_cover(sp.csc_array(sub), np.ones(sub.shape[0]), n_sites=len(cols))
    start = np.zeros(len(cols))
    start[greedy] = 1.0
    if max_new is not None and len(greedy) <= max_new:
        is_open = fixed.copy()
        is_open[cols[greedy]] = True
        n = float(is_open.sum())
        return is_open, Outcome(is_open, "optimal", n, n, 0.0, 0.0)
    milp = _cover_milp(sub, max_new=max_new, offset=float(n_fixed))
    try:
        sol = solve_milp(
            milp,
            time_limit_s=time_limit_s,
            mip_gap=mip_gap,
            start=start if max_new is None else None,
        )
    except InfeasibleError:
        if max_new is None:
            raise
        return None
    is_open = fixed.copy()
    is_open[cols[sol.x > 0.5]] = True
    n = float(is_open.sum())
    bound = sol.bound if max_new is None else n
    return is_open, Outcome(is_open, sol.status, n, bound, relative_gap(n, bound), sol.solve_s)


def _reduce_lscp(
    sub: sp.csr_array, cols: NDArray[np.intp]
) -> tuple[sp.csr_array, NDArray[np.intp]]:
    """Drop dominated columns and implied rows, merge identical rows, until stable."""
    sub, _, _ = merge_identical_rows(sub, np.ones(sub.shape[0]))
    for _ in range(_REDUCE_ROUNDS):
        dominated = dominated_columns(sub)
        implied = implied_rows(sub)
        if not dominated.any() and not implied.any():
            break
        sub = sp.csr_array(sub[np.flatnonzero(~implied)][:, ~dominated])
        cols = cols[~dominated]
        sub, _, _ = merge_identical_rows(sub, np.ones(sub.shape[0]))
    return sub, cols


def _cover_milp(sub: sp.csr_array, *, max_new: int | None, offset: float) -> Milp:
    """``min sum x`` s.t. every row covered; with ``max_new``: any cover of at most that
    many columns (zero objective: the first one found is the answer)."""
    k, n_cols = sub.shape
    matrix: sp.csr_array = sub
    row_lo, row_hi = np.ones(k), np.full(k, np.inf)
    if max_new is not None:
        matrix = sp.csr_array(sp.vstack([sub, sp.csr_array(np.ones((1, n_cols)))]))
        row_lo, row_hi = np.append(row_lo, 0.0), np.append(row_hi, float(max_new))
    return Milp(
        cost=np.ones(n_cols) if max_new is None else np.zeros(n_cols),
        matrix=matrix,
        row_lower=row_lo,
        row_upper=row_hi,
        col_lower=np.zeros(n_cols),
        col_upper=np.ones(n_cols),
        integer=np.ones(n_cols, dtype=bool),
        offset=offset,
    )


def solve_lscp(problem: SitingProblem, *, time_limit_s: float, mip_gap: float) -> Outcome:
    """Solve an :class:`~geo.siting.problem.LSCP` (capacitated when it has capacities)."""
    cover = _covering(problem)
    need = problem.need
    _checks.check_reachable(
        cover,
        need,
        problem.costs.demand_ids,
        radius_m=problem.service_radius_m,
        kind="LSCP",
    )
    if problem.capacity is not None:
        return solve_capacitated(problem, cover, time_limit_s=time_limit_s, mip_gap=mip_gap)
    found = min_cover(cover, need, problem.fixed, time_limit_s=time_limit_s, mip_gap=mip_gap)
    assert found is not None
    return found[1]


def solve_mclp(problem: SitingProblem, *, time_limit_s: float, mip_gap: float) -> Outcome:
    """Solve an :class:`~geo.siting.problem.MCLP` (capacitated when it has capacities)."""
    cover = _covering(problem)
    if problem.capacity is not None:
        return solve_capacitated(problem, cover, time_limit_s=time_limit_s, mip_gap=mip_gap)
    t0 = time.perf_counter()
    p, fixed, w = int(problem.p or 0), problem.fixed, problem.weights
    by_fixed = (cover @ fixed.astype(np.float64)) > 0
    constant = float(w[by_fixed].sum())
    free = np.flatnonzero(~fixed)
    rows = np.flatnonzero(problem.need & ~by_fixed)
    sub = sp.csr_array(cover[rows][:, free])
    reach = np.diff(sub.indptr) > 0
    sub, wr, _ = merge_identical_rows(sp.csr_array(sub[reach]), w[rows[reach]])
    dominated = dominated_columns(sub) if p > 0 else np.ones(len(free), dtype=bool)
    cols = free[~dominated]
    sub, wr, _ = merge_identical_rows(sp.csr_array(sub[:, ~dominated]), wr)
    if len(cols) <= p:
        return _open_all(problem, cover, cols, free[dominated], p)
    left = max(time_limit_s - (time.perf_counter() - t0), 0.1)
    sol = solve_cover_mclp(sub, wr, p, time_limit_s=left, mip_gap=mip_gap)
    is_open = fixed.copy()
    is_open[cols[sol.chosen]] = True
    objective = float(w[problem.need & ((cover @ is_open.astype(np.float64)) > 0)].sum())
    bound = max(sol.bound + constant, objective)
    return Outcome(
        is_open,
        sol.status,
        objective,
        bound,
        relative_gap(objective, bound),
        time.perf_counter() - t0,
    )


def _open_all(
    problem: SitingProblem,
    cover: sp.csr_array,
    cols: NDArray[np.intp],
    spare: NDArray[np.intp],
    p: int,
) -> Outcome:
    """Fewer useful candidates than ``p``: open them all and pad with dropped ones."""
    is_open = problem.fixed.copy()
    is_open[cols] = True
    is_open[spare[: p - len(cols)]] = True
    covered = (cover @ is_open.astype(np.float64)) > 0
    value = float(problem.weights[problem.need & covered].sum())
    return Outcome(is_open, "optimal", value, value, 0.0, 0.0)
