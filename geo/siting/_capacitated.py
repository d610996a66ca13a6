"""Capacitated LSCP and MCLP on the site-and-assignment model of
:mod:`geo.siting._capmodel`.

The split-demand MCLP spends up to a third of its time on starting solutions
(:mod:`geo.siting._capstart`: capacity-aware greedy, and the LP relaxation followed by the
MILP restricted to the sites the LP uses), then HiGHS searches the full model from the
better one; the bound is the better of the LP relaxation's and the search's. The
single-source MCLP has its own scheme (:mod:`geo.siting._capsingle`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import scipy.sparse as sp

from geo.siting import _checks
from geo.siting._capmodel import Model, best_start, build_model, outcome
from geo.siting._capsingle import single_source_mclp
from geo.siting.solve import MilpSolution, Outcome, relative_gap, solve_milp

if TYPE_CHECKING:
    from geo.siting.problem import SitingProblem

__all__ = ["solve_capacitated"]


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
        return single_source_mclp(problem, cover, time_limit_s=time_limit_s, mip_gap=mip_gap)
    model = build_model(problem, cover, single_source=problem.single_source)
    msg = (
        f"capacitated LSCP: the sites within {problem.service_radius_m:g} m of each demand row "
        "cannot hold all demand (capacity too small where demand is) / 服务半径内的设施容量"
        "不足以容纳全部需求"
    )
    if not is_lscp:
        sol = _split_mclp(model, problem, time_limit_s=time_limit_s, mip_gap=mip_gap)
        return outcome(problem, model, sol, bound=sol.bound, solve_s=sol.solve_s, mip_gap=mip_gap)
    sol = solve_milp(model.milp, time_limit_s=time_limit_s, mip_gap=mip_gap, infeasible_msg=msg)
    return outcome(problem, model, sol, bound=sol.bound, solve_s=sol.solve_s)


def _split_mclp(
    model: Model, problem: SitingProblem, *, time_limit_s: float, mip_gap: float
) -> MilpSolution:
    """The split-demand capacitated MCLP: the better start (greedy or LP-guided, the latter
    on a third of the time), then the full search; the bound is the better of the LP
    relaxation's and the search's."""
    t0 = time.perf_counter()
    x0, value, lp_bound = best_start(
        model, problem, time_limit_s=time_limit_s / 3, mip_gap=mip_gap / 4
    )
    if x0 is not None and relative_gap(value, lp_bound) <= mip_gap:
        solve_s = time.perf_counter() - t0
        return MilpSolution("optimal", x0, value, lp_bound, relative_gap(value, lp_bound), solve_s)
    left = time_limit_s - (time.perf_counter() - t0)
    sol = solve_milp(model.milp, time_limit_s=max(left, 0.5), mip_gap=mip_gap, start=x0)
    bound = min(sol.bound, lp_bound)
    solve_s = time.perf_counter() - t0
    return replace(sol, bound=bound, gap=relative_gap(sol.objective, bound), solve_s=solve_s)
