"""The validation report of any plan, including a hand-drawn table read from a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.synthetic_zones import grid_problem
from geo._errors import AnalysisError
from geo.zones import ZonePlan, validate_plan

# 4 x 3 grid, units U0..U11 row by row from the bottom left:
#   U8  U9  U10 U11
#   U4  U5  U6  U7
#   U0  U1  U2  U3
W = np.array([20, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], dtype=float)


def _problem() -> object:
    street = ["A"] * 8 + ["B"] * 4
    return grid_problem(
        4, 3, homes=[0, 3, 11], workload=W, capacity=[50, 40, 40], band=0.1, street=street
    )


def test_clean_plan_passes() -> None:
    p = _problem()
    table = pd.DataFrame(
        {
            "unit_id": [f"U{i}" for i in range(12)],
            "station_id": ["S0", "S0", "S1", "S1", "S0", "S0", "S1", "S1"] + ["S2"] * 4,
        }
    )
    report = validate_plan(p, table)  # type: ignore[arg-type]
    assert report.ok, report.to_dict()
    st = report.stations.set_index("station_id")
    assert st.loc["S0", "workload"] == 50 and st.loc["S2", "n_units"] == 4
    assert st.loc["S0", "longest_walk_m"] == pytest.approx(np.hypot(100, 100))
    assert st.loc["S2", "longest_walk_m"] == pytest.approx(300.0)
    assert st.loc["S2", "mean_walk_m"] == pytest.approx(150.0)


def test_hand_drawn_file_with_every_problem(tmp_path: Path) -> None:
    p = _problem()
    rows = [
        ("U0", "S0"),
        ("U1", "S0"),
        ("U4", "S0"),
        ("U5", "S0"),
        ("U6", "S0"),
        ("U2", "S9"),  # unknown station: U2 stays unassigned
        ("U3", "S1"),
        ("U7", "S1"),
        ("U8", "S1"),  # street B, cut off from S1's home
        ("U9", "S1"),
        ("U9", "S2"),  # assigned twice
        ("U10", "S2"),
        ("U11", "S2"),
        ("U99", "S2"),  # unknown unit
    ]
    path = tmp_path / "hand.csv"
    pd.DataFrame(rows, columns=["community", "station"]).to_csv(path, index=False)
    table = pd.read_csv(path)
    report = validate_plan(p, table, unit_col="community", station_col="station")  # type: ignore[arg-type]
    assert not report.ok
    assert report.unassigned == ["U2"]
    assert report.duplicated == {"U9": ["S1", "S2"]}
    assert report.unknown_units == ["U99"] and report.unknown_stations == ["S9"]
    assert report.overloaded == ["S0"]  # 60 > 55
    assert report.underloaded == ["S2"]  # 30 < 36
    assert report.fragmented == ["S1"]
    assert report.crossing == ["S1"]  # U8, U9 of street B
    assert report.homes_outside == []
    st = report.stations.set_index("station_id")
    assert st.loc["S1", "pieces"] == 2 and st.loc["S1", "crossing_units"] == 2
    assert st.loc["S2", "pieces"] == 1 and st.loc["S1", "workload"] == 40
    as_dict = report.to_dict()
    assert as_dict["ok"] is False and as_dict["fragmented"] == ["S1"]
    with pytest.raises(AnalysisError, match="duplicated"):
        ZonePlan.from_table(p, table, unit_col="community", station_col="station")  # type: ignore[arg-type]


def test_plan_from_table_and_broken_locks() -> None:
    p = grid_problem(
        4, 3, homes=[0, 11], workload=W, capacity=[60, 60], band=0.1, locks={"U5": "S1"}
    )
    table = pd.DataFrame(
        {"unit_id": [f"U{i}" for i in range(12)], "station_id": ["S0"] * 6 + ["S1"] * 6}
    )
    plan = ZonePlan.from_table(p, table)
    report = plan.validate()
    assert report.broken_locks == ["U5"]
    assert not report.ok
    missing = ZonePlan.from_table(p, table.iloc[:-1])
    assert missing.validate().unassigned == ["U11"]
    assert missing.validate().homes_outside == ["S1"]
