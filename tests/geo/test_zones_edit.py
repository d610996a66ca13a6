"""Hand edits: a move rebalances only the touched zones and their neighbours with the fewest
changes (checked by enumeration), edits are versioned and a stale one is refused."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bench.synthetic_zones import grid_problem, synthetic_city
from geo._errors import AnalysisError
from geo.zones import StalePlanError, ZonePlan, ZoneProblem, solve
from geo.zones.edit import lock_units, move_units, unlock_units
from layers._errors import PreconditionFailedError
from tests.geo.test_zones_solve import _connected_masks


@pytest.fixture(scope="module")
def city_plan() -> ZonePlan:
    units, stations = synthetic_city(900, 90, n_streets=3, seed=8)
    return solve(ZoneProblem.from_geodataframes(units, stations, unit_id="block_id"))


def _neighbour_zones(plan: ZonePlan, zones: set[int]) -> set[int]:
    ea, eb = plan.problem.edges
    z = plan.assignment
    out = set(zones)
    for a, b in ((ea, eb), (eb, ea)):
        hit = np.isin(z[a], list(zones))
        out |= set(z[b][hit].tolist())
    return out


def test_move_changes_only_neighbouring_zones(city_plan: ZonePlan) -> None:
    plan = city_plan
    p, z = plan.problem, plan.assignment
    ea, eb = p.edges
    same_street = p.unit_street[ea] == p.unit_street[eb]
    boundary = np.flatnonzero((z[ea] != z[eb]) & same_street & (p.seed[z[ea]] != ea))
    unit, target = ea[boundary[3]], z[eb[boundary[3]]]
    new = move_units(plan, {p.unit_ids[unit]: p.station_ids[target]}, based_on=plan.version)
    assert new.version == plan.version + 1
    assert new.station_of(p.unit_ids[unit]) == p.station_ids[target]
    assert new.locks[unit] == target
    changed = np.flatnonzero(new.assignment != z)
    allowed = _neighbour_zones(plan, {int(z[unit]), int(target)})
    assert set(z[changed].tolist()) <= allowed
    assert set(new.assignment[changed].tolist()) <= allowed
    assert new.info is not None
    assert set(new.info.changed) == set(p.unit_ids[changed])
    report = new.validate()
    assert report.ok, report.to_dict()
    # the original plan is untouched, and editing it again is now stale
    assert plan.assignment[unit] != target


def test_stale_edit_is_refused(city_plan: ZonePlan) -> None:
    plan = city_plan
    unit = plan.problem.unit_ids[5]
    newer = lock_units(plan, [unit], based_on=plan.version)
    with pytest.raises(StalePlanError) as info:
        move_units(newer, {unit: plan.problem.station_ids[0]}, based_on=plan.version)
    assert isinstance(info.value, PreconditionFailedError)
    assert info.value.current == newer.version and info.value.based_on == plan.version


def test_lock_and_unlock(city_plan: ZonePlan) -> None:
    plan = city_plan
    units = list(plan.problem.unit_ids[[1, 2]])
    locked = lock_units(plan, units, based_on=plan.version)
    assert locked.version == plan.version + 1
    assert np.array_equal(locked.assignment, plan.assignment)
    assert (locked.locks[[1, 2]] == plan.assignment[[1, 2]]).all()
    free = unlock_units(locked, units[:1], based_on=locked.version)
    assert free.version == plan.version + 2
    assert free.locks[1] == -1 and free.locks[2] == plan.assignment[2]
    with pytest.raises(AnalysisError, match="unknown"):
        lock_units(plan, ["nope"], based_on=plan.version)


def _fewest_changes(plan: ZonePlan, unit: int, target: int) -> tuple[int, float]:
    """Enumerate every plan with ``unit`` at ``target`` that keeps bands, homes and
    contiguity: the fewest changes from ``plan`` (the move itself not counted), then the
    least cost among those."""
    p = plan.problem
    n, m = p.n_units, p.n_stations
    connected = _connected_masks(p.adjacency.toarray())
    zs = np.array(list(itertools.product(range(m), repeat=n)))
    ok = zs[:, unit] == target
    for j in range(m):
        inside = zs == j
        load = inside @ p.workload
        ok &= (load >= p.lower[j] - 1e-9) & (load <= p.upper[j] + 1e-9) & inside[:, p.home[j]]
        ok &= connected[inside @ (1 << np.arange(n))]
    zs = zs[ok]
    changes = (zs != plan.assignment).sum(axis=1) - 1
    fewest = zs[changes == changes.min()]
    d = np.array([[p.objective([i], [j])[0] for j in range(m)] for i in range(n)])
    return int(changes.min()), float(d[np.arange(n), fewest].sum(axis=1).min())


@pytest.mark.parametrize("unit", [2, 6, 9, 10])
def test_fewest_changes_against_enumeration(unit: int) -> None:
    rng = np.random.default_rng(4)
    w = rng.integers(5, 25, size=12).astype(float)
    problem = grid_problem(4, 3, homes=[0, 11], workload=w, capacity=[w.sum() / 2] * 2, band=0.25)
    plan = solve(problem, method="exact")
    target = 1 - int(plan.assignment[unit])
    fewest, cost = _fewest_changes(plan, unit, target)
    new = move_units(plan, {f"U{unit}": f"S{target}"}, based_on=1, rings=2)
    assert int((new.assignment != plan.assignment).sum()) - 1 == fewest
    assert new.cost == pytest.approx(cost, rel=1e-9)
    assert new.validate().ok


def test_move_without_lock(city_plan: ZonePlan) -> None:
    plan = city_plan
    p, z = plan.problem, plan.assignment
    ea, eb = p.edges
    same_street = p.unit_street[ea] == p.unit_street[eb]
    c = np.flatnonzero((z[ea] != z[eb]) & same_street & (p.seed[z[ea]] != ea))[0]
    new = move_units(plan, {p.unit_ids[ea[c]]: p.station_ids[z[eb[c]]]}, based_on=1, lock=False)
    assert new.locks[ea[c]] == -1
    assert new.assignment[ea[c]] == z[eb[c]]


def test_move_that_cannot_keep_the_band_says_so() -> None:
    problem = grid_problem(
        4, 3, homes=[0, 3], workload=np.full(12, 10.0), capacity=[60, 60], band=0.0
    )
    plan = solve(problem, method="exact")
    right = [f"U{i}" for i in range(12) if plan.assignment[i] == 1]
    locked = lock_units(plan, right, based_on=1)
    left_boundary = next(
        f"U{i}" for i in range(12) if plan.assignment[i] == 0 and plan.assignment[i + 1] == 1
    )
    moved = move_units(locked, {left_boundary: "S1"}, based_on=2)
    assert moved.info is not None
    assert any("band" in note for note in moved.info.notes)
    assert moved.validate().overloaded == ["S1"]
    assert moved.validate().broken_locks == []
