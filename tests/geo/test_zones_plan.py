"""Plan outputs: the assignment table, per-station workload, dissolved zone polygons and the
folium map."""

from __future__ import annotations

import json

import folium
import numpy as np
import pandas as pd
import pytest
import shapely

from bench.synthetic_zones import grid_problem, synthetic_city
from geo.zones import ZonePlan, ZoneProblem, solve


@pytest.fixture(scope="module")
def plan() -> ZonePlan:
    units, stations = synthetic_city(400, 20, n_streets=2, seed=6)
    return solve(ZoneProblem.from_geodataframes(units, stations, unit_id="block_id"))


def test_tables(plan: ZonePlan) -> None:
    table = plan.assignment_table()
    assert list(table.columns) == [
        "unit_id",
        "station_id",
        "street",
        "workload",
        "walk_m",
        "estimated",
        "locked",
    ]
    assert len(table) == plan.problem.n_units and table["station_id"].notna().all()
    loads = table.groupby("station_id")["workload"].sum()
    stations = plan.station_table().set_index("station_id")
    np.testing.assert_allclose(stations.loc[loads.index, "workload"], loads)
    np.testing.assert_allclose(plan.loads, stations["workload"].to_numpy())
    assert (stations["band"] == "ok").all() and (stations["pieces"] == 1).all()
    walks = table.groupby("station_id")["walk_m"].max()
    np.testing.assert_allclose(stations.loc[walks.index, "longest_walk_m"], walks)
    assert plan.info is not None
    json.dumps(plan.info.to_dict())
    json.dumps(plan.validate().to_dict())


def test_stored_table_round_trip(plan: ZonePlan, tmp_path: object) -> None:
    from pathlib import Path

    from geo.zones import lock_units

    locked = lock_units(plan, [plan.problem.unit_ids[7]], based_on=plan.version)
    path = Path(str(tmp_path)) / "plan.csv"
    locked.assignment_table().to_csv(path, index=False)
    back = ZonePlan.from_table(
        plan.problem, pd.read_csv(path, dtype={"unit_id": str}), version=locked.version
    )
    assert np.array_equal(back.assignment, locked.assignment)
    assert np.array_equal(back.locks, locked.locks) and back.locks[7] >= 0
    assert back.version == 2


def test_zone_polygons_dissolve_units(plan: ZonePlan) -> None:
    zones = plan.zones_gdf()
    assert len(zones) == plan.problem.n_stations
    assert zones.crs == plan.problem.unit_geometry.crs  # type: ignore[union-attr]
    assert zones.geometry.area.sum() == pytest.approx(plan.problem.unit_geometry.area.sum())  # type: ignore[union-attr]
    # contiguous zones dissolve into single polygons
    assert (shapely.get_num_geometries(zones.geometry.values) == 1).all()
    station_points = plan.problem.station_geometry.values  # type: ignore[union-attr]
    assert shapely.contains(zones.geometry.values, station_points).all()


def test_explore_draws_zones_and_stations(plan: ZonePlan) -> None:
    m = plan.explore()
    assert isinstance(m, folium.Map)
    html = m.get_root().render()
    assert "tile.openstreetmap" not in html
    assert json.dumps("Workload / 工作量")[1:-1] in html  # bilingual tooltip, JSON-escaped
    assert str(plan.problem.station_ids[0]) in html
    again = plan.explore(m=m)
    assert again is m


def test_zone_colours_differ_between_neighbours(plan: ZonePlan) -> None:
    from geo.zones._draw import zone_colours

    colours = zone_colours(plan)
    ea, eb = plan.problem.edges
    za, zb = plan.assignment[ea], plan.assignment[eb]
    touching = za != zb
    assert all(colours[a] != colours[b] for a, b in zip(za[touching], zb[touching], strict=True))


def test_no_geometry_no_polygons() -> None:
    from geo._errors import AnalysisError

    p = grid_problem(2, 2, homes=[0], workload=[1, 1, 1, 1], capacity=[4])
    bare = ZoneProblem.from_cost_matrix(
        p.costs, workload=p.workload, capacity=p.capacity, adjacency=p.adjacency
    )
    with pytest.raises(AnalysisError):
        solve(bare).zones_gdf()
