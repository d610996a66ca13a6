"""Why an edit changed what it changed: a neighbour dragged along to keep the band, a unit
cut off from its zone's home, and the requested move itself; band states of a plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.synthetic_zones import grid_problem
from geo.zones import ZonePlan, band_states, explain_changes, move_units

TWO_BY_THREE = {"S0": [0, 1, 3], "S1": [2, 4, 5]}


def _plan(nx: int, ny: int, zones: dict[str, list[int]], **options: object) -> ZonePlan:
    n = nx * ny
    problem = grid_problem(nx, ny, workload=np.full(n, 10.0), **options)  # type: ignore[arg-type]
    rows = [(f"U{u}", station) for station, units in zones.items() for u in units]
    table = pd.DataFrame(rows, columns=["unit_id", "station_id"])
    return ZonePlan.from_table(problem, table)


def test_a_neighbour_moved_to_keep_the_band_says_band() -> None:
    # U3 U4 U5
    # U0 U1 U2     S0 = {U0, U1, U3}, S1 = {U2, U4, U5}, 30 each, band 0
    plan = _plan(3, 2, TWO_BY_THREE, homes=[0, 2], capacity=[30, 30], band=0.0)
    after = move_units(plan, {"U1": "S1"}, based_on=1)
    table = explain_changes(plan, after, {"U1": "S1"})
    assert table.to_dict("records") == [
        {"unit_id": "U1", "from_station": "S0", "to_station": "S1", "reason": "requested"},
        {"unit_id": "U4", "from_station": "S1", "to_station": "S0", "reason": "band"},
    ]
    assert after.validate().ok


def test_a_unit_cut_off_from_its_home_says_contiguity() -> None:
    # U4 U5 U6 U7
    # U0 U1 U2 U3   S0 = {U0, U1, U2}: moving U1 away cuts U2 off from S0's home U0
    plan = _plan(
        4, 2, {"S0": [0, 1, 2], "S1": [3, 4, 5, 6, 7]},
        homes=[0, 3], capacity=[30, 50], band=0.9,
    )  # fmt: skip
    after = move_units(plan, {"U1": "S1"}, based_on=1)
    table = explain_changes(plan, after, {"U1": "S1"})
    reasons = dict(zip(table["unit_id"], table["reason"], strict=True))
    assert reasons == {"U1": "requested", "U2": "contiguity"}
    assert after.station_of("U2") == "S1"


def test_band_states_of_a_plan_and_of_another_assignment() -> None:
    plan = _plan(3, 2, TWO_BY_THREE, homes=[0, 2], capacity=[30, 30], band=0.1)
    states = band_states(plan)
    assert states["workload"].tolist() == [30.0, 30.0] and states["band"].tolist() == ["ok", "ok"]
    z = plan.assignment.copy()
    z[1] = 1
    moved = band_states(plan, z)
    assert moved["band"].tolist() == ["under", "over"]
    assert moved["workload"].tolist() == [20.0, 40.0]
    assert moved["upper"].round(6).tolist() == [33.0, 33.0]
