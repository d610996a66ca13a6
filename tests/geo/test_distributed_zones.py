"""Responsibility zones partitioned by district (geo.distributed.zones): the merged plan
equals the single-process solve of the whole problem, a Dask local cluster gives the same
plan as the in-process run, tasks get only their district's piece, zones never cross a
district, and bad labels, empty districts, unmet bands and bad schedulers fail clearly."""

from __future__ import annotations

import pickle
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import geopandas as gpd
import numpy as np
import pytest

from bench.synthetic_zones import synthetic_province
from geo import AnalysisError
from geo._errors import SchedulerError
from geo.distributed import (
    dask_client,
    problem_districts,
    solve_zones_by_district,
    zone_parts,
)
from geo.zones import BandInfeasibleError, ZonePlan, ZoneProblem, solve

LAYOUT = 2  # 2 x 2 districts
BLOCKS, STATIONS = 144, 12  # per district: 4 streets of 36 blocks, 3 stations each


def _province(*, slack: float = 0.05) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """2 x 2 synthetic cities side by side (blocks touch across district borders)."""
    return synthetic_province(LAYOUT * LAYOUT, BLOCKS, STATIONS, n_streets=4, slack=slack, seed=10)


def _problem(**options: Any) -> ZoneProblem:
    units, stations = _province(slack=options.pop("slack", 0.05))
    return ZoneProblem.from_geodataframes(units, stations, **options)


@pytest.fixture(scope="module")
def problem() -> ZoneProblem:
    return _problem()


