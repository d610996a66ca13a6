"""``POST /analyses/coverage`` on the small store (25 parallel footways, 5 stations): answers
that add up, and every bad input refused with a 4xx naming the problem."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from api.network.service import NetworkCache
from geo.network import load_network, network_path_for
from layers.store import open_store

URL = "/analyses/coverage"


@pytest.fixture(scope="module")
def cov_client(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The service over a private copy of the small store (its network is saved beside)."""
    import shutil

    path = tmp_path_factory.mktemp("cov") / "small.gpkg"
    shutil.copyfile(small_store, path)
    with TestClient(create_app(Settings(store=str(path)))) as client:
        yield client


def test_euclidean_rollups_add_up(cov_client: TestClient) -> None:
    body = {
        "facilities": "stations",
        "radius_m": 800,
        "mode": "euclidean",
        "levels": ["community", "street", "district"],
    }
    response = cov_client.post(URL, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    totals = answer["summary"]["weights"]["elderly_60_plus"]
    assert totals["total"] == 800 + 600 + 1200
    for level, rows in answer["rollups"].items():
        assert rows, level
        for row in rows:
            for w in ("population", "elderly_60_plus", "count"):
                assert row[f"{w}_covered_800m"] + row[f"{w}_uncovered_800m"] == row[w]
        assert sum(r["elderly_60_plus"] for r in rows) == totals["total"]
    assert [r["street_code"] for r in answer["rollups"]["street"]] == ["110101001", "110101002"]
    assert len(answer["per_demand"]) == 3
    # the walking figure is measured on the store's own network, never a fixed factor
    assert any("median" in note and "中位数" in note for note in answer["notes"])
    assert not any("typically about" in note for note in answer["notes"])
    assert answer["network"] is None


def test_network_mode_builds_and_saves_once(cov_client: TestClient, small_store: Path) -> None:
    body = {"facilities": "stations", "tiers_m": [300, 500], "service_areas": True}
    response = cov_client.post(URL, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["network"]["source"] == "roads layer"
    assert answer["network"]["edges"] > 0
    assert answer["summary"]["tiers_m"] == [300.0, 500.0]
    areas = answer["service_areas"]
    assert areas["type"] == "FeatureCollection" and areas["features"]
    store_path = Path(cov_client.app.state.settings.store)  # type: ignore[attr-defined]
    saved = network_path_for(store_path)
    assert saved.is_file()
    assert load_network(saved).n_edges == answer["network"]["edges"]
    # the shared session store itself was not touched
    assert not network_path_for(small_store).exists()


def test_network_cache_builds_once_under_concurrency(small_store: Path, tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "s.gpkg"
    shutil.copyfile(small_store, path)
    store = open_store(path)
    cache, got = NetworkCache(), []
    try:
        threads = [threading.Thread(target=lambda: got.append(cache.get(store))) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(got) == 4 and all(n is got[0] for n in got)
        assert cache.get(store) is got[0]  # same roads version and file: the same object
    finally:
        store.close()


def test_geojson_and_fca(cov_client: TestClient) -> None:
    body = {
        "facilities": "stations",
        "radius_m": 1000,
        "mode": "euclidean",
        "per_demand": "geojson",
        "fca": {"supply": "capacity_persons", "weight": "elderly_60_plus"},
        "levels": ["street"],
    }
    answer = cov_client.post(URL, json=body).json()
    assert answer["per_demand"]["type"] == "FeatureCollection"
    assert len(answer["per_demand"]["features"]) == 3
    fca = answer["accessibility"]
    # without decay, the supply handed out is the supply of stations with anyone in reach
    assert 0 < fca["summary"]["supply_reached"] <= 40 + 60 + 80 + 30 + 50
    assert [r["street_code"] for r in fca["rollups"]["street"]] == ["110101001", "110101002"]


BAD = [
    ({"facilities": "nope"}, 422, "facilities", "no such layer"),
    ({"facilities": "stations", "demand": "nope"}, 422, "demand", "no such layer"),
    ({"facilities": "stations", "radius_m": -100}, 422, "radius_m", "must be >"),
    ({"facilities": "stations", "radius_m": 0}, 422, "radius_m", "must be >"),
    ({"facilities": "stations", "radius_m": 50_000}, 422, "radius_m", "must be ≤"),
    ({"facilities": "stations", "radius_m": 5000}, 422, "radius_m", "beyond the walking network"),
    ({"facilities": "stations", "tiers_m": [500, 300]}, 422, "tiers_m", "strictly increasing"),
    ({"facilities": "stations", "tiers_m": [300, 300]}, 422, "tiers_m", "strictly increasing"),
    ({"facilities": "stations", "radius_m": 300, "tiers_m": [300]}, 422, "tiers_m", "not both"),
    ({"facilities": "stations", "status": ["关闭"]}, 422, "status", "facility set is empty"),
    ({"facilities": "roads"}, 422, "facilities", "must be points"),
    ({"facilities": "communities"}, 422, "facilities", "must be points"),
    ({"facilities": "stations", "weights": ["nope"]}, 422, "weights.0", "no such column"),
    ({"facilities": "stations", "weights": ["name"]}, 422, "weights.0", "not numeric"),
    ({"facilities": "stations", "fca": {"supply": "nope"}}, 422, "fca.supply", "no such column"),
    ({"facilities": "stations", "mode": "flying"}, 422, "mode", "must be one of"),
    ({"facilities": "stations", "levels": ["city"]}, 422, "levels.0", "must be one of"),
    ({"facilities": "stations", "extra": 1}, 422, "extra", ""),
]


@pytest.mark.parametrize(("body", "status", "field", "words"), BAD)
def test_bad_input(cov_client: TestClient, body: dict, status: int, field: str, words: str) -> None:
    response = cov_client.post(URL, json=body)
    assert response.status_code == status, response.text
    error = response.json()
    assert field in error["detail"] and words in error["detail"]
    assert [p["field"] for p in error["problems"]] == [field]  # the field at fault, alone
    assert " / " in error["detail"]  # English, then Chinese


def test_empty_facility_layer(small_store: Path, tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "empty.gpkg"
    shutil.copyfile(small_store, path)
    store = open_store(path)
    try:
        store.write("stations", store.read("stations").iloc[:0], kind="stations")
    finally:
        store.close()
    with TestClient(create_app(Settings(store=str(path)))) as client:
        response = client.post(URL, json={"facilities": "stations", "mode": "euclidean"})
    assert response.status_code == 422
    assert "facility set is empty" in response.json()["detail"]
