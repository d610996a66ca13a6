"""Responsibility zones (责任片区) partitioned by district, one Dask task per district.

:func:`solve_zones_by_district` cuts a :class:`~geo.zones.ZoneProblem` into one sub-problem
per district, solves each with :func:`geo.zones.solve` as a task (in this process, on a
local cluster or on a scheduler, see :mod:`geo.distributed.cluster`) and merges the answers
into one :class:`~geo.zones.ZonePlan` of the whole problem.

What goes where. Streets nest in districts: every street goes whole to the district of most
of its units (ties: the smallest label), with its stations and units; a locked unit goes
with the station it is locked to. Zones never cross a district boundary here. When the
problem allows zones to cross streets, units go by their own district (stations by their
home unit's) and crossing stays inside a district, whereas a single-process solve of the
whole problem may cross district boundaries too. A street without a station is hosted by
an adjacent street of its own district (a single-process solve may pick a street across
the boundary). A task gets only its district's piece: the rows and columns of the cost
matrix, the adjacency among its units, its workloads, bands, streets, homes, locks and
coordinates (no geometries); it sends back the assignment and the
:class:`~geo.zones.SolveInfo`.

Equality with a single-process run. :func:`geo.zones.solve` splits a problem into street
groups and solves small groups exactly, one at a time, but runs its heuristic (LP, rounding
of split units, contiguity repair, local search) on all groups at once. The rounding MILP
(one model, a relative gap over the whole objective) and the local search's round limits
then span every street of the problem, so a district's answer can depend on the other
districts' streets: on most inputs the merged plan equals ``solve(problem)`` unit for unit,
on some (tight bands, crowded stations) a few units of a street differ and the cost
differs by a few parts in 100,000 either way. Running the heuristic one group at a time in
``solve`` makes the whole solve decompose by street, and the partitioned solve then equals
it exactly. Pairs missing from the cost matrix are estimated from the unit's row as the
task sees it (its district's stations); with straight-line k-nearest costs (the default)
or a finite cutoff the estimates are those of the whole problem, with walking k-nearest
costs and no cutoff they can differ when a unit's farthest known station lies in another
district. Summed bounds agree with the whole solve's to rounding. The partitioned solve is
the same wherever it runs (in this process, a local cluster or a remote scheduler).
"""

from __future__ import annotations

import time
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from geo._errors import AnalysisError
from geo.costs import CostMatrix
from geo.distributed._zone_tasks import ZonePart, merge, run_parts
from geo.distributed.cluster import Scheduler, dask_client
from geo.zones import ZonePlan, ZoneProblem

__all__ = ["ZonePart", "problem_districts", "solve_zones_by_district", "zone_parts"]

IntArray = NDArray[np.intp]
#: the ZoneProblem fields :func:`_slice` cuts to a district
_CUT = frozenset(
    [
        "costs",
        "workload",
        "capacity",
        "lower",
        "upper",
        "adjacency",
        "unit_street",
        "station_street",
        "street_names",
        "home",
        "seed",
        "locks",
        "unit_xy",
        "station_xy",
        "unit_geometry",
        "station_geometry",
    ]
)


def problem_districts(problem: ZoneProblem) -> NDArray[np.object_]:
    """The 6-digit district code of every unit: the prefix of its 12-digit unit id
    (community code), else of its 9-digit street code.

    Raises
    ------
    AnalysisError
        When neither the unit ids nor the street labels are division codes.
    """
    for labels, digits in (
        (problem.unit_ids, 12),
        (problem.street_names[problem.unit_street], 9),
    ):
        text = pd.Series(np.asarray(labels, dtype=object)).astype(str)
        if len(text) and bool((text.str.len().eq(digits) & text.str.isdigit()).all()):
            return text.str[:6].to_numpy(dtype=object)
    msg = (
        "units carry no community or street codes to find their district: give a district "
        "label per unit / 单元没有可识别区县的社区或街道代码，请给出每个单元的区县"
    )
    raise AnalysisError(msg)


def _majority(group: IntArray, label: IntArray, n_groups: int) -> IntArray:
    """The most frequent label of every group (ties: the smallest label; -1 if empty)."""
    n_labels = int(label.max()) + 1 if label.size else 1
    key, count = np.unique(group.astype(np.int64) * n_labels + label, return_counts=True)
    g, lab = key // n_labels, key % n_labels
    order = np.lexsort((lab, -count, g))
    first = np.unique(g[order], return_index=True)[1]
    out = np.full(n_groups, -1, dtype=np.intp)
    out[g[order][first]] = lab[order][first]
    return out


