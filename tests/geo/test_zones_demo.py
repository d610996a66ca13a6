"""The Beijing demo zones without best effort: every station within ±15 % of its capacity,
every zone contiguous and inside its street, by straight line and on the walking network."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from geo import build_network_from_roads
from geo.network import Network
from geo.zones import ZoneProblem, solve
from layers import open_store


@pytest.fixture(scope="module")
def demo(demo_store: Path) -> dict[str, gpd.GeoDataFrame]:
    store = open_store(demo_store)
    try:
        return {name: store.read(name) for name in ("communities", "stations", "roads")}
    finally:
        store.close()


@pytest.fixture(scope="module")
def network(demo: dict[str, gpd.GeoDataFrame]) -> Network:
    return build_network_from_roads(demo["roads"])


def _problem(demo: dict[str, gpd.GeoDataFrame], network: Network | None) -> ZoneProblem:
    stations = demo["stations"][demo["stations"]["status"] != "停业"]
    return ZoneProblem.from_geodataframes(
        demo["communities"], stations, unit_id="code", station_id="station_id", network=network
    )


@pytest.mark.parametrize("mode", ["euclidean", "network"])
def test_demo_zones_meet_the_band(
    demo: dict[str, gpd.GeoDataFrame], network: Network, mode: str
) -> None:
    problem = _problem(demo, network if mode == "network" else None)
    assert problem.costs.mode == mode
    assert not problem.unit_orphan.any()  # a station in every street
    plan = solve(problem)  # raises unless every band is met
    info = plan.info
    assert info is not None
    assert info.out_of_band == () and info.orphans == () and info.hosted_streets == ()
    assert info.groups == 32 and 0 <= info.gap < 0.05
    report = plan.validate()
    assert report.ok, report.to_dict()
    table = report.stations
    assert (table["band"] == "ok").all() and (table["pieces"] == 1).all()
    assert (table["crossing_units"] == 0).all() and (table["hosted_units"] == 0).all()
    assert (table["workload"] >= 0.85 * table["capacity"] - 1e-9).all()
    assert (table["workload"] <= 1.15 * table["capacity"] + 1e-9).all()
    assert table["workload"].sum() == demo["communities"]["basic_recipients"].sum()
