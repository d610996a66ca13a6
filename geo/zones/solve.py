"""Solving a zoning problem: decompose, solve small groups exactly, large ones by heuristic.

1. The problem splits into independent groups: one per street (街道) when zones may not cross
   streets, else one for everything. A group's total workload outside the sum of its
   stations' bands proves the band infeasible for those stations.
2. The heuristic runs on all groups at once (the street rule keeps them apart): the
   transportation LP on each unit's ``k`` cheapest candidate stations (its optimum is the
   reported lower bound), rounding of split units by a small MILP, contiguity repair
   (fragments join a neighbouring zone, or a starved zone claims the chain of units to its
   lost piece), then local search (moves, swaps and chains) that restores bands and lowers
   cost while every zone stays connected.
3. Groups of at most ``exact_max_units`` units and ``exact_max_stations`` stations are then
   solved exactly (HiGHS MILP with lazy contiguity cuts, started from the heuristic) under a
   deterministic node limit; an optimal solution replaces the heuristic one and its value
   tightens the bound. A heuristic solution that already meets every band, is contiguous and
   costs no more than the group's LP bound is optimal as it is. A group whose band the MILP
   proves infeasible gets the least-violation contiguous plan, its stations reported.

Everything is deterministic: HiGHS runs single-threaded with a fixed seed and node limits,
ties break by index.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from geo.zones._arrays import sums
from geo.zones._errors import BandInfeasibleError
from geo.zones._lp import lp_round
from geo.zones._milp import solve_exact
from geo.zones._repair import main_component, repair_fragments, viol, zone_labels
from geo.zones._search import local_search
from geo.zones._sub import Sub, split_groups, union
from geo.zones.plan import SolveInfo, ZonePlan
from geo.zones.problem import ZoneProblem

__all__ = ["Method", "solve", "solve_heuristic"]

Method = Literal["auto", "exact", "heuristic"]
IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]
_EPS = 1e-9


def solve_heuristic(sub: Sub, *, k: int = 8) -> tuple[IntArray, FloatArray, FloatArray]:
    """The heuristic on one :class:`Sub`: ``(z, unit_bound, lp_slack)`` with the local
    station per unit, each unit's share of the LP bound, and the LP's band slack."""
    lp = lp_round(sub, k=k)
    z = repair_fragments(sub, lp.z)
    z = local_search(sub, z, improve=False)
    z = local_search(sub, z, improve=False, chains=True)
    z = local_search(sub, z, improve=True)
    return z, lp.unit_bound, lp.slack


def _aggregate_infeasible(groups: list[Sub]) -> IntArray:
    """Stations of groups whose total workload cannot fit the sum of their bands, or whose
    locked units alone overload them."""
    bad: list[IntArray] = []
    for g in groups:
        total = float(g.w.sum())
        if total < g.lower.sum() - _EPS or total > g.upper.sum() + _EPS:
            bad.append(g.stations)
        fx = np.flatnonzero(g.fixed >= 0)
        forced = sums(g.fixed[fx], g.w[fx], g.m)
        bad.append(g.stations[forced > g.upper + _EPS])
    return np.unique(np.concatenate(bad)) if bad else np.empty(0, dtype=np.intp)


def _exact_groups(
    groups: list[Sub],
    z: IntArray,
    bound: FloatArray,
    *,
    method: Method,
    max_units: int,
    max_stations: int,
    max_nodes: int,
) -> tuple[int, list[IntArray]]:
    """Solve small groups exactly in place (``z`` global station per unit, ``bound`` per
    group); returns how many were solved and the stations proven out of band."""
    solved, proven = 0, []
    for gi, g in enumerate(groups):
        small = g.n <= max_units and g.m <= max_stations
        if method == "heuristic" or (method == "auto" and not small):
            continue
        start = np.searchsorted(g.stations, z[g.units]) if (z[g.units] >= 0).all() else None
        if start is not None and _meets_bound(g, start, float(bound[gi])):
            solved += 1
            continue
        out = solve_exact(g, start=start, max_nodes=max_nodes)
        if out.status == "infeasible":
            out = solve_exact(g, start=start, soft=True, max_nodes=max_nodes)
            if out.z is not None and out.status == "optimal":
                proven.append(g.stations[out.slack > _EPS * max(1.0, float(g.w.sum()))])
                z[g.units] = g.stations[out.z]
            continue
        if out.z is None or out.status != "optimal":
            continue
        solved += 1
        z[g.units] = g.stations[out.z]
        bound[gi] = out.bound
    return solved, proven


def _meets_bound(g: Sub, zl: IntArray, bound: float) -> bool:
    """Whether the heuristic's assignment of a group is feasible (bands, contiguity) and
    costs no more than the group's LP bound: then it is optimal already."""
    load = sums(zl, g.w, g.m)
    if (viol(load, g.lower, g.upper) > _EPS * max(1.0, float(g.w.sum()))).any():
        return False
    labels = zone_labels(zl, g.ea, g.eb)
    if not main_component(zl, labels, g.seed, g.w, g.m).all():
        return False
    cost = float(g.cost(np.arange(g.n), zl).sum())
    return cost <= bound + 1e-9 * max(1.0, abs(bound))


