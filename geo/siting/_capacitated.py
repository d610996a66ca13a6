"""Capacitated LSCP and MCLP on the site-and-assignment model of :mod:`geo.siting._assign`.

When demand may be split between sites, rows with the same candidate set are merged
(exact for split demand). The MCLP spends up to a third of its time on starting solutions
(:mod:`geo.siting._capstart`: capacity-aware greedy, and the LP relaxation followed by the
MILP restricted to the sites the LP uses), then HiGHS searches the full model from the
better one; the bound is the better of the LP relaxation's and the search's.

Single-source MCLP is solved in two phases, because its model has one binary per pair and
HiGHS is slow to even start on it: (1) the split-demand MCLP, a relaxation whose bound
holds for single-source too, picks the sites (80 % of the time, to half the asked gap);
(2) with those sites fixed, the single-source assignment is a small MILP. The reported
bound is the bound of (1), so the gap is honest but includes the cost of not splitting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo.siting import _checks
from geo.siting._assign import Pairs, assignment_milp, split_solution
from geo.siting._capstart import capacitated_start, lp_guided_start
from geo.siting._reduce import merge_identical_rows
from geo.siting.solve import Milp, MilpSolution, Outcome, Status, relative_gap, solve_milp

if TYPE_CHECKING:
    from geo.siting.problem import SitingProblem

__all__ = ["solve_capacitated"]


@dataclass(frozen=True)
class _Model:
    milp: Milp
    pairs: Pairs  # rows are model rows
    cover: sp.csr_array  # model rows x candidates
    weights: NDArray[np.float64]  # per model row
    rows: NDArray[np.intp]  # the demand rows in the model
    group: NDArray[np.intp]  # per demand row in ``rows``: its model row


def _model(problem: SitingProblem, cover: sp.csr_array, *, single_source: bool) -> _Model:
    cap = problem.capacity
    assert cap is not None
    is_lscp = problem.kind == "lscp"
    rows = np.flatnonzero(problem.need & (np.diff(cover.indptr) > 0))
    group = np.arange(len(rows))
    sub, wr = sp.csr_array(cover[rows]), problem.weights[rows]
    if not single_source:
        sub, wr, group = merge_identical_rows(sub, wr)
    pairs = Pairs.of(sub, np.arange(sub.shape[0]))
    milp = assignment_milp(
        pairs,
        n_rows=sub.shape[0],
        fixed=problem.fixed,
        pair_cost=np.zeros(len(pairs.row)) if is_lscp else wr[pairs.row],
        site_cost=1.0 if is_lscp else 0.0,
        weights=wr,
        capacity=cap,
        p=problem.p,
        must_serve=is_lscp,
        single_source=single_source,
        maximize=not is_lscp,
    )
    return _Model(milp, pairs, sub, wr, rows, group)


def _start(
    model: _Model, problem: SitingProblem, sites: NDArray[np.bool_] | None, single: bool
) -> NDArray[np.float64] | None:
    assert problem.capacity is not None
    return capacitated_start(
        model.milp,
        model.pairs,
        model.cover,
        weights=model.weights,
        capacity=problem.capacity,
        fixed=problem.fixed,
        p=int(problem.p or 0),
        single_source=single,
        sites=sites,
    )


def solve_capacitated(
    problem: SitingProblem, cover: sp.csr_array, *, time_limit_s: float, mip_gap: float
) -> Outcome:
    """Solve a capacitated LSCP or MCLP (``cover``: demand x candidates within the radius)."""
    cap, w, fixed = problem.capacity, problem.weights, problem.fixed
    assert cap is not None
    is_lscp = problem.kind == "lscp"
    if is_lscp:
        _checks.check_capacity_total(cap, w[problem.need], fixed, p=None, kind="LSCP")
        if problem.single_source:
            need, ids = problem.need, problem.costs.demand_ids
            _checks.check_single_source(cover, cap, w, need, ids, kind="LSCP")
    if not is_lscp and problem.single_source:
        return _single_source_mclp(problem, cover, time_limit_s=time_limit_s, mip_gap=mip_gap)
    model = _model(problem, cover, single_source=problem.single_source)
    msg = (
        f"capacitated LSCP: the sites within {problem.service_radius_m:g} m of each demand row "
        "cannot hold all demand (capacity too small where demand is) / 服务半径内的设施容量"
        "不足以容纳全部需求"
    )
    if not is_lscp:
        sol = _split_mclp(model, problem, time_limit_s=time_limit_s, mip_gap=mip_gap)
        return _outcome(problem, model, sol, bound=sol.bound, solve_s=sol.solve_s, mip_gap=mip_gap)
    sol = solve_milp(model.milp, time_limit_s=time_limit_s, mip_gap=mip_gap, infeasible_msg=msg)
    return _outcome(problem, model, sol, bound=sol.bound, solve_s=sol.solve_s)


def _split_mclp(
    model: _Model, problem: SitingProblem, *, time_limit_s: float, mip_gap: float
) -> MilpSolution:
    """The split-demand capacitated MCLP: the better start (greedy or LP-guided, the latter
    on a third of the time), then the full search; the bound is the better of the LP
    relaxation's and the search's."""
    t0 = time.perf_counter()
    milp, m = model.milp, len(problem.fixed)
    starts = [_start(model, problem, None, False)]
    guided, lp_bound = lp_guided_start(
        milp, m=m, p=int(problem.p or 0), time_limit_s=time_limit_s / 3, mip_gap=mip_gap / 4
    )
    starts.append(guided)
    values = [-np.inf if x is None else float(milp.cost @ x) for x in starts]
    best = int(np.argmax(values))
    x0 = starts[best]
    if x0 is not None and relative_gap(values[best], lp_bound) <= mip_gap:
        solve_s = time.perf_counter() - t0
        gap = relative_gap(values[best], lp_bound)
        return MilpSolution("optimal", x0, values[best], lp_bound, gap, solve_s)
    left = time_limit_s - (time.perf_counter() - t0)
    sol = solve_milp(milp, time_limit_s=max(left, 0.5), mip_gap=mip_gap, start=x0)
    bound = min(sol.bound, lp_bound)
    solve_s = time.perf_counter() - t0
    return replace(sol, bound=bound, gap=relative_gap(sol.objective, bound), solve_s=solve_s)


def _single_source_mclp(
    problem: SitingProblem, cover: sp.csr_array, *, time_limit_s: float, mip_gap: float
) -> Outcome:
    t0 = time.perf_counter()
    m = len(problem.fixed)
    split = _model(problem, cover, single_source=False)
    first = _split_mclp(split, problem, time_limit_s=0.8 * time_limit_s, mip_gap=mip_gap / 2)
    sites = first.x[:m] > 0.5
    model = _model(problem, cover, single_source=True)
    lower, upper = model.milp.col_lower.copy(), model.milp.col_upper.copy()
    lower[:m] = upper[:m] = sites
    left = time_limit_s - (time.perf_counter() - t0)
    second = solve_milp(
        replace(model.milp, col_lower=lower, col_upper=upper),
        time_limit_s=max(left, 1.0),
        mip_gap=mip_gap / 2,
        start=_start(model, problem, sites, True),
    )
    solve_s = time.perf_counter() - t0
    return _outcome(problem, model, second, bound=first.bound, solve_s=solve_s, mip_gap=mip_gap)


def _outcome(
    problem: SitingProblem,
    model: _Model,
    sol: MilpSolution,
    *,
    bound: float,
    solve_s: float,
    mip_gap: float | None = None,
) -> Outcome:
    """Shares back on demand rows (each row of a merged group takes the group's shares).
    With ``mip_gap`` the status is judged from the final gap (phased solves)."""
    w = problem.weights
    is_open, share = split_solution(sol.x, len(problem.fixed))
    order = np.argsort(model.group, kind="stable")
    counts = np.bincount(model.group, minlength=model.cover.shape[0])[model.pairs.row]
    starts = np.searchsorted(model.group[order], model.pairs.row)
    pos = np.repeat(starts, counts) + _ramp(counts)
    rows = model.rows[order[pos]]
    cols = np.repeat(model.pairs.col, counts)
    shares = np.repeat(share, counts)
    keep = shares > 1e-6
    if problem.kind == "lscp":
        objective = float(is_open.sum())
    else:
        objective = float((w[rows] * shares)[keep].sum())
        bound = max(bound, objective)
    gap = relative_gap(objective, bound)
    status: Status = sol.status
    if mip_gap is not None:
        status = "optimal" if gap <= mip_gap + 1e-12 else "time_limit"
    return Outcome(
        is_open,
        status,
        objective,
        bound,
        gap,
        solve_s,
        shares=(rows[keep], cols[keep], shares[keep]),
    )


def _ramp(counts: NDArray[np.intp]) -> NDArray[np.intp]:
    """``[0..c0-1, 0..c1-1, ...]`` for the given counts."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
