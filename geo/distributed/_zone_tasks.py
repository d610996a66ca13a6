"""Tasks of the partitioned zone solve: a district's input, its solve on a worker, and the
merge of the districts' answers into one plan (see :mod:`geo.distributed.zones`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from geo.distributed.cluster import run_tasks
from geo.zones import BandInfeasibleError, SolveInfo, ZonePlan, ZoneProblem, solve

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ZonePart", "merge", "run_parts"]

IntArray = NDArray[np.intp]
#: SolveInfo fields holding station ids / unit ids (merged in the whole problem's order)
_STATION_FIELDS = ("out_of_band", "proven_infeasible", "fragmented")
_UNIT_FIELDS = ("orphans", "unresolved", "changed")


@dataclass(frozen=True)
class ZonePart:
    """One district's sub-problem (a task's whole input).

    Attributes
    ----------
    district
        The district label.
    units, stations
        Positions of its units and stations in the whole problem, ascending.
    problem
        The sub-problem on those units and stations.
    best_effort, options
        Passed to :func:`geo.zones.solve`.
    """

    district: str
    units: IntArray
    stations: IntArray
    problem: ZoneProblem
    best_effort: bool
    options: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class _Solved:
    """A task's answer: local station per unit, how it was solved, and (when the band could
    not be met and no best effort was asked) the error's stations, units and proof."""

    assignment: IntArray
    info: SolveInfo
    failed: tuple[tuple[Any, ...], tuple[Any, ...], bool] | None


def _solve_part(part: ZonePart) -> _Solved:
    """One task: solve the district's sub-problem (a failed band comes back as data)."""
    try:
        plan = solve(part.problem, best_effort=part.best_effort, **dict(part.options))
    except BandInfeasibleError as err:
        if err.plan is None or err.plan.info is None:
            raise
        failed = (tuple(err.stations), tuple(err.units), bool(err.proven))
        return _Solved(err.plan.assignment, err.plan.info, failed)
    assert plan.info is not None
    return _Solved(plan.assignment, plan.info, None)


def run_parts(parts: Sequence[ZonePart], client: Client | None) -> list[_Solved]:
    """Solve every part (on the cluster when ``client`` is given), in order."""
    return run_tasks(_solve_part, parts, client=client)


def _merge_field(name: str, values: list[Any], problem: ZoneProblem) -> Any:
    """One SolveInfo field of the merged plan, from the parts' values."""
    first = values[0]
    if name in _STATION_FIELDS or name in _UNIT_FIELDS:
        flat = [v for vs in values for v in vs]
        station = name in _STATION_FIELDS
        index = problem.station_index if station else problem.unit_index
        pos = np.unique(index(flat)) if flat else np.empty(0, dtype=np.intp)
        return tuple((problem.station_ids if station else problem.unit_ids)[pos[pos >= 0]])
    if isinstance(first, tuple):
        merged = tuple(dict.fromkeys(v for vs in values for v in vs))
        if name == "notes":
            return merged
        try:
            return tuple(sorted(merged))
        except TypeError:
            return merged
    if isinstance(first, bool) or not isinstance(first, int | float):
        return first
    return type(first)(sum(values))


def _drop_lock_orphans(problem: ZoneProblem, merged: dict[str, Any]) -> None:
    """Keep only true orphans: a unit locked to a station of another district is alone with
    its street in its sub-problem, which reports it as an orphan (its street as hosted)."""
    has = np.zeros(problem.street_names.size, dtype=bool)
    has[problem.station_street] = True
    units = set(problem.unit_ids[~has[problem.unit_street]].tolist())
    streets = set(problem.street_names[~has].tolist())
    merged["orphans"] = tuple(u for u in merged["orphans"] if u in units)
    if "hosted_streets" in merged:
        merged["hosted_streets"] = tuple(h for h in merged["hosted_streets"] if h[0] in streets)


def _merged_info(
    problem: ZoneProblem, plan: ZonePlan, infos: Sequence[SolveInfo], notes: tuple[str, ...]
) -> SolveInfo:
    """The parts' infos as one: bounds and counts summed, id lists unioned (in the whole
    problem's order), notes concatenated; the cost of the merged plan."""
    merged = {
        f.name: _merge_field(f.name, [getattr(i, f.name) for i in infos], problem)
        for f in fields(SolveInfo)
    }
    _drop_lock_orphans(problem, merged)
    groups, exact = merged["groups"], merged["exact_groups"]
    merged["method"] = (
        "exact" if exact == groups and groups else ("mixed" if exact else "heuristic")
    )
    merged["cost"] = plan.cost
    merged["notes"] = merged["notes"] + notes
    return SolveInfo(**merged)


def merge(
    problem: ZoneProblem,
    parts: Sequence[ZonePart],
    results: Sequence[_Solved],
    *,
    notes: tuple[str, ...],
    seconds: float,
) -> ZonePlan:
    """The whole problem's plan from the parts' answers (raises the union of their band
    errors, with the merged plan attached)."""
    z = np.full(problem.n_units, -1, dtype=np.intp)
    for part, res in zip(parts, results, strict=True):
        on = res.assignment >= 0
        z[part.units[on]] = part.stations[res.assignment[on]]
    plan = ZonePlan(problem, z, problem.locks.copy(), 1)
    info = _merged_info(problem, plan, [r.info for r in results], notes)
    plan = replace(plan, info=replace(info, seconds=seconds))
    failed = [r.failed for r in results if r.failed is not None]
    if not failed:
        return plan
    stations = _merge_field("out_of_band", [f[0] for f in failed], problem)
    units = _merge_field("unresolved", [f[1] for f in failed], problem)
    proven = bool(stations) and all(f[2] for f in failed if f[0])
    raise BandInfeasibleError(stations=stations, units=units, proven=proven, plan=plan)
