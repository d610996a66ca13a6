"""The single-source capacitated MCLP: sites from the split-demand model, whole rows
assigned with the sites fixed, and a proven bound from the split-demand relaxation.

Measured at 10,000 demand rows x 1,000 candidates, p = 100 (``bench/bench_siting.py``,
seeds 1 and 2): on the same sites the best whole-row assignment serves within about
0.01 % of what split demand serves (a site's many small rows fill its capacity almost
exactly), while the split model, with rows of equal candidate sets merged and continuous
shares, has half the rows and no binary per pair, and HiGHS proves bounds on it far
faster than on the single-source model. So:

1. Start: the LP relaxation of the split model (a bound), then the MILP restricted to the
   sites the LP uses (RENS), against the capacity-aware greedy (:func:`best_start`).
   RENS found in 5 s (1,460,664 served) more than HiGHS's own heuristics on the full
   model in 40 s (1,450,959).
2. Whole rows: with those sites fixed, the single-source assignment is a small MILP,
   started from the LP assignment rounded to whole rows and filled with the rows left
   out where they fit.
3. Bound: HiGHS on the split model from the start, its heuristics off (the bound is what
   is missing), stopping as soon as its bound is within the asked gap of the single-source
   objective (``mip_abs_gap``). Its bound holds for single-source too (every single-source
   solution is a split one). If the bound still misses, the window search of
   :mod:`geo.siting._capwindow` raises the split solution until the gap would be met or
   its share of the time is up; better sites get step 2 again.
4. Only if the gap is still above the asked one and a fifth of the time is left: HiGHS
   on the full single-source model from the incumbent (this is what proves small
   instances optimal).

The reported bound is the least of the bounds found, so the gap is a proven one; the
answer is checked against the rules before it is returned (:func:`_whole_rows`).
A Lagrangian relaxation of the assignment rows was not used: with the sites' knapsacks
solved as LPs its best bound equals the LP bound, 1.3 % above the incumbent on the
benchmark; with integer knapsacks (not tried) it can gain at most a part of one row per
open site, while HiGHS's cuts on the split model brought the bound within 1 % there.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.siting._capmodel import Model, best_start, build_model, greedy_start, outcome
from geo.siting._capwindow import window_search
from geo.siting.solve import MilpSolution, Outcome, relative_gap, solve_milp

if TYPE_CHECKING:
    from geo.siting.problem import SitingProblem

__all__ = ["single_source_mclp"]

#: shares of the time limit for the start (LP + RENS), each whole-row assignment, and the
#: window search when the bound alone does not reach the gap
_START_SHARE, _ASSIGN_SHARE, _SEARCH_SHARE = 0.3, 0.1, 0.15
#: below this many seconds left a further HiGHS run is not started
_MIN_RUN_S = 0.5
#: share of the time limit kept at the end for HiGHS's overruns of its own limits and for
#: building and checking the answer
_WRAP_SHARE = 0.03
#: the full single-source search runs only with this share of the time still left (on
#: large models it cannot improve anything in less)
_FULL_SHARE = 0.2


def single_source_mclp(
    problem: SitingProblem, cover: sp.csr_array, *, time_limit_s: float, mip_gap: float
) -> Outcome:
    """Solve a single-source capacitated MCLP (``cover``: demand x candidates within the
    radius) to ``mip_gap`` within ``time_limit_s`` (see the module docstring)."""
    t0 = time.perf_counter()
    deadline = t0 + (1 - _WRAP_SHARE) * time_limit_s
    split = build_model(problem, cover, single_source=False)
    single = build_model(problem, cover, single_source=True)
    x0, _, bound = best_start(
        split, problem, time_limit_s=_START_SHARE * time_limit_s, mip_gap=mip_gap / 4
    )
    best: MilpSolution | None = None
    if x0 is not None:
        best, bound = _improve(
            split, single, problem, x0, bound, deadline=deadline, mip_gap=mip_gap
        )
    left = deadline - time.perf_counter()
    enough_time = left > max(_MIN_RUN_S, _FULL_SHARE * time_limit_s)
    if best is None or (relative_gap(best.objective, bound) > mip_gap and enough_time):
        best, bound = _full_search(single, best, bound, time_limit_s=left, mip_gap=mip_gap)
    solve_s = time.perf_counter() - t0
    answer = outcome(problem, single, best, bound=bound, solve_s=solve_s, mip_gap=mip_gap)
    return _whole_rows(answer, problem, mip_gap=mip_gap)


def _improve(
    split: Model,
    single: Model,
    problem: SitingProblem,
    x0: NDArray[np.float64],
    bound: float,
    *,
    deadline: float,
    mip_gap: float,
) -> tuple[MilpSolution, float]:
    """Steps 2 to 4 of the module docstring from the split solution ``x0``: the best
    whole-row solution and the least bound."""
    m = len(problem.fixed)
    whole_s = (deadline - time.perf_counter()) / (1 - _START_SHARE)  # about the time limit
    assign_s = _ASSIGN_SHARE * whole_s
    best = _assign(single, problem, x0[:m] > 0.5, time_limit_s=assign_s, mip_gap=mip_gap / 100)
    value = float(split.milp.cost @ x0)
    left = deadline - time.perf_counter() - assign_s - _SEARCH_SHARE * whole_s
    if relative_gap(best.objective, bound) <= mip_gap or left < _MIN_RUN_S:
        return best, bound
    found = _split_bound(split, x0, value, target=(1 + mip_gap) * best.objective, time_limit_s=left)
    bound = min(bound, found.bound)
    x1 = found.x if found.objective > value else x0
    if relative_gap(best.objective, bound) > mip_gap:  # a better incumbent is what is missing
        loss = max(value - best.objective, 0.0)  # of whole rows against split demand
        x1 = window_search(
            split,
            problem,
            x1,
            time_limit_s=deadline - time.perf_counter() - assign_s,
            enough=bound / (1 + mip_gap) + loss,
        )
    if float(split.milp.cost @ x1) > value + 1e-9 * max(1.0, value):
        left = deadline - time.perf_counter()
        again = _assign(single, problem, x1[:m] > 0.5, time_limit_s=left, mip_gap=mip_gap / 100)
        best = again if again.objective > best.objective else best
    return best, bound


def _assign(
    single: Model,
    problem: SitingProblem,
    sites: NDArray[np.bool_],
    *,
    time_limit_s: float,
    mip_gap: float,
) -> MilpSolution:
    """The best whole-row assignment to ``sites`` found within the time (or to ``mip_gap``),
    started from the LP assignment rounded to whole rows (always feasible: rows that do not fit stay
    unserved)."""
    m = len(problem.fixed)
    start = greedy_start(single, problem, sites, True)
    lower, upper = single.milp.col_lower.copy(), single.milp.col_upper.copy()
    lower[:m] = upper[:m] = sites
    fixed_sites = replace(single.milp, col_lower=lower, col_upper=upper)
    return solve_milp(
        fixed_sites, time_limit_s=max(time_limit_s, _MIN_RUN_S), mip_gap=mip_gap, start=start
    )


def _split_bound(
    split: Model, x0: NDArray[np.float64], value: float, *, target: float, time_limit_s: float
) -> MilpSolution:
    """HiGHS on the split model from ``x0`` (objective ``value``), heuristics off, until its
    bound is at most ``target`` or the time is up (``x0`` and no bound if HiGHS fails)."""
    try:
        return solve_milp(
            split.milp,
            time_limit_s=time_limit_s,
            mip_gap=0.0,
            start=x0,
            options={"mip_abs_gap": max(target - value, 0.0), "mip_heuristic_effort": 0.0},
        )
    except AnalysisError:  # HiGHS refused the start and found nothing in time
        return MilpSolution("time_limit", x0, value, np.inf, np.inf, time_limit_s)


def _full_search(
    single: Model, best: MilpSolution | None, bound: float, *, time_limit_s: float, mip_gap: float
) -> tuple[MilpSolution, float]:
    """HiGHS on the full single-source model from ``best``; the better solution and the
    lesser bound. Without ``best`` its errors (infeasible, no solution in time) propagate."""
    start = None if best is None else best.x
    try:
        sol = solve_milp(
            single.milp, time_limit_s=max(time_limit_s, _MIN_RUN_S), mip_gap=mip_gap, start=start
        )
    except AnalysisError:
        if best is None:
            raise
        return best, bound
    better = sol if best is None or sol.objective >= best.objective else best
    return better, min(bound, sol.bound)


def _whole_rows(found: Outcome, problem: SitingProblem, *, mip_gap: float) -> Outcome:
    """The answer checked against the rules, shares rounded to whole rows: each row at one
    open site at most, no site over its capacity (a row that HiGHS's tolerances left over a
    capacity is dropped, lightest first); objective, gap and status follow."""
    assert found.shares is not None and problem.capacity is not None
    w, cap = problem.weights, problem.capacity
    rows, cols, share = found.shares
    keep = share > 0.5
    rows, cols = rows[keep], cols[keep]
    if len(np.unique(rows)) != len(rows) or not found.is_open[cols].all():
        msg = "single-source assignment broke its rules (a bug) / 单一来源分配违反约束（程序错误）"
        raise AnalysisError(msg)
    load = np.bincount(cols, weights=w[rows], minlength=len(cap))
    for j in np.flatnonzero(load > cap * (1 + 1e-12)):
        at = np.flatnonzero(cols == j)
        lightest = at[np.argsort(w[rows[at]], kind="stable")]
        excess = load[j] - cap[j]
        drop = lightest[: int(np.searchsorted(np.cumsum(w[rows[lightest]]), excess)) + 1]
        rows, cols = np.delete(rows, drop), np.delete(cols, drop)
    objective = float(w[rows].sum())
    bound = max(found.bound, objective)
    gap = relative_gap(objective, bound)
    return replace(
        found,
        objective=objective,
        bound=bound,
        gap=gap,
        status="optimal" if gap <= mip_gap + 1e-12 else "time_limit",
        shares=(rows, cols, np.ones(len(rows))),
    )
