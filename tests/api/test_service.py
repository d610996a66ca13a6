"""The service as a whole: health, landing page, conformance, OpenAPI, app start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from tests.api.conftest import LAYERS


def test_healthz_reports_store_and_layer_count(client: TestClient, small_store: Path) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": str(small_store), "layers": len(LAYERS)}


def test_healthz_is_503_when_the_store_cannot_be_read(store_copy: Path) -> None:
    with TestClient(create_app(Settings(store=str(store_copy)))) as client:
        assert client.get("/healthz").status_code == 200
        store_copy.write_bytes(b"this is not a GeoPackage any more " * 200)
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "store_unavailable"
    assert " / " in body["detail"]


def test_landing_page_links_to_api_conformance_and_data(client: TestClient) -> None:
    body = client.get("/").json()
    assert "民政" in body["title"]
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(links)
    assert client.get(links["data"]).json()["collections"]
    assert client.get(links["service-desc"]).json()["openapi"].startswith("3.")
    assert client.get(links["service-doc"]).headers["content-type"].startswith("text/html")


def test_conformance_declares_core_and_geojson(client: TestClient) -> None:
    classes = client.get("/conformance").json()["conformsTo"]
    base = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
    assert base + "core" in classes
    assert base + "geojson" in classes


def test_openapi_document_lists_the_paths(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = set(document["paths"])
    expected = {
        "/",
        "/conformance",
        "/collections",
        "/collections/{layer}",
        "/collections/{layer}/items",
        "/collections/{layer}/items/{feature_id}",
        "/healthz",
    }
    assert expected <= paths
    items = document["paths"]["/collections/{layer}/items"]["get"]
    assert {p["name"] for p in items["parameters"]} >= {"layer", "bbox", "limit", "offset"}
    assert "application/geo+json" in items["responses"]["200"]["content"]


def test_unknown_route_is_a_bilingual_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.json() == {"code": "http_404", "detail": "Not Found / 未找到"}


def test_catalog_sees_a_layer_written_after_start(store_copy: Path) -> None:
    from layers.store import open_store
    from tests.api.conftest import _stations

    with TestClient(create_app(Settings(store=str(store_copy)))) as client:
        assert client.get("/collections/stations2").status_code == 404
        store = open_store(store_copy)
        store.import_frame(_stations(), name="stations2", kind="stations")
        store.close()
        response = client.get("/collections/stations2")
    assert response.status_code == 200
    assert response.json()["numberOfFeatures"] == 5


def test_requests_before_start_get_503_not_500(small_store: Path) -> None:
    client = TestClient(create_app(Settings(store=str(small_store))))  # lifespan not run
    response = client.get("/collections")
    assert response.status_code == 503
    assert response.json()["code"] == "store_unavailable"


def test_app_on_the_demo_store(demo_store: Path) -> None:
    with TestClient(create_app(Settings(store=str(demo_store)))) as client:
        collections = {c["id"]: c for c in client.get("/collections").json()["collections"]}
        assert {"communities", "stations", "roads", "shelters"} <= set(collections)
        roads = client.get("/collections/roads/items", params={"limit": 1000})
    assert roads.status_code == 200
    body = roads.json()
    assert body["numberMatched"] == collections["roads"]["numberOfFeatures"]
    assert body["numberReturned"] == min(1000, body["numberMatched"])
    x0, y0, x1, y1 = collections["communities"]["extent"]["spatial"]["bbox"][0]
    assert 116.0 < x0 < x1 < 116.6
    assert 39.7 < y0 < y1 < 40.1


@pytest.mark.parametrize("name", ["MZGIS_PORT", "MZGIS_LANG"])
def test_settings_refuse_bad_environment(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv(name, "not-valid")
    with pytest.raises(ValidationError):
        Settings()


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MZGIS_STORE", str(tmp_path / "x.gpkg"))
    monkeypatch.setenv("MZGIS_PORT", "8123")
    monkeypatch.setenv("MZGIS_TILE_URL", "http://tiles.local/{z}/{x}/{y}.png")
    settings = Settings()
    assert (settings.store, settings.port) == (str(tmp_path / "x.gpkg"), 8123)
    assert settings.tile_url == "http://tiles.local/{z}/{x}/{y}.png"
    assert settings.lang == "zh"
    assert not settings.uses_demo_store
    monkeypatch.setenv("MZGIS_TILE_URL", "http://tiles.local/tile.png")
    with pytest.raises(ValueError, match=r"\{z\}"):
        Settings()


def test_default_store_is_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    from layers.demo import DEFAULT_STORE

    monkeypatch.delenv("MZGIS_STORE", raising=False)
    settings = Settings()
    assert Path(settings.store) == DEFAULT_STORE
    assert settings.uses_demo_store


@pytest.mark.slow
def test_missing_demo_store_is_built_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import layers.demo

    target = tmp_path / "demo.gpkg"
    monkeypatch.setattr(layers.demo, "DEFAULT_STORE", target)
    monkeypatch.delenv("MZGIS_STORE", raising=False)
    settings = Settings()
    assert settings.uses_demo_store
    assert not target.exists()
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()
    assert target.exists()
    assert health["layers"] == 11
