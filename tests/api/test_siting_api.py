"""``POST /analyses/siting`` on the small store (answers worked out by hand) and on the demo
(checked against an independent nearest-neighbour join), and every bad input → 4xx.

Small store, communities (box centres, elderly 60+): A1 (116.385, 39.91) 800, A2 (116.395,
39.91) 600, B (116.41, 39.91) 1,200. At 39.91°N 0.005° of latitude is 556 m and 0.005° of
longitude 427 m, so S1 is 556 m from A1, S2 556 m from A2, S3 and S4 each 700 m from B
(427 m and 556 m apart), and every other pair is more than 850 m apart.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from api.errors import error_body
from geo.network import build_network_from_roads, network_path_for, save_network
from geo.siting import SolveTimeoutError
from layers.store import open_store
from tests.api.conftest import LAYERS

A1, A2, B = "110101001001", "110101001002", "110101002001"
STATIONS = {"candidates": {"source": "layer", "layer": "stations"}}


def _post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/analyses/siting", json=body)


def test_mclp_on_the_small_store(client: TestClient) -> None:
    answer = _post(client, {"problem": "mclp", "p": 2, "service_radius_m": 600, **STATIONS})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["mode"], body["notes"]) == ("optimal", "euclidean", [])
    assert body["objective"] == 1400 and body["gap"] == 0
    assert body["coverage"] == {
        "before": 0.0,
        "after": 1400.0,
        "total": 2600.0,
        "share_before": 0.0,
        "share_after": pytest.approx(1400 / 2600),
    }
    assert [(g["rank"], g["facility_id"], g["gain"]) for g in body["gains"]] == [
        (1, "S1", 800.0),
        (2, "S2", 600.0),
    ]
    features = body["sites"]["features"]
    assert [f["id"] for f in features] == ["S1", "S2"]
    assert features[0]["geometry"]["coordinates"] == pytest.approx([116.385, 39.905])
    assert features[0]["properties"]["site_status"] == "new"
    rows = {r["demand_id"]: r for r in body["assignment"]}
    assert rows[A1]["facility_id"] == "S1" and rows[A1]["distance_m"] == pytest.approx(556, abs=3)
    assert rows[A2]["facility_id"] == "S2"
    assert rows[B]["facility_id"] is None and rows[B]["distance_m"] is None


def test_existing_sites_are_kept_and_counted_before(client: TestClient) -> None:
    body = {
        "problem": "mclp",
        "p": 1,
        "service_radius_m": 800,
        "existing_layer": "stations",
        "candidates": {"source": "grid", "area_layer": "streets", "spacing_m": 500},
    }
    answer = _post(client, body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    # S3/S4 (700 m) cover B, S1 and S2 (556 m) cover A1 and A2: all covered before
    assert result["coverage"]["before"] == result["coverage"]["after"] == 2600
    # S5 is closed (停业): it is not an existing site
    assert result["n_existing"] == 4 and result["n_new"] == 1
    assert "1 closed existing facilities" in result["notes"][0]
    status = {f["id"]: f["properties"]["site_status"] for f in result["sites"]["features"]}
    assert sorted(k for k, v in status.items() if v == "existing") == ["S1", "S2", "S3", "S4"]


def test_p_median_and_p_center_assign_everyone(client: TestClient) -> None:
    for problem in ("pmedian", "pcenter"):
        answer = _post(client, {"problem": problem, "p": 3, "service_radius_m": 800, **STATIONS})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["cutoff_m"] == 5000  # the default cutoff of these two
        site = {r["demand_id"]: r["facility_id"] for r in body["assignment"]}
        assert site[A1] == "S1" and site[A2] == "S2" and site[B] in {"S3", "S4"}
        worst = max(r["distance_m"] for r in body["assignment"])
        assert worst == pytest.approx(700, abs=5)  # B to S3 or S4
        if problem == "pcenter":
            assert body["objective"] == pytest.approx(worst)


def test_lscp_finds_the_fewest_sites(client: TestClient) -> None:
    answer = _post(client, {"problem": "lscp", "service_radius_m": 750, **STATIONS})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["objective"] == 3 and body["coverage"]["after"] == 2600
    ids = {f["id"] for f in body["sites"]["features"]}
    assert {"S1", "S2"} <= ids and len(ids & {"S3", "S4"}) == 1


def test_network_mode_without_roads_falls_back_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "no-roads.gpkg"
    store = open_store(path)
    for kind in ("communities", "stations"):
        store.import_frame(LAYERS[kind](), name=kind, kind=kind)
    store.close()
    body = {"problem": "mclp", "p": 1, "service_radius_m": 600, "mode": "network", **STATIONS}
    with TestClient(create_app(Settings(store=str(path)))) as no_roads:
        answer = _post(no_roads, body).json()
    assert (answer["mode"], answer["objective"]) == ("euclidean", 800)
    note = answer["notes"][0]
    assert "no walking network" in note and "roads" in note and "直线距离" in note


def save_grid_network(store_path: Path) -> None:
    """Save beside ``store_path`` a walking network on a street grid every 0.005° (every
    station and community centre of the small store is a crossing)."""
    xs, ys = np.arange(116.38, 116.4201, 0.005), np.arange(39.90, 39.9201, 0.005)
    lines = [shapely.LineString([(x, y0), (x, y1)]) for x in xs for y0, y1 in pairwise(ys)]
    lines += [shapely.LineString([(x0, y), (x1, y)]) for y in ys for x0, x1 in pairwise(xs)]
    roads = gpd.GeoDataFrame({"highway": ["footway"] * len(lines)}, geometry=lines, crs=4326)
    save_network(build_network_from_roads(roads), network_path_for(store_path))


@pytest.fixture
def grid_client(store_copy: Path) -> Iterator[TestClient]:
    """The small store with the grid network saved beside it."""
    save_grid_network(store_copy)
    with TestClient(create_app(Settings(store=str(store_copy)))) as test_client:
        yield test_client


def test_walking_distances_change_the_answer(grid_client: TestClient) -> None:
    body = {"problem": "mclp", "p": 1, "service_radius_m": 800, **STATIONS}
    straight = _post(grid_client, body).json()
    walking = _post(grid_client, {**body, "mode": "network"}).json()
    # straight line: S3 or S4 (700 m) reach B (1,200); walking the grid they are 983 m
    # away, so the best single site is S1 (556 m to A1, 800)
    assert straight["objective"] == 1200 and straight["gains"][0]["facility_id"] in {"S3", "S4"}
    assert (walking["mode"], walking["notes"], walking["objective"]) == ("network", [], 800)
    assert walking["gains"][0]["facility_id"] == "S1"


def test_the_demo_default(demo_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_store, path)
    body = {
        "problem": "mclp",
        "p": 5,
        "existing_layer": "meal_points",
        "candidates": {"spacing_m": 400, "setbacks": [{"layer": "meal_points", "setback_m": 200}]},
    }
    with TestClient(create_app(Settings(store=str(path)))) as demo:
        answer = _post(demo, body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    store = open_store(path)
    communities, meals = store.read("communities"), store.read("meal_points")
    store.close()
    crs = "EPSG:4548"  # CGCS2000 / 3-degree Gauss-Kruger CM 117E
    points = communities.set_geometry(communities.representative_point()).to_crs(crs)
    near = (
        gpd.sjoin_nearest(points, meals.to_crs(crs), distance_col="d").groupby(level=0)["d"].min()
    )
    weight = communities["elderly_60_plus"].to_numpy(float)
    lo, hi = (weight[(near <= r).to_numpy()].sum() for r in (999.0, 1001.0))
    cov = result["coverage"]
    assert lo <= cov["before"] <= hi and cov["total"] == weight.sum()
    gains = [g["gain"] for g in result["gains"]]
    assert len(gains) == 5 and gains == sorted(gains, reverse=True) and gains[-1] > 0
    assert cov["after"] == pytest.approx(cov["before"] + sum(gains)) == result["objective"]
    assert result["n_existing"] == len(meals) and len(result["sites"]["features"]) == 5 + len(meals)
    assert len({r["demand_id"] for r in result["assignment"]}) == len(communities)


BAD: dict[str, tuple[dict[str, Any], int, list[str]]] = {
    "unknown demand layer": ({"demand_layer": "nope"}, 422, ["demand_layer", "nope"]),
    "unknown weight column": ({"weight_col": "elderly"}, 422, ["weight_col", "elderly"]),
    "unknown candidate layer": (
        {"candidates": {"source": "layer", "layer": "shops"}}, 422, ["candidates.layer", "shops"],
    ),
    "unknown existing layer": ({"existing_layer": "meal_points"}, 422, ["existing_layer"]),
    "unknown exclusion layer": (
        {"candidates": {"source": "layer", "layer": "stations", "exclude_within": ["parks"]}},
        422,
        ["exclude_within", "parks"],
    ),
    "candidates also existing": (
        {"existing_layer": "stations"}, 422, ["existing_layer", "both candidates and existing"],
    ),
    "negative radius": ({"service_radius_m": -100}, 422, ["service_radius_m", "-100"]),
    "p below 1": ({"p": 0}, 422, ["p=0", "≥ 1"]),
    "p above the candidates": ({"p": 9}, 422, ["p = 9", "5 candidates"]),
    "no p for mclp": ({"p": None}, 422, ["mclp needs p"]),
    "p for lscp": ({"problem": "lscp", "p": 2}, 422, ["lscp", "leave p out"]),
    "no candidates left": (
        {"candidates": {"source": "grid", "area_layer": "streets", "exclude_within": ["streets"]}},
        422,
        ["no candidate sites are left"],
    ),
    "infeasible lscp": (
        {"problem": "lscp", "p": None, "service_radius_m": 600}, 422, [B, "600 m"],
    ),
    "cutoff below radius": ({"cutoff_m": 300}, 422, ["cutoff_m", "service_radius_m"]),
    "time limit too long": ({"time_limit_s": 600}, 422, ["time_limit_s", "120"]),
    "missing capacity column": ({"capacity_col": "beds"}, 422, ["capacity_col", "beds"]),
    "generated candidates without capacity": (
        {"capacity_col": "capacity_persons", "candidates": {"area_layer": "streets"}},
        422,
        ["new_site_capacity", "capacity_persons"],
    ),
    "p-center with capacity": (
        {"problem": "pcenter", "capacity_col": "capacity_persons"}, 422, ["pcenter", "capacity"],
    ),
    "unknown field": ({"radius": 500}, 422, ["radius"]),
    "unknown mode": ({"mode": "driving"}, 422, ["mode", "driving"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_with_a_clear_message(client: TestClient, case: str) -> None:
    change, status, words = BAD[case]
    body = {"problem": "mclp", "p": 2, "service_radius_m": 600, **STATIONS, **change}
    answer = _post(client, body)
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert " / " in detail
    for word in words:
        assert word in detail, (word, detail)


def test_a_solver_timeout_maps_to_422() -> None:
    status, body = error_body(SolveTimeoutError("no solution in 1 s / 1 秒内无解"))
    assert (status, body["code"]) == (422, "solve_timeout")
