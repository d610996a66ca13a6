"""Hand edits of a zone plan: move units to another station, lock or unlock them.

Every edit names the plan version it was based on; an edit based on any other version is
refused with :class:`~geo.zones._errors.StalePlanError` (HTTP 412), never merged. A move
rebalances only the zones it touches and their neighbours (``rings`` layers of them): an
exact MILP over those zones' units, each unit choosing among its zone and the zones within two
steps, that keeps every band and zone contiguity and makes the **fewest changes** to the
plan, then the shortest walks. Zones further away never change. When the region cannot meet
every band, band violation is minimised first (it outweighs any number of changes).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Mapping

import numpy as np
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.zones._arrays import sums
from geo.zones._local import near_pairs, ring_zones
from geo.zones._milp import solve_exact
from geo.zones._repair import main_component, viol, zone_labels
from geo.zones._sub import Sub, subset
from geo.zones.plan import SolveInfo, ZonePlan

__all__ = ["lock_units", "move_units", "unlock_units"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]
_EPS = 1e-9


def _units(plan: ZonePlan, ids: Iterable[Hashable]) -> IntArray:
    wanted = list(ids)
    idx = plan.problem.unit_index(np.asarray(wanted, dtype=object))
    if (idx < 0).any():
        bad = ", ".join(str(u) for u, i in zip(wanted, idx, strict=True) if i < 0)
        raise AnalysisError(f"unknown units: {bad} / 未知单元：{bad}")
    return idx.astype(np.intp)


def lock_units(plan: ZonePlan, unit_ids: Iterable[Hashable], *, based_on: int) -> ZonePlan:
    """Lock units at their current station (the next version; nothing moves)."""
    plan.check_version(based_on)
    ui = _units(plan, unit_ids)
    if (plan.assignment[ui] < 0).any():
        raise AnalysisError("cannot lock unassigned units / 未分配的单元无法锁定")
    locks = plan.locks.copy()
    locks[ui] = plan.assignment[ui]
    return plan.revised(plan.assignment.copy(), locks, _info(plan, plan.assignment, "lock", 0.0))


def unlock_units(plan: ZonePlan, unit_ids: Iterable[Hashable], *, based_on: int) -> ZonePlan:
    """Release locks (the next version; nothing moves until the next solve or move)."""
    plan.check_version(based_on)
    locks = plan.locks.copy()
    locks[_units(plan, unit_ids)] = -1
    return plan.revised(plan.assignment.copy(), locks, _info(plan, plan.assignment, "unlock", 0.0))


def move_units(
    plan: ZonePlan,
    moves: Mapping[Hashable, Hashable],
    *,
    based_on: int,
    lock: bool = True,
    rings: int = 1,
    max_nodes: int = 20_000,
) -> ZonePlan:
    """Move units to stations and rebalance locally (see the module docstring).

    Parameters
    ----------
    plan
        The current plan.
    moves
        ``{unit_id: station_id}``.
    based_on
        The version of ``plan`` the edit was made on; any other raises
        :class:`~geo.zones._errors.StalePlanError`.
    lock
        Lock the moved units at their new station (default); otherwise they are held there
        only for this rebalance.
    rings
        Layers of neighbouring zones that may change with the touched ones.
    max_nodes
        Branch-and-bound node limit of the rebalance.

    Returns
    -------
    ZonePlan
        The next version; ``info.changed`` lists every unit whose station changed and
        ``info.notes`` says when the region could not meet every band or stay contiguous.

    Notes
    -----
    A move to a station of another street is honoured (it is the editor's choice) and shows
    as a crossing in the validation report.
    """
    t0 = time.perf_counter()
    plan.check_version(based_on)
    p = plan.problem
    ui = _units(plan, moves.keys())
    sj = p.station_index(np.asarray(list(moves.values()), dtype=object)).astype(np.intp)
    if (sj < 0).any():
        raise AnalysisError("unknown stations in the edit / 编辑中含未知驿站")
    held = plan.locks.copy()
    held[ui] = sj
    z0 = plan.assignment.copy()
    touched = np.unique(np.concatenate([z0[ui][z0[ui] >= 0], sj]))
    z0[ui] = sj
    zones = ring_zones(p.edges, z0, touched, rings)
    units = np.flatnonzero(np.isin(z0, zones))
    region = subset(p.with_locks(held), units, zones)
    z = _rebalance(region, z0, max_nodes)
    locks = held.copy() if lock else plan.locks.copy()
    if not lock:
        locks[ui] = -1
    out = z0 if z is None else z
    notes = _region_notes(region, out, failed=z is None)
    info = _info(plan, out, "edit", time.perf_counter() - t0, notes=notes)
    return plan.revised(out, locks, info)


def _region_notes(region: Sub, z: IntArray, *, failed: bool) -> tuple[str, ...]:
    """What the rebalance could not achieve in its region."""
    notes = []
    if failed:
        notes.append("rebalance failed; only the moves were applied / 重新平衡失败，仅执行移动")
    zl = np.searchsorted(region.stations, z[region.units])
    load = sums(zl, region.w, region.m)
    if (viol(load, region.lower, region.upper) > _EPS * max(1.0, float(load.sum()))).any():
        notes.append(
            "some zones of the region are outside their band / 区域内部分片区超出工作量区间"
        )
    labels = zone_labels(zl, region.ea, region.eb)
    if not main_component(zl, labels, region.seed, region.w, region.m).all():
        notes.append("some zones of the region are not contiguous / 区域内部分片区不连通")
    return tuple(notes)


def _rebalance(region: Sub, z0: IntArray, max_nodes: int) -> IntArray | None:
    """The region's fewest-change, band-keeping, contiguous reassignment (global ``z``)."""
    zl = np.searchsorted(region.stations, z0[region.units])
    pi, pj = near_pairs(region, zl)
    walk = region.cost(pi, pj)
    scale = float(sums(pi, walk, region.n).sum()) + 1.0
    coef = np.zeros((region.n, region.m))
    coef[pi, pj] = walk / scale + (pj != zl[pi])
    out = solve_exact(region, coef=coef, pairs=(pi, pj), start=zl, max_nodes=max_nodes)
    if out.status == "infeasible":
        wmin = float(region.w[region.w > 0].min(initial=1.0))
        out = solve_exact(
            region,
            coef=coef,
            pairs=(pi, pj),
            start=zl,
            soft=True,
            penalty=(region.n + 1) / wmin,
            max_nodes=max_nodes,
        )
    if out.z is None:
        return None
    z = z0.copy()
    z[region.units] = region.stations[out.z]
    return z


def _info(
    plan: ZonePlan, z: IntArray, method: str, seconds: float, *, notes: tuple[str, ...] = ()
) -> SolveInfo:
    p = plan.problem
    on = z >= 0
    load = sums(z[on], p.workload[on], p.n_stations)
    out = viol(load, p.lower, p.upper) > _EPS * max(1.0, float(load.sum()))
    changed = np.flatnonzero(z != plan.assignment)
    cost = float(p.objective(np.flatnonzero(on), z[on]).sum())
    return SolveInfo(
        method=method,
        cost=cost,
        lp_bound=float("nan"),
        bound=float("nan"),
        seconds=seconds,
        out_of_band=tuple(p.station_ids[out]),
        changed=tuple(p.unit_ids[changed]),
        notes=notes,
    )
