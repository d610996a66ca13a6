"""Streets with no station (orphan streets): their units join a zone of an adjacent street
(the host), contiguously, within the band, reported and not counted as an unallowed
crossing; chains of orphan streets resolve through their neighbours; an island stays
unresolved; ``orphan_streets="refuse"`` refuses them."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bench.synthetic_zones import grid_problem
from geo.costs import CostMatrix
from geo.zones import BandInfeasibleError, ZonePlan, ZoneProblem, solve, validate_plan
from tests.geo.test_zones_solve import _connected_masks


def _streets(layout: list[str]) -> np.ndarray:
    """Street of every grid cell, from rows drawn top row first (``U0`` is bottom left)."""
    return np.array(list("".join(reversed(layout))), dtype=object)


def _grid(layout: list[str], homes: list[int], capacity: list[float], **kw: object) -> ZoneProblem:
    street = _streets(layout)
    ny, nx = len(layout), len(layout[0])
    return grid_problem(
        nx,
        ny,
        homes=homes,
        workload=np.full(nx * ny, 10.0),
        capacity=capacity,
        street=street,
        **kw,  # type: ignore[arg-type]
    )


def _enumerate(problem: ZoneProblem) -> float:
    """The cheapest plan by enumeration, under the problem's own rule of who may join whom
    (``allowed``: own street, host street, locks), bands, homes and contiguity."""
    n, m = problem.n_units, problem.n_stations
    connected = _connected_masks(problem.adjacency.toarray())
    i, j = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    cost = problem.objective(i.ravel(), j.ravel()).reshape(n, m)
    allowed = problem.allowed(i.ravel(), j.ravel()).reshape(n, m)
    best = np.inf
    for z in itertools.product(range(m), repeat=n):
        zz = np.asarray(z)
        if not allowed[np.arange(n), zz].all():
            continue
        load = np.bincount(zz, weights=problem.workload, minlength=m)
        if ((load < problem.lower - 1e-9) | (load > problem.upper + 1e-9)).any():
            continue
        if not all(zz[problem.seed[k]] == k for k in range(m) if problem.seed[k] >= 0):
            continue
        masks = [int(((zz == k) * (1 << np.arange(n))).sum()) for k in range(m)]
        if all(connected[mask] for mask in masks):
            best = min(best, float(cost[np.arange(n), zz].sum()))
    return best


# X lies between A and B and shares 3 edges with A, 5 with B:
#   A A X B B
#   A A X X B
#   A A X B B
BETWEEN = ["AAXBB", "AAXXB", "AAXBB"]


def test_orphan_street_joins_the_neighbour_with_the_longest_border() -> None:
    # A: 6 units in one zone of 60; B: 5 units + X's 4 → 90 with capacity 90
    p = _grid(BETWEEN, homes=[0, 4], capacity=[60, 90])
    assert p.street_names[p.unit_host].tolist() == ["A", "A", "B", "B", "B"] * 3
    plan = solve(p, method="exact")
    info = plan.info
    assert info is not None and info.hosted_streets == (("X", "B"),)
    assert set(info.orphans) == {"U2", "U7", "U8", "U12"} and info.unresolved == ()
    assert any("X → B" in note and "无驿站街道并入相邻街道" in note for note in info.notes)
    report = plan.validate()
    assert report.ok, report.to_dict()
    assert report.crossing == [] and report.hosting == ["S1"] and report.fragmented == []
    st = report.stations.set_index("station_id")
    assert st.loc["S1", "hosted_units"] == 4 and st.loc["S1", "crossing_units"] == 0
    assert (st["band"] == "ok").all()
    # the crossing penalty is charged: 4 units × 10 × 500 m on top of the walk
    walk = plan.assignment_table()["walk_m"].to_numpy() @ p.workload
    assert plan.cost == pytest.approx(walk + 4 * 10 * 500.0)
    assert plan.cost == pytest.approx(_enumerate(p))


def test_a_host_that_can_take_the_workload_comes_before_a_longer_border() -> None:
    # B's band (capacity 50, at most 57.5) cannot take X's 40; A's (100, up to 115) can
    p = _grid(BETWEEN, homes=[0, 4], capacity=[100, 50])
    plan = solve(p, method="heuristic")
    assert plan.info is not None and plan.info.hosted_streets == (("X", "A"),)
    report = plan.validate()
    assert report.ok and report.hosting == ["S0"], report.to_dict()


def test_chain_of_two_orphan_streets_resolves_through_its_neighbour() -> None:
    # Y touches only X, X touches A: both join A's two zones
    #   A A X Y
    #   A A X Y
    p = _grid(["AAXY", "AAXY"], homes=[0, 4], capacity=[40, 40])
    assert p.street_names[p.unit_host].tolist() == ["A"] * 8
    for method in ("exact", "heuristic"):
        plan = solve(p, method=method)
        info = plan.info
        assert info is not None and info.hosted_streets == (("X", "A"), ("Y", "A"))
        report = plan.validate()
        assert report.ok and report.crossing == [] and report.fragmented == [], method
        assert report.stations["hosted_units"].sum() == 4
    assert solve(p, method="exact").cost == pytest.approx(_enumerate(p))


def test_pieces_of_one_orphan_street_find_their_own_hosts() -> None:
    # A X B X C on a line: X has two pieces; B has no room, so they go to A and to C
    p = _grid(["AXBXC"], homes=[0, 2, 4], capacity=[20, 10, 20])
    plan = solve(p)
    info = plan.info
    assert info is not None and info.hosted_streets == (("X", "A"), ("X", "C"))
    assert [plan.station_of(u) for u in ("U1", "U3")] == ["S0", "S2"]
    assert plan.validate().ok


def test_refuse_mode_names_the_orphans() -> None:
    p = _grid(BETWEEN, homes=[0, 4], capacity=[60, 90], orphan_streets="refuse")
    assert (p.unit_host[p.unit_orphan] == -1).all()
    with pytest.raises(BandInfeasibleError) as err:
        solve(p)
    assert sorted(err.value.units) == ["U12", "U2", "U7", "U8"]
    assert "no station they may join" in str(err.value)
    plan = solve(p, best_effort=True)
    assert plan.info is not None and plan.info.hosted_streets == ()
    assert any("refused" in note and "X" in note for note in plan.info.notes)
    report = plan.validate()
    assert report.crossing and not report.hosting and not report.ok


def test_island_stays_unresolved() -> None:
    # U0-U1-U2 of street A in a line; U3 (street Z) touches nothing
    xy = np.array([[0, 0], [100, 0], [200, 0], [400, 0]], dtype=float)
    adj = sp.csr_array((np.ones(4, dtype=bool), ([0, 1, 1, 2], [1, 0, 2, 1])), shape=(4, 4))
    uid = np.array(["U0", "U1", "U2", "U3"], dtype=object)
    dist = np.hypot(*(xy[:, None, :] - xy[[0]][None, :, :]).transpose(2, 0, 1))
    p = ZoneProblem.from_cost_matrix(
        CostMatrix.from_dense(dist, demand_ids=uid, facility_ids=np.array(["S0"], object)),
        workload=[10, 10, 10, 10],
        capacity=[40],
        adjacency=adj,
        street=["A", "A", "A", "Z"],
        homes=["U0"],
        unit_xy=xy,
        station_xy=xy[[0]],
    )
    assert p.unit_host.tolist() == [0, 0, 0, -1]
    with pytest.raises(BandInfeasibleError) as err:
        solve(p)
    assert err.value.units == ["U3"] and err.value.plan is not None
    plan = solve(p, best_effort=True)
    info = plan.info
    assert info is not None and info.unresolved == ("U3",) and info.orphans == ("U3",)
    assert any("no adjacent street has a station" in note for note in info.notes)
    report = plan.validate()
    assert plan.station_of("U3") == "S0"
    assert report.crossing == ["S0"] and report.fragmented == ["S0"] and not report.hosting


def test_hand_drawn_hosting_by_either_neighbour_is_no_error() -> None:
    p = _grid(BETWEEN, homes=[0, 4], capacity=[80, 70], band=0.2)
    station = {"A": "S0", "B": "S1"}
    street = _streets(BETWEEN)
    # X's bottom two units go to A, its top two to B: both zones stay contiguous
    chosen = [station.get(s, "S0" if i in (2, 7) else "S1") for i, s in enumerate(street)]
    table = pd.DataFrame({"unit_id": [f"U{i}" for i in range(15)], "station_id": chosen})
    report = validate_plan(p, table)
    assert report.ok, report.to_dict()
    assert sorted(report.hosting) == ["S0", "S1"] and report.crossing == []
    refused = _grid(BETWEEN, homes=[0, 4], capacity=[80, 70], band=0.2, orphan_streets="refuse")
    strict = validate_plan(refused, table)
    assert sorted(strict.crossing) == ["S0", "S1"] and not strict.ok
    assert ZonePlan.from_table(p, table).validate().ok
