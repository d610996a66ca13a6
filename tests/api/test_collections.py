"""OGC API - Features collections: every layer with its count, extent, kind and links."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import LAYERS, ROAD_COUNT, STATION_POINTS, STREET_A, STREET_B

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@pytest.fixture(scope="module")
def collections(client: TestClient) -> dict[str, dict]:
    body = client.get("/collections").json()
    assert body["links"][0]["rel"] == "self"
    return {c["id"]: c for c in body["collections"]}


def test_every_layer_is_a_collection(collections: dict[str, dict]) -> None:
    assert set(collections) == set(LAYERS) - {"inspections"}  # records: never public
    for name, entry in collections.items():
        assert entry["kind"] == name
        assert entry["itemType"] == "feature"
        assert entry["extent"]["spatial"]["crs"] == CRS84


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("streets", 2),
        ("communities", 3),
        ("stations", 5),
        ("roads", ROAD_COUNT),
    ],
)
def test_counts(collections: dict[str, dict], name: str, count: int) -> None:
    assert collections[name]["numberOfFeatures"] == count


def test_extents_are_the_layers_bounds(collections: dict[str, dict]) -> None:
    streets = collections["streets"]["extent"]["spatial"]["bbox"][0]
    assert streets == pytest.approx([STREET_A[0], STREET_A[1], STREET_B[2], STREET_B[3]])
    lons = [p[0] for p in STATION_POINTS.values()]
    lats = [p[1] for p in STATION_POINTS.values()]
    stations = collections["stations"]["extent"]["spatial"]["bbox"][0]
    assert stations == pytest.approx([min(lons), min(lats), max(lons), max(lats)])


def test_titles_are_bilingual(collections: dict[str, dict]) -> None:
    assert collections["stations"]["title"] == "community elderly-care stations / 社区养老服务驿站"
    assert "社区村" in collections["communities"]["title"]
    assert " / " in collections["roads"]["description"]


def test_links_lead_to_the_collection_and_its_items(
    client: TestClient, collections: dict[str, dict]
) -> None:
    links = {link["rel"]: link for link in collections["stations"]["links"]}
    assert client.get(links["self"]["href"]).json()["id"] == "stations"
    assert links["items"]["type"] == "application/geo+json"
    assert client.get(links["items"]["href"]).json()["type"] == "FeatureCollection"


def test_one_collection(client: TestClient) -> None:
    body = client.get("/collections/communities").json()
    assert body["id"] == "communities"
    assert body["numberOfFeatures"] == 3
    assert body["geometryType"] == "POLYGON"
    assert body["editable"] is False
    assert client.get("/collections/stations").json()["editable"] is True


def test_unknown_collection_is_404_naming_it(client: TestClient) -> None:
    response = client.get("/collections/hospitals")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "unknown_layer"
    assert "'hospitals'" in body["detail"]
    assert "stations" in body["detail"]  # the known layers are suggested
    assert client.get("/collections/hospitals/items").status_code == 404
    assert client.get("/collections/hospitals/items/1").status_code == 404
