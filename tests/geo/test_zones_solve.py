"""Solving zone problems: exact optimum against enumeration, the heuristic against its bound,
and the rules every plan must keep (one station per unit, locks, bands, contiguity,
streets, determinism, infeasibility reported with its stations)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from bench.synthetic_zones import grid_problem, synthetic_city
from geo.zones import BandInfeasibleError, ZoneProblem, solve


def brute_force(problem: ZoneProblem) -> tuple[float, np.ndarray | None]:
    """Every assignment of units to stations, enumerated: the cheapest that keeps bands,
    locks, homes, streets (unless crossing is allowed) and contiguity."""
    n, m = problem.n_units, problem.n_stations
    connected = _connected_masks(problem.adjacency.toarray())
    dist = np.array([[problem.distance([i], [j])[0][0] for j in range(m)] for i in range(n)])
    cross = problem.unit_street[:, None] != problem.station_street[None, :]
    cost = problem.workload[:, None] * (dist + problem.cross_penalty_m * cross)
    zs = np.array(list(itertools.product(range(m), repeat=n)))
    ok = np.ones(len(zs), dtype=bool)
    masks = np.zeros((len(zs), m), dtype=np.int64)
    for j in range(m):
        inside = zs == j
        load = inside @ problem.workload
        ok &= (load >= problem.lower[j] - 1e-9) & (load <= problem.upper[j] + 1e-9)
        if problem.seed[j] >= 0:  # a station sharing its home with another has no seed
            ok &= inside[:, problem.seed[j]]
        masks[:, j] = inside @ (1 << np.arange(n))
    ok &= connected[masks].all(axis=1)
    locked = np.flatnonzero(problem.locks >= 0)
    ok &= (zs[:, locked] == problem.locks[locked]).all(axis=1)
    if not problem.allow_cross_street:
        ok &= ~cross[np.arange(n), zs].any(axis=1)
    if not ok.any():
        return float("inf"), None
    total = cost[np.arange(n), zs].sum(axis=1)
    best = np.flatnonzero(ok)[np.argmin(total[ok])]
    return float(total[best]), zs[best]


def _connected_masks(adj: np.ndarray) -> np.ndarray:
    """For every subset of units (as a bit mask), whether it is connected (grown by
    breadth-first search from its lowest unit, all masks at once)."""
    n = adj.shape[0]
    masks = np.arange(1 << n, dtype=np.int64)
    nbr = adj.astype(np.int64) @ (1 << np.arange(n, dtype=np.int64))
    reach = masks & -masks
    for _ in range(n):
        grown = reach.copy()
        for i in range(n):
            grown |= np.where((reach >> i) & 1, nbr[i], 0)
        reach = grown & masks
    return reach == masks


CASES = [
    # nx, ny, homes, band, seed
    (3, 3, [0, 8], 0.15, 0),
    (3, 3, [0, 4, 8], 0.2, 1),
    (4, 3, [1, 10], 0.1, 2),
    (4, 3, [0, 5, 11], 0.25, 3),
    (3, 4, [2, 9, 4], 0.3, 4),
    (3, 3, [0, 4, 8], 0.03, 10),
    # bands that fit the total workload but no contiguous plan: proven infeasible
    (3, 3, [0, 4, 8], 0.03, 6),
    (3, 3, [0, 4, 8], 0.03, 7),
]


@pytest.mark.parametrize(("nx", "ny", "homes", "band", "seed"), CASES)
def test_exact_matches_enumeration(
    nx: int, ny: int, homes: list[int], band: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    w = rng.integers(5, 30, size=nx * ny).astype(float)
    cap = np.full(len(homes), w.sum() / len(homes)) * rng.uniform(0.9, 1.1, len(homes))
    problem = grid_problem(nx, ny, homes=homes, workload=w, capacity=cap, band=band)
    best, z = brute_force(problem)
    if z is None:
        assert problem.lower.sum() <= w.sum() <= problem.upper.sum()
        with pytest.raises(BandInfeasibleError) as info:
            solve(problem, method="exact")
        assert info.value.proven
        assert info.value.stations
        assert info.value.plan is not None and info.value.plan.validate().fragmented == []
        return
    plan = solve(problem, method="exact")
    assert plan.info is not None and plan.info.method == "exact"
    assert plan.cost == pytest.approx(best, rel=1e-6)
    assert plan.info.bound <= plan.cost + 1e-6
    assert plan.info.lp_bound <= best + 1e-6
    assert plan.validate().ok


def test_locks_and_streets_against_enumeration() -> None:
    rng = np.random.default_rng(7)
    w = rng.integers(5, 30, size=12).astype(float)
    street = np.array(["A"] * 6 + ["B"] * 6)
    problem = grid_problem(
        4,
        3,
        homes=[0, 3, 11],
        workload=w,
        capacity=[w[:6].sum() / 2, w[:6].sum() / 2, w[6:].sum()],
        band=0.35,
        street=street,
        locks={"U1": "S1"},
    )
    best, z = brute_force(problem)
    assert z is not None
    plan = solve(problem, method="exact")
    assert plan.cost == pytest.approx(best, rel=1e-6)
    assert plan.station_of("U1") == "S1"
    report = plan.validate()
    assert report.ok and not report.crossing


def test_heuristic_within_its_gap_of_the_bound() -> None:
    rng = np.random.default_rng(11)
    w = rng.integers(5, 30, size=12).astype(float)
    problem = grid_problem(4, 3, homes=[0, 11], workload=w, capacity=[w.sum() / 2] * 2, band=0.2)
    best, _ = brute_force(problem)
    plan = solve(problem, method="heuristic")
    info = plan.info
    assert info is not None
    assert info.lp_bound <= best + 1e-6 <= plan.cost + 1e-6
    assert info.gap == pytest.approx((plan.cost - info.bound) / info.bound)
    assert plan.cost <= info.bound * (1 + info.gap) + 1e-6


def test_city_plan_keeps_every_rule() -> None:
    units, stations = synthetic_city(1200, 120, n_streets=6, seed=3)
    locks = {"B000010": None, "B000500": None}
    problem0 = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id")
    first = solve(problem0)
    for unit in locks:
        locks[unit] = first.station_of(unit)
    problem = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id", locks=locks)
    plan = solve(problem)
    table = plan.assignment_table()
    assert table["unit_id"].is_unique and table["station_id"].notna().all()
    assert len(table) == len(units)
    for unit, station in locks.items():
        assert plan.station_of(unit) == station
    report = plan.validate()
    assert report.ok, report.to_dict()
    assert not report.crossing and not report.fragmented
    info = plan.info
    assert info is not None and info.groups == 6
    assert info.lp_bound <= plan.cost
    assert 0 <= info.gap < 0.05


def test_deterministic() -> None:
    units, stations = synthetic_city(600, 60, n_streets=3, seed=5, placement="random")
    problem = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id")
    a = solve(problem, best_effort=True)
    b = solve(problem, best_effort=True)
    assert np.array_equal(a.assignment, b.assignment)


def test_infeasible_band_names_its_stations() -> None:
    units, stations = synthetic_city(400, 40, n_streets=2, seed=2)
    starved = stations["street_code"] == stations["street_code"].iloc[0]
    stations.loc[starved, "capacity_persons"] //= 3
    problem = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id")
    with pytest.raises(BandInfeasibleError) as info:
        solve(problem)
    err = info.value
    assert err.proven
    assert set(err.stations) <= set(stations.loc[starved, "station_id"])
    assert err.stations and err.plan is not None
    plan = solve(problem, best_effort=True)
    assert plan.info is not None
    assert set(plan.info.proven_infeasible) == set(stations.loc[starved, "station_id"])
    assert set(plan.validate().overloaded) <= set(stations.loc[starved, "station_id"])


def test_street_without_station_refused_when_asked() -> None:
    units, stations = synthetic_city(300, 20, n_streets=3, seed=4)
    lonely = stations["street_code"].iloc[-1]
    stations = stations[stations["street_code"] != lonely]
    problem = ZoneProblem.from_geodataframes(
        units, stations, unit_id="block_id", orphan_streets="refuse"
    )
    with pytest.raises(BandInfeasibleError) as info:
        solve(problem)
    orphans = set(units.loc[units["street_code"] == lonely, "block_id"])
    assert set(info.value.units) == orphans
    plan = solve(problem, best_effort=True)
    assert plan.info is not None and set(plan.info.orphans) == orphans
    assert set(plan.info.unresolved) == orphans and plan.info.hosted_streets == ()
    assert any(lonely in note and "无驿站街道" in note for note in plan.info.notes)
    report = plan.validate()
    assert report.unassigned == [] and report.crossing and not report.hosting


def test_street_without_station_joins_a_neighbour() -> None:
    units, stations = synthetic_city(300, 20, n_streets=3, seed=4)
    lonely = stations["street_code"].iloc[-1]
    stations = stations[stations["street_code"] != lonely]
    problem = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id")
    orphans = set(units.loc[units["street_code"] == lonely, "block_id"])
    # the neighbours' capacities were sized for their own streets: the bands cannot take it
    with pytest.raises(BandInfeasibleError) as info:
        solve(problem)
    assert info.value.units == [] and info.value.stations and info.value.proven
    plan = solve(problem, best_effort=True)
    assert plan.info is not None and set(plan.info.orphans) == orphans
    assert plan.info.unresolved == ()
    [(street, host)] = plan.info.hosted_streets
    assert street == lonely and host != lonely
    report = plan.validate()
    assert report.crossing == [] and report.fragmented == [] and report.hosting
    hosts = set(stations.loc[stations["street_code"] == host, "station_id"])
    assert set(report.hosting) <= hosts


def test_crossing_streets_when_allowed() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(5, 30, size=12).astype(float)
    street = np.array(["A"] * 6 + ["B"] * 6)
    args: dict[str, Any] = {
        "homes": [0, 11],
        "workload": w,
        "capacity": [w.sum() * 0.7, w.sum() * 0.3],
        "band": 0.1,
        "street": street,
    }
    with pytest.raises(BandInfeasibleError):
        solve(grid_problem(4, 3, **args), method="exact")
    problem = grid_problem(4, 3, allow_cross_street=True, cross_penalty_m=50.0, **args)
    best, _ = brute_force(problem)
    plan = solve(problem, method="exact")
    assert plan.cost == pytest.approx(best, rel=1e-6)
    report = plan.validate()
    assert report.crossing == ["S0"] and report.ok


def test_two_stations_in_one_unit() -> None:
    rng = np.random.default_rng(9)
    w = rng.integers(5, 30, size=9).astype(float)
    problem = grid_problem(3, 3, homes=[4, 4, 0], workload=w, capacity=[w.sum() / 3] * 3, band=0.3)
    assert problem.seed.tolist() == [4, -1, 0]
    best, z = brute_force(problem)
    assert z is not None
    plan = solve(problem, method="exact")
    assert plan.cost == pytest.approx(best, rel=1e-6)
    report = plan.validate()
    assert report.ok and (report.stations["n_units"] > 0).all()
    heuristic = solve(problem, method="heuristic", best_effort=True)
    assert heuristic.validate().fragmented == []


def test_small_streets_solved_exactly_with_consistent_bounds() -> None:
    units, stations = synthetic_city(432, 60, n_streets=32, seed=2)
    plan = solve(ZoneProblem.from_geodataframes(units, stations, unit_id="block_id"))
    info = plan.info
    assert info is not None and info.method == "exact" and info.exact_groups == info.groups
    assert info.lp_bound <= info.bound + 1e-6 <= plan.cost + 1e-3
    assert 0 <= info.gap < 1e-3
    assert plan.validate().ok


def test_zones_the_heuristic_misses_are_rescued_locally() -> None:
    units, stations = synthetic_city(50, 8, n_streets=1, seed=12, placement="random")
    problem = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id")
    heuristic = solve(problem, method="heuristic", best_effort=True)
    assert heuristic.info is not None and heuristic.info.out_of_band
    # no group counts as small (exact_max_units=0): only the local rescue can meet the band
    with pytest.raises(BandInfeasibleError) as err:
        solve(problem, exact_max_units=0, rescue_max_units=0)
    assert not err.value.proven
    plan = solve(problem, exact_max_units=0)
    assert plan.info is not None and plan.info.method == "heuristic"
    assert plan.info.out_of_band == () and plan.validate().ok
    assert plan.info.lp_bound <= plan.cost