@pytest.fixture(scope="module")
def in_process(problem: ZoneProblem) -> ZonePlan:
    return solve_zones_by_district(problem, scheduler=None)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One local cluster (2 worker processes) for the module, via the ``"local"`` path."""
    with dask_client("local", n_workers=2) as c:
        assert c is not None
        yield c
        assert len(c.scheduler_info()["workers"]) == 2
    assert c.status == "closed"


def _assert_same(a: ZonePlan, b: ZonePlan, *, bounds_rtol: float = 0.0) -> None:
    """Same assignment and the same SolveInfo (but the time; bounds summed in another
    order may differ by rounding)."""
    np.testing.assert_array_equal(a.assignment, b.assignment)
    assert a.info is not None and b.info is not None
    for f in fields(a.info):
        x, y = getattr(a.info, f.name), getattr(b.info, f.name)
        if f.name in ("seconds", "notes"):
            continue
        if f.name in ("lp_bound", "bound"):
            assert x == pytest.approx(y, rel=bounds_rtol, abs=0), f.name
        else:
            assert x == y, f.name


def _district_of_station(plan: ZonePlan) -> np.ndarray:
    p = plan.problem
    return np.asarray(problem_districts(p))[p.home][plan.assignment]


def test_in_process_equals_single_process_solve(problem: ZoneProblem, in_process: ZonePlan) -> None:
    whole = solve(problem)
    _assert_same(in_process, whole, bounds_rtol=1e-12)
    assert in_process.cost == whole.cost and in_process.info is not None
    assert in_process.info.groups == problem.street_names.size == 4 * LAYOUT * LAYOUT
    assert in_process.info.method == "heuristic"
    assert in_process.validate().ok
    # zones never cross a district: every unit's station is in the unit's district
    np.testing.assert_array_equal(_district_of_station(in_process), problem_districts(problem))


def test_tight_random_province_by_district_equals_the_whole_solve() -> None:
    # random stations and capacities with no slack: the plans of streets that do not all
    # meet their bands, where a whole-province heuristic would have let streets interact
    # (with one heuristic over all streets, 11 blocks of this province came out differently)
    units, stations = synthetic_province(
        LAYOUT * LAYOUT, 600, 60, n_streets=2, placement="random", slack=0.0, seed=0
    )
    problem = ZoneProblem.from_geodataframes(units, stations, unit_id="code")
    whole = solve(problem, best_effort=True)
    parts = solve_zones_by_district(problem, scheduler=None, best_effort=True)
    np.testing.assert_array_equal(parts.assignment, whole.assignment)
    assert parts.cost == pytest.approx(whole.cost, rel=1e-12)


def test_local_cluster_identical_to_in_process(
    problem: ZoneProblem, in_process: ZonePlan, client: Any
) -> None:
    on_cluster = solve_zones_by_district(problem, scheduler=client)
    _assert_same(on_cluster, in_process)
    assert on_cluster.cost == in_process.cost and on_cluster.problem is problem


def test_exact_method_on_cluster_identical(problem: ZoneProblem, client: Any) -> None:
    options: dict[str, Any] = {"exact_max_units": 40, "max_nodes": 500}
    here = solve_zones_by_district(problem, scheduler=None, **options)
    there = solve_zones_by_district(problem, scheduler=client, **options)
    _assert_same(here, there)
    assert here.info is not None and here.info.exact_groups > 0


def test_tasks_get_only_their_district(problem: ZoneProblem) -> None:
    parts, notes = zone_parts(problem)
    assert notes == () and len(parts) == LAYOUT * LAYOUT
    districts = problem_districts(problem)
    whole_kb = len(pickle.dumps(problem)) / 1e3
    seen = np.zeros(problem.n_units, dtype=int)
    for part in parts:
        sub = part.problem
        seen[part.units] += 1
        assert set(districts[part.units]) == {part.district}
        np.testing.assert_array_equal(sub.unit_ids, problem.unit_ids[part.units])
        np.testing.assert_array_equal(sub.station_ids, problem.station_ids[part.stations])
        assert sub.costs.shape == (part.units.size, part.stations.size)
        assert sub.unit_geometry is None and sub.station_geometry is None
        assert {str(s)[:6] for s in sub.street_names} == {part.district}
        # a quarter of the problem and no geometries: well under half its pickled size
        assert len(pickle.dumps(part)) / 1e3 < whole_kb / 2
    np.testing.assert_array_equal(seen, 1)


def test_a_per_unit_field_the_cut_does_not_know_is_refused(problem: ZoneProblem) -> None:
    @dataclass(frozen=True, eq=False)
    class WithExtra(ZoneProblem):
        unit_extra: np.ndarray | None = None

    known = {f.name: getattr(problem, f.name) for f in fields(problem)}
    extra = WithExtra(**known, unit_extra=np.zeros(problem.n_units))
    with pytest.raises(AnalysisError, match="unit_extra"):
        zone_parts(extra)


def test_explicit_labels_locks_and_a_street_across_districts() -> None:
    units, stations = _province()
    labels = units["street_code"].str[:6].to_numpy(dtype=object)
    labels[0] = "110104"  # one block mislabelled: its street keeps it in 110101
    locked = str(units["code"][len(units) // 4 + 5])  # a block of 110102 ...
    p = ZoneProblem.from_geodataframes(units, stations, locks={locked: "S0100000"})  # ... to 110101
    plan = solve_zones_by_district(p, labels, scheduler=None, best_effort=True)
    parts, notes = zone_parts(p, labels)
    first = next(part for part in parts if part.district == "110101")
    assert {0, p.unit_index([locked])[0]} <= set(first.units.tolist())
    assert len(notes) == 1 and str(p.unit_ids[0]) in notes[0] and locked in notes[0]
    assert plan.info is not None and notes[0] in plan.info.notes
    assert plan.station_of(locked) == "S0100000"
    _assert_same(plan, solve(p, best_effort=True), bounds_rtol=1e-12)


def test_crossing_streets_stays_inside_districts() -> None:
    p = _problem(allow_cross_street=True, cross_penalty_m=50.0)
    plan = solve_zones_by_district(p, scheduler=None, best_effort=True)
    assert plan.info is not None and plan.info.groups == LAYOUT * LAYOUT
    np.testing.assert_array_equal(_district_of_station(plan), problem_districts(p))


def test_street_without_station_stays_in_its_district() -> None:
    units, stations = _province()
    # 110102001 borders 110101002 and 110102's own streets equally: a single-process solve
    # may give it to the street across the boundary; here it stays in 110102
    p = ZoneProblem.from_geodataframes(units, stations[stations["street_code"] != "110102001"])
    plan = solve_zones_by_district(p, scheduler=None, best_effort=True)
    orphans = units["street_code"] == "110102001"
    assert plan.info is not None and len(plan.info.orphans) == int(orphans.sum())
    assert set(plan.info.orphans) == set(units["code"][orphans])
    np.testing.assert_array_equal(_district_of_station(plan), problem_districts(p))


def test_unmet_band_raises_for_all_districts_with_the_merged_plan() -> None:
    p = _problem(band=0.01, slack=0.3)  # capacity 30 % above workload: every band fails
    with pytest.raises(BandInfeasibleError) as info:
        solve_zones_by_district(p, scheduler=None)
    err = info.value
    with pytest.raises(BandInfeasibleError) as whole:
        solve(p)
    assert err.stations == whole.value.stations and err.proven == whole.value.proven
    assert err.plan is not None and err.plan.problem is p
    best = solve_zones_by_district(p, scheduler=None, best_effort=True)
    np.testing.assert_array_equal(best.assignment, err.plan.assignment)


def test_bad_labels_and_empty_districts_refused(problem: ZoneProblem) -> None:
    with pytest.raises(AnalysisError, match="labels"):
        solve_zones_by_district(problem, ["110101"] * 3, scheduler=None)
    labels = np.asarray(problem_districts(problem)).copy()
    labels[:2] = "999999"  # two blocks of a street whose district is elsewhere: fine
    solve_zones_by_district(problem, labels, scheduler=None)
    units, stations = _province()
    lone = units.assign(
        street_code=np.where(np.arange(len(units)) < 3, "110105001", units["street_code"])
    )
    p = ZoneProblem.from_geodataframes(lone, stations)
    with pytest.raises(AnalysisError, match="no station") as err:
        solve_zones_by_district(p, lone["street_code"].str[:6], scheduler=None)
    assert "110105" in str(err.value)


def test_districts_from_codes_or_refused() -> None:
    units, stations = _province()
    p = ZoneProblem.from_geodataframes(units, stations, unit_id=None)
    assert set(problem_districts(p)) == {"110101", "110102", "110103", "110104"}
    q = ZoneProblem.from_geodataframes(units, stations, unit_id=None, street=None)
    with pytest.raises(AnalysisError, match="district label"):
        problem_districts(q)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bad_scheduler_fails_fast_and_clearly(problem: ZoneProblem) -> None:
    t0 = time.perf_counter()
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler") as info:
        solve_zones_by_district(problem, scheduler=f"tcp://127.0.0.1:{_free_port()}", timeout_s=1)
    assert time.perf_counter() - t0 < 15 and " / " in str(info.value)
    with pytest.raises(SchedulerError, match="unknown scheduler"):
        solve_zones_by_district(problem, scheduler="yarn")