def _owners(problem: ZoneProblem, own: IntArray) -> tuple[IntArray, IntArray]:
    """The partition (district code) of every unit and station (see the module docstring)."""
    p = problem
    if p.allow_cross_street:
        unit_part, station_part = own.copy(), own[p.home]
    else:
        street_part = _majority(p.unit_street, own, p.street_names.size)
        unit_part, station_part = street_part[p.unit_street], street_part[p.station_street]
    locked = p.locks >= 0
    unit_part[locked] = station_part[p.locks[locked]]
    return unit_part, station_part


def _moved_note(problem: ZoneProblem, own: IntArray, part: IntArray) -> str:
    moved = np.flatnonzero(own != part)
    shown = ", ".join(str(u) for u in problem.unit_ids[moved][:20])
    more = f" (+{moved.size - 20} more)" if moved.size > 20 else ""
    return (
        f"units solved with the district of their street or locked station, not their own: "
        f"{shown}{more} / 以下单元随其街道或锁定驿站归入其他区县求解：{shown}{more}"
    )


def _slice(problem: ZoneProblem, units: IntArray, stations: IntArray) -> ZoneProblem:
    """The sub-problem on ``units`` and ``stations`` (global positions, ascending): every
    per-unit and per-station field cut to them, street codes renumbered in order, the
    matrix and adjacency restricted, geometries dropped."""
    p = problem
    uloc = np.full(p.n_units, -1, dtype=np.intp)
    uloc[units] = np.arange(units.size)
    sloc = np.full(p.n_stations, -1, dtype=np.intp)
    sloc[stations] = np.arange(stations.size)
    matrix = sp.csr_array(p.costs.matrix[units][:, stations])
    matrix.sort_indices()
    costs = CostMatrix(
        matrix, p.unit_ids[units], p.station_ids[stations], p.costs.cutoff_m, p.costs.mode
    )
    both = np.concatenate([p.unit_street[units], p.station_street[stations]])
    used, code = np.unique(both, return_inverse=True)
    lock, seed = p.locks[units], p.seed[stations]
    home = uloc[p.home[stations]]
    if (home < 0).any():
        bad = ", ".join(str(s) for s in p.station_ids[stations[home < 0]][:20])
        msg = (
            f"stations whose own unit is locked to a station of another district: {bad} / "
            f"驿站所在单元被锁定到其他区县的驿站：{bad}"
        )
        raise AnalysisError(msg)
    sub = replace(
        p,
        costs=costs,
        workload=p.workload[units],
        capacity=p.capacity[stations],
        lower=p.lower[stations],
        upper=p.upper[stations],
        adjacency=sp.csr_array(p.adjacency[units][:, units]),
        unit_street=code[: units.size].astype(np.intp),
        station_street=code[units.size :].astype(np.intp),
        street_names=p.street_names[used],
        home=home,
        seed=np.where(seed >= 0, uloc[np.maximum(seed, 0)], -1).astype(np.intp),
        locks=np.where(lock >= 0, sloc[np.maximum(lock, 0)], -1).astype(np.intp),
        unit_xy=None if p.unit_xy is None else p.unit_xy[units],
        station_xy=None if p.station_xy is None else p.station_xy[stations],
        unit_geometry=None,
        station_geometry=None,
    )
    _check_cut(p, sub)
    return sub


def _check_cut(whole: ZoneProblem, sub: ZoneProblem) -> None:
    """Refuse a per-unit or per-station array field that :func:`_slice` does not know (it
    would reach the task whole)."""
    sizes = {whole.n_units, whole.n_stations} - {sub.n_units, sub.n_stations}
    for f in fields(sub):
        if f.name in _CUT:
            continue
        value = getattr(sub, f.name)
        if isinstance(value, np.ndarray) and value.ndim and value.shape[0] in sizes:
            msg = f"cannot cut ZoneProblem.{f.name} by district / 无法按区县切分 {f.name}"
            raise AnalysisError(msg)