def solve(
    problem: ZoneProblem,
    *,
    method: Method = "auto",
    k: int = 8,
    exact_max_units: int = 30,
    exact_max_stations: int = 6,
    max_nodes: int = 20_000,
    best_effort: bool = False,
) -> ZonePlan:
    """Assign every unit to one station (see the module docstring for how).

    Parameters
    ----------
    problem
        The zoning problem.
    method
        ``"auto"`` (heuristic everywhere, exact where groups are small), ``"exact"`` (every
        group exactly; slow beyond a few dozen units per street) or ``"heuristic"``.
    k
        Candidate stations per unit in the LP.
    exact_max_units, exact_max_stations
        Size of the groups ``"auto"`` solves exactly.
    max_nodes
        Branch-and-bound node limit per exact solve (deterministic; a group that hits it
        keeps its heuristic solution).
    best_effort
        Return a plan even when some station is outside its band (it is listed in
        ``plan.info.out_of_band``), and assign units of streets without a station to the
        nearest station elsewhere (``plan.info.orphans``).

    Returns
    -------
    ZonePlan
        Version 1, with :class:`~geo.zones.plan.SolveInfo` in ``plan.info``.

    Raises
    ------
    BandInfeasibleError
        Unless ``best_effort``: some station is outside its band (``proven`` says whether no
        plan could meet it) or some unit has no station it may join. The best-effort plan is
        attached as ``error.plan``.
    """
    t0 = time.perf_counter()
    groups, orphans = split_groups(problem)
    z = np.full(problem.n_units, -1, dtype=np.intp)
    bound, notes = _heuristic(problem, groups, z, k=k)
    lp_bound = float(bound.sum())
    solved, exact_proven = _exact_groups(
        groups,
        z,
        bound,
        method=method,
        max_units=exact_max_units,
        max_stations=exact_max_stations,
        max_nodes=max_nodes,
    )
    if orphans.size:
        z[orphans] = _nearest_station(problem, orphans)
    proven = np.unique(np.concatenate([_aggregate_infeasible(groups), *exact_proven]))
    kind = "exact" if solved == len(groups) and groups else ("mixed" if solved else "heuristic")
    info = SolveInfo(
        method=kind,
        cost=float("nan"),
        lp_bound=lp_bound,
        bound=float(bound.sum()),
        seconds=0.0,
        groups=len(groups),
        exact_groups=solved,
        proven_infeasible=tuple(problem.station_ids[proven]),
        orphans=tuple(problem.unit_ids[orphans]),
        notes=notes,
    )
    return _checked(_finish(problem, z, info, t0), best_effort)


def _heuristic(
    problem: ZoneProblem, groups: list[Sub], z: IntArray, *, k: int
) -> tuple[FloatArray, tuple[str, ...]]:
    """Run the heuristic on all groups at once, filling ``z``; return the LP bound of each
    group and notes."""
    if not groups:
        return np.zeros(0), ()
    whole = union(problem, groups)
    zl, unit_bound, slack = solve_heuristic(whole, k=k)
    z[whole.units] = whole.stations[zl]
    gid = np.full(problem.n_units, -1, dtype=np.intp)
    for gi, g in enumerate(groups):
        gid[g.units] = gi
    return sums(gid[whole.units], unit_bound, len(groups)), _lp_notes(whole, slack)


def _lp_notes(whole: Sub, slack: FloatArray) -> tuple[str, ...]:
    if not (slack > 0).any():
        return ()
    ids = ", ".join(str(s) for s in whole.problem.station_ids[whole.stations[slack > 0]][:20])
    return (f"the LP could not meet the band of stations: {ids} / 线性松弛无法满足驿站区间：{ids}",)


def _nearest_station(problem: ZoneProblem, units: IntArray) -> IntArray:
    """The cheapest station of each unit in the cost matrix (any street), else by distance
    estimate to every station."""
    j = np.arange(problem.n_stations)
    rows = np.repeat(units, problem.n_stations)
    cols = np.tile(j, units.size)
    d, _ = problem.distance(rows, cols)
    d = d.reshape(units.size, problem.n_stations)
    return np.argmin(d, axis=1).astype(np.intp)


def _finish(problem: ZoneProblem, z: IntArray, info: SolveInfo, t0: float) -> ZonePlan:
    """The plan with its cost, stations out of band, fragmented zones and time filled in."""
    plan = ZonePlan(problem, z, problem.locks.copy(), 1)
    load = plan.loads
    out = viol(load, problem.lower, problem.upper) > _EPS * max(1.0, float(load.sum()))
    done = replace(
        info,
        cost=plan.cost,
        seconds=time.perf_counter() - t0,
        out_of_band=tuple(problem.station_ids[out]),
        fragmented=tuple(plan.validate().fragmented),
    )
    return replace(plan, info=done)


def _checked(plan: ZonePlan, best_effort: bool) -> ZonePlan:
    info = plan.info
    assert info is not None
    if best_effort or not (info.out_of_band or info.orphans):
        return plan
    proven = set(info.proven_infeasible)
    raise BandInfeasibleError(
        stations=info.out_of_band,
        units=info.orphans,
        proven=bool(info.out_of_band) and set(info.out_of_band) <= proven,
        plan=plan,
    )
