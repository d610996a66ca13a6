"""p-median on the sparse cost matrix: assignment variables only for pairs within the
cutoff.

Uncapacitated, a row never needs a candidate farther than its nearest fixed site, so only
those pairs enter the model (a row whose nearest candidate is fixed keeps a single pair).
Capacitated, every pair within the cutoff enters (a fixed site may be full).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import InfeasibleError
from geo.siting import _checks
from geo.siting._assign import Pairs, assignment_milp, split_solution
from geo.siting._reduce import pattern, row_min
from geo.siting.solve import Outcome, relative_gap, solve_milp

if TYPE_CHECKING:
    from geo.siting.problem import SitingProblem

__all__ = ["nearest_open", "sites_needed", "solve_p_median"]


def nearest_open(
    costs: sp.csr_array, is_open: NDArray[np.bool_], *, radius_m: float
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Each row's nearest open column within ``radius_m`` (``-1``/``inf`` if none; ties go
    to the lower column)."""
    d = sp.csr_array(costs)
    n = d.shape[0]
    row = np.repeat(np.arange(n), np.diff(d.indptr))
    ok = is_open[d.indices] & (d.data <= radius_m)
    r, c, v = row[ok], d.indices[ok], d.data[ok]
    order = np.lexsort((c, v, r))
    r, c, v = r[order], c[order], v[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = r[1:] != r[:-1]
    col = np.full(n, -1, dtype=np.intp)
    dist = np.full(n, np.inf)
    col[r[first]] = c[first]
    dist[r[first]] = v[first]
    return col, dist


def sites_needed(problem: SitingProblem, *, radius_m: float, time_limit_s: float) -> int | None:
    """The fewest new sites that bring every needed row within ``radius_m`` of an open
    site (``None`` if that cannot be told within the time)."""
    from geo.siting._cover import min_cover

    cover = pattern(problem.costs.within(radius_m))
    try:
        found = min_cover(
            cover, problem.need, problem.fixed, time_limit_s=time_limit_s, mip_gap=0.0
        )
    except Exception:
        return None
    if found is None or found[1].status != "optimal":
        return None
    return int(found[0].sum() - problem.fixed.sum())


def _too_few_message(problem: SitingProblem, *, kind: str, time_limit_s: float) -> str:
    cutoff = problem.costs.cutoff_m
    k = sites_needed(problem, radius_m=cutoff, time_limit_s=min(time_limit_s, 30.0))
    need = f"at least {k}" if k is not None else "more"
    return (
        f"{kind} must assign every demand row to an open site within the cutoff {cutoff:g} m; "
        f"that takes {need} new sites, but p = {problem.p}: raise p or the cutoff / "
        f"{kind} 须在截断距离 {cutoff:g} 米内为每个需求点分配设施，需新增"
        f"{k if k is not None else '更多'}处，而 p = {problem.p}"
    )


def solve_p_median(problem: SitingProblem, *, time_limit_s: float, mip_gap: float) -> Outcome:
    """Solve a :class:`~geo.siting.problem.PMedian` (capacitated when it has capacities)."""
    d = sp.csr_array(problem.costs.matrix)
    d.sort_indices()
    w, fixed, need = problem.weights, problem.fixed, problem.need
    ids = problem.costs.demand_ids
    _checks.check_reachable(d, need, ids, radius_m=problem.costs.cutoff_m, kind="p-median")
    cap = problem.capacity
    if cap is not None:
        _checks.check_capacity_total(cap, w[need], fixed, p=problem.p, kind="p-median")
        if problem.single_source:
            _checks.check_single_source(d, cap, w, need, ids, kind="p-median")
    pairs, dist = _median_pairs(d, need, fixed, capacitated=cap is not None)
    rows = np.unique(pairs.row)
    local = np.searchsorted(rows, pairs.row)
    milp = assignment_milp(
        Pairs(local.astype(np.intp), pairs.col),
        n_rows=len(rows),
        fixed=fixed,
        pair_cost=w[pairs.row] * dist,
        weights=w[rows],
        capacity=cap,
        p=problem.p,
        single_source=problem.single_source and cap is not None,
    )
    try:
        sol = solve_milp(milp, time_limit_s=time_limit_s, mip_gap=mip_gap)
    except InfeasibleError:
        if cap is not None:
            msg = (
                f"capacitated p-median: no choice of p = {problem.p} new sites can hold "
                f"all demand within the cutoff {problem.costs.cutoff_m:g} m / 截断距离内的"
                f"设施容量不足以容纳全部需求"
            )
            raise InfeasibleError(msg) from None
        msg = _too_few_message(problem, kind="p-median", time_limit_s=time_limit_s)
        raise InfeasibleError(msg) from None
    is_open, share = split_solution(sol.x, len(fixed))
    shares = None
    if cap is not None:
        keep = share > 1e-6
        shares = (pairs.row[keep], pairs.col[keep], share[keep])
        objective = float((w[pairs.row] * dist * share)[keep].sum())
    else:
        _, near = nearest_open(d, is_open, radius_m=np.inf)
        objective = float((w[need] * near[need]).sum())
    bound = min(sol.bound, objective)
    return Outcome(
        is_open, sol.status, objective, bound, relative_gap(objective, bound), sol.solve_s, shares
    )


def _median_pairs(
    d: sp.csr_array, need: NDArray[np.bool_], fixed: NDArray[np.bool_], *, capacitated: bool
) -> tuple[Pairs, NDArray[np.float64]]:
    """Pairs that enter the model and their distances."""
    n = d.shape[0]
    row = np.repeat(np.arange(n), np.diff(d.indptr))
    keep = need[row]
    if not capacitated and fixed.any():
        masked = sp.csr_array((np.where(fixed[d.indices], d.data, np.inf), d.indices, d.indptr))
        to_fixed = row_min(masked)
        # a pair farther than the row's nearest fixed site is never used
        keep &= (d.data < to_fixed[row]) | (fixed[d.indices] & (d.data <= to_fixed[row]))
    return Pairs(row[keep].astype(np.intp), d.indices[keep].astype(np.intp)), d.data[keep]
