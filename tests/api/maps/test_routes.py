"""The /maps routes over the small store: pages, languages, lazily fetched layers, cache."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely
from fastapi.testclient import TestClient

from api.maps import external_urls
from layers.store import open_store
from tests.api.maps.conftest import maps_app


def test_layers_page(maps_client: TestClient) -> None:
    response = maps_client.get("/maps/layers")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-encoding"] == "gzip"
    html = response.text
    assert external_urls(html) == []
    assert "民政设施与区划图层" in html and "small.gpkg" in html
    assert "社区养老服务驿站" in html and "东华门街道" in html
    english = maps_client.get("/maps/layers", params={"lang": "en"}).text
    assert "Civil-affairs facilities and divisions" in english
    assert "Community elderly-care stations" in english
    assert maps_client.get("/maps/layers", params={"lang": "fr"}).status_code in (400, 422)


def test_index_lists_the_map_pages(maps_client: TestClient) -> None:
    html = maps_client.get("/maps").text
    assert 'href="/maps/layers?lang=zh"' in html and "图层总览" in html
    assert "All layers" in maps_client.get("/maps?lang=en").text


def test_layer_features_for_pages(maps_client: TestClient) -> None:
    data = json.loads(maps_client.get("/maps/data/roads").content)
    assert len(data["g"]) == 25 and data["g"][0]["type"] == "LineString"
    assert set(data["p"][0]) == {"edge_id"}  # highway is the same on every road: sent once
    missing = maps_client.get("/maps/data/nope")
    assert missing.status_code == 404


def test_pages_are_rebuilt_when_a_layer_changes(store_copy: Path) -> None:
    with TestClient(maps_app(store_copy)) as client:
        first = client.get("/maps/layers").text
        assert client.get("/maps/layers").text == first
        store = open_store(store_copy)
        stations = store.read("stations")
        extra = gpd.GeoDataFrame(
            {
                "station_id": ["S9"],
                "name": ["新驿站"],
                "capacity_persons": [10],
                "status": ["运营"],
            },
            geometry=[shapely.Point(116.39, 39.91)],
            crs=4326,
        )
        grown = gpd.GeoDataFrame(
            [*stations.to_dict("records"), *extra.to_dict("records")], crs=4326
        )
        store.import_frame(grown, name="stations", kind="stations")
        store.close()
        client.app.state.catalog.refresh()  # type: ignore[attr-defined]
        assert "新驿站" in client.get("/maps/layers").text