def zone_parts(
    problem: ZoneProblem,
    districts: ArrayLike | None = None,
    *,
    best_effort: bool = False,
    **solve_options: Any,
) -> tuple[list[ZonePart], tuple[str, ...]]:
    """One :class:`ZonePart` per district, largest first, and notes on the split.

    Parameters
    ----------
    problem
        The whole zoning problem.
    districts
        (n,) district label of every unit (default: :func:`problem_districts`).
    best_effort, solve_options
        Passed to :func:`geo.zones.solve` in every task.

    Raises
    ------
    AnalysisError
        A label array of the wrong length or with missing labels, a district whose units
        have no station, or a station whose own unit is locked to another district.
    """
    raw = problem_districts(problem) if districts is None else np.asarray(districts, object)
    labels = pd.Series(raw.reshape(-1))
    if labels.size != problem.n_units or labels.isna().any():
        msg = (
            f"districts must give {problem.n_units} labels, none missing / "
            f"区县须给出 {problem.n_units} 个标签，不得缺失"
        )
        raise AnalysisError(msg)
    code, names = pd.factorize(labels.astype(str), sort=True)
    own = code.astype(np.intp)
    unit_part, station_part = _owners(problem, own)
    notes = (_moved_note(problem, own, unit_part),) if (unit_part != own).any() else ()
    empty = np.setdiff1d(np.unique(unit_part), station_part)
    if empty.size:
        bad = ", ".join(str(names[d]) for d in empty)
        msg = (
            f"districts with units but no station: {bad}; merge them with a neighbouring "
            f"district's label / 以下区县有单元但没有驿站：{bad}，请与相邻区县合并"
        )
        raise AnalysisError(msg)
    options = tuple(sorted(solve_options.items()))
    parts = []
    for d in np.unique(station_part):
        units, stations = np.flatnonzero(unit_part == d), np.flatnonzero(station_part == d)
        sub = _slice(problem, units, stations)
        parts.append(ZonePart(str(names[d]), units, stations, sub, best_effort, options))
    return sorted(parts, key=lambda part: (-part.units.size, part.district)), notes


def solve_zones_by_district(
    problem: ZoneProblem,
    districts: ArrayLike | None = None,
    *,
    scheduler: Scheduler = "local",
    n_workers: int = 2,
    timeout_s: float = 10.0,
    best_effort: bool = False,
    **solve_options: Any,
) -> ZonePlan:
    """:func:`geo.zones.solve` partitioned by district, one Dask task per district.

    Parameters
    ----------
    problem
        The whole zoning problem.
    districts
        (n,) district label of every unit, e.g. :func:`geo.distributed.district_keys` of the
        unit frame (default: :func:`problem_districts`, from community or street codes).
        Streets go whole to the district of most of their units.
    scheduler
        ``None`` (in this process, one district after another), ``"local"`` (a local
        cluster of ``n_workers`` processes, closed after the run), a scheduler address
        (``"tcp://host:8786"``) or a ``distributed.Client``; see
        :mod:`geo.distributed.cluster`.
    n_workers, timeout_s
        Workers of a local cluster; seconds to try to reach a scheduler address.
    best_effort, solve_options
        As :func:`geo.zones.solve` (``method``, ``k``, ``exact_max_units``, ...), applied
        to every district.

    Returns
    -------
    ZonePlan
        A plan of the whole problem (version 1). Its :class:`~geo.zones.SolveInfo` sums the
        districts' bounds and group counts, unions their id lists (out of band, proven
        infeasible, fragmented, orphans...), concatenates their notes; ``cost`` is the
        merged plan's and ``seconds`` the wall time of the whole call.

    Raises
    ------
    geo.zones.BandInfeasibleError
        Unless ``best_effort``: as :func:`geo.zones.solve`, for every district together,
        with the merged best-effort plan attached.
    geo._errors.SchedulerError
        An unknown scheduler or an address that cannot be reached.
    AnalysisError
        Bad district labels, or a district with units but no station.
    """
    t0 = time.perf_counter()
    parts, notes = zone_parts(problem, districts, best_effort=best_effort, **solve_options)
    with dask_client(scheduler, n_workers=n_workers, timeout_s=timeout_s) as client:
        results = run_parts(parts, client)
    return merge(problem, parts, results, notes=notes, seconds=time.perf_counter() - t0)
