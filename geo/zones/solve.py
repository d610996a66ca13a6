"""Solving a zoning problem: decompose, solve small groups exactly, large ones by heuristic.

1. The problem splits into independent groups: one per street (街道) when zones may not cross
   streets, else one for everything. A street with no station joins the group of its host
   (an adjacent street, :mod:`geo.zones._hosts`) unless the problem refuses orphan streets.
   A group's total workload outside the sum of its stations' bands proves the band
   infeasible for those stations.
2. The heuristic runs on each group alone (so a street's zones depend on that street's data
   only, and a problem solved whole, by district on Dask or street by street gives the same
   plan): the transportation LP on each unit's ``k`` cheapest candidate stations (its optimum is the
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
   In larger groups whose heuristic plan misses a band or a zone's contiguity although the
   LP met every band, the zones at fault and their neighbours are solved exactly on a small
   region (:mod:`geo.zones._local`).

Everything is deterministic: HiGHS runs single-threaded with a fixed seed and node limits,
ties break by index.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from geo.zones._arrays import sums
from geo.zones._errors import BandInfeasibleError
from geo.zones._local import at_fault, rescue_group
from geo.zones._lp import lp_round
from geo.zones._milp import solve_exact
from geo.zones._repair import repair_fragments, viol
from geo.zones._search import local_search
from geo.zones._sub import Sub, split_groups
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
    limits: tuple[int, int, int],
    rescue: NDArray[np.bool_],
    max_nodes: int,
) -> tuple[int, list[IntArray]]:
    """Solve groups exactly in place (``z`` global station per unit, ``bound`` per group):
    the small ones (``limits``: most units, most stations) and, in ``"auto"``, rescue the
    groups flagged in ``rescue`` whose heuristic plan is not feasible (regions of at most
    ``limits[2]`` units); returns how many were solved exactly and the stations proven out
    of band."""
    solved = 0
    proven: list[IntArray] = []
    for gi, g in enumerate(groups):
        small = g.n <= limits[0] and g.m <= limits[1]
        start = np.searchsorted(g.stations, z[g.units]) if (z[g.units] >= 0).all() else None
        if method == "heuristic" or (method == "auto" and not small and not rescue[gi]):
            continue
        if method == "auto" and not small:
            if start is None or not _feasible(g, start):
                rescue_group(g.problem, g, z, max_units=limits[2], max_nodes=max_nodes)
            continue
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


def _feasible(g: Sub, zl: IntArray) -> bool:
    """Whether an assignment of a group keeps every band and every zone connected."""
    return at_fault(g, zl).size == 0


def _meets_bound(g: Sub, zl: IntArray, bound: float) -> bool:
    """Whether the heuristic's assignment of a group is feasible (bands, contiguity) and
    costs no more than the group's LP bound: then it is optimal already."""
    if not _feasible(g, zl):
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
    rescue_max_units: int = 40,
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
    rescue_max_units
        In ``"auto"``, when the heuristic leaves a station of a larger group out of band or
        a zone in pieces although the LP met every band of the group, the zones at fault and
        their neighbours (regions of at most this many units) are solved exactly
        (:func:`geo.zones._local.rescue_group`; ``0``: never).
    best_effort
        Return a plan even when some station is outside its band (it is listed in
        ``plan.info.out_of_band``), and assign units that no station may take (streets
        without a station and no host, ``plan.info.unresolved``) to the nearest station.

    Returns
    -------
    ZonePlan
        Version 1, with :class:`~geo.zones.plan.SolveInfo` in ``plan.info``: units of
        streets without a station in ``orphans``, the streets hosting them in
        ``hosted_streets`` (and a note naming them).

    Raises
    ------
    BandInfeasibleError
        Unless ``best_effort``: some station is outside its band (``proven`` says whether no
        plan could meet it) or some unit has no station it may join. The best-effort plan is
        attached as ``error.plan``.
    """
    t0 = time.perf_counter()
    groups, unresolved = split_groups(problem)
    z = np.full(problem.n_units, -1, dtype=np.intp)
    bound, lp_met, notes = _heuristic(problem, groups, z, k=k)
    lp_bound = float(bound.sum())
    solved, exact_proven = _exact_groups(
        groups,
        z,
        bound,
        method=method,
        limits=(exact_max_units, exact_max_stations, rescue_max_units),
        rescue=lp_met,
        max_nodes=max_nodes,
    )
    if unresolved.size:
        z[unresolved] = _nearest_station(problem, unresolved)
    orphans, hosted = _orphans(problem)
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
        unresolved=tuple(problem.unit_ids[unresolved]),
        hosted_streets=hosted,
        notes=notes + _orphan_notes(problem, hosted, unresolved),
    )
    return _checked(_finish(problem, z, info, t0), best_effort)


def _heuristic(
    problem: ZoneProblem, groups: list[Sub], z: IntArray, *, k: int
) -> tuple[FloatArray, NDArray[np.bool_], tuple[str, ...]]:
    """Run the heuristic on each group alone, filling ``z``; return the LP bound of each
    group, whether the LP met every band of the group, and notes. Groups are solved one by
    one so that a street's zones depend on that street's data only: the same street gives
    the same zones whether it is solved with its city, its district (Dask) or alone."""
    bound = np.zeros(len(groups))
    met = np.ones(len(groups), dtype=bool)
    short: list[IntArray] = []
    for gi, g in enumerate(groups):
        zl, unit_bound, slack = solve_heuristic(g, k=k)
        z[g.units] = g.stations[zl]
        bound[gi] = float(unit_bound.sum())
        met[gi] = not (slack > 0).any()
        short.append(g.stations[slack > 0])
    stations = np.concatenate(short) if short else np.empty(0, dtype=np.intp)
    return bound, met, _lp_notes(problem, stations)


def _lp_notes(problem: ZoneProblem, stations: IntArray) -> tuple[str, ...]:
    if not stations.size:
        return ()
    ids = ", ".join(str(s) for s in problem.station_ids[np.sort(stations)][:20])
    return (f"the LP could not meet the band of stations: {ids} / 线性松弛无法满足驿站区间：{ids}",)


def _orphans(problem: ZoneProblem) -> tuple[IntArray, tuple[tuple[Any, Any], ...]]:
    """Units of streets with no station (none when zones may cross streets), and the pairs
    ``(orphan street, host street)`` of those hosted."""
    if problem.allow_cross_street:
        return np.empty(0, dtype=np.intp), ()
    orphans = np.flatnonzero(problem.unit_orphan)
    host = problem.unit_host[orphans]
    on = host >= 0
    n_codes = problem.street_names.size
    pairs = np.unique(problem.unit_street[orphans][on].astype(np.int64) * n_codes + host[on])
    names = problem.street_names
    return orphans, tuple((names[k // n_codes], names[k % n_codes]) for k in pairs)


def _orphan_notes(
    problem: ZoneProblem, hosted: tuple[tuple[Any, Any], ...], unresolved: IntArray
) -> tuple[str, ...]:
    """Bilingual notes naming the streets without a station: where they went, or that
    nothing could take them."""
    notes = []
    if hosted:
        joined = ", ".join(f"{a} → {b}" for a, b in hosted)
        notes.append(
            f"streets without a station joined an adjacent street: {joined}"
            f" / 无驿站街道并入相邻街道：{joined}"
        )
    if unresolved.size:
        streets = ", ".join(
            str(s) for s in problem.street_names[np.unique(problem.unit_street[unresolved])]
        )
        how = (
            ("refused", "按设置不并入其他街道")
            if problem.orphan_streets == "refuse"
            else ("no adjacent street has a station", "无相邻的有驿站街道")
        )
        notes.append(
            f"streets without a station have no station their units may join ({how[0]}):"
            f" {streets} / 无驿站街道的单元无可分配驿站（{how[1]}）：{streets}"
        )
    return tuple(notes)


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
    if best_effort or not (info.out_of_band or info.unresolved):
        return plan
    proven = set(info.proven_infeasible)
    raise BandInfeasibleError(
        stations=info.out_of_band,
        units=info.unresolved,
        proven=bool(info.out_of_band) and set(info.out_of_band) <= proven,
        plan=plan,
    )
