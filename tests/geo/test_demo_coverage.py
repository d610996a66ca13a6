"""The whole chain on the demo store: its roads layer becomes the walking network, then
station coverage of the real community list, roll-ups, gaps, k-nearest costs, 2SFCA."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo import build_network_from_roads, cost_matrix, two_step_fca
from geo.coverage import coverage
from geo.network import Network, load_network, network_path_for, save_network
from layers import open_store


@pytest.fixture(scope="module")
def demo(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    store = open_store(demo_store)
    layers = {name: store.read(name) for name in ("roads", "communities", "stations", "shelters")}
    net = build_network_from_roads(layers["roads"])
    path = save_network(net, network_path_for(tmp_path_factory.mktemp("net") / "demo.gpkg"))
    return {**layers, "network": load_network(path)}


def test_roads_layer_network(demo: dict) -> None:
    net: Network = demo["network"]
    assert net.n_nodes > 5_000 and net.report.source == "roads layer"
    assert net.report.filtered_classes  # motorways and the like are in the layer
    assert net.pyproj_crs.to_epsg() == 4548


def test_station_coverage_of_the_demo(demo: dict) -> None:
    com, stations = demo["communities"], demo["stations"]
    res = coverage(com, stations, kind="stations", network=demo["network"])
    table = res.demand
    assert len(table) == len(com)
    assert (table["population"] == com["population"].to_numpy()).all()
    for level in ("community", "street", "district"):
        roll = res.rollup(level, geometry=False)
        for r in ("300m", "500m", "1000m"):
            got = roll[f"elderly_60_plus_covered_{r}"] + roll[f"elderly_60_plus_uncovered_{r}"]
            assert (got == roll["elderly_60_plus"]).all()
        assert roll["population"].sum() == com["population"].sum()
    shares = res.rollup("total", geometry=False).iloc[0]
    assert 0 < shares["population_covered_share_300m"] < shares["population_covered_share_1000m"]
    gaps = res.gaps()
    assert gaps["elderly_60_plus_uncovered_1000m"].is_monotonic_decreasing
    assert set(gaps["code"]) <= set(com["code"])
    # walking is never shorter than the straight line between the same points
    euclid = coverage(com, stations, kind="stations", mode="euclidean")
    walk, line = res.points["distance_m"], euclid.points["distance_m"]
    ok = walk.notna()
    assert (line[ok] <= walk[ok] + 1e-6).all()


def test_k_nearest_costs_and_fca(demo: dict) -> None:
    com, stations, net = demo["communities"], demo["stations"], demo["network"]
    cm = cost_matrix(
        com, stations, network=net, cutoff_m=2000, k=3, demand_id="code", facility_id="station_id"
    )
    assert cm.shape == (len(com), len(stations)) and cm.mode == "network"
    per_row = np.diff(cm.matrix.indptr)
    assert per_row.max() <= 3 and (per_row == 3).mean() > 0.5
    assert cm.matrix.data.max() <= 2000
    fca = two_step_fca(
        com, demo["shelters"], supply="effective_area_m2", radius_m=2000, network=net
    )
    handed = (fca.demand_points.weights["population"] * fca.accessibility).sum()
    reached = fca.facilities.loc[fca.facilities["demand_within"] > 0, "effective_area_m2"].sum()
    assert handed == pytest.approx(reached, rel=1e-9)
