"""A layer of inspection records (kind ``inspections``, inspector names in it) is read like
the records: never anonymously, not by inspectors as a layer, left out of listings and the
layers map for those who may not read it; read, its datetimes are ISO and JSON columns
nested."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.test_inspection_kit import Kit, build_kit, make_app

PATHS = ("/collections/inspections", "/collections/inspections/items", "/maps/data/inspections")


@pytest.fixture(scope="module")
def world(
    small_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Kit]]:
    path = tmp_path_factory.mktemp("record-layers") / "store.gpkg"
    shutil.copyfile(small_store, path)
    with build_kit(path) as kit, TestClient(make_app(kit.location)) as client:
        yield client, kit


def _listed(client: TestClient, headers: dict[str, str]) -> set[str]:
    answer = client.get("/collections", headers=headers)
    assert answer.status_code == 200
    return {c["id"] for c in answer.json()["collections"]}


@pytest.mark.parametrize("role", ["admin", "planner", "viewer"])
def test_readers_of_every_campaign_read_it(world: tuple[TestClient, Kit], role: str) -> None:
    client, kit = world
    assert "inspections" in _listed(client, kit.auth(role))
    for path in PATHS:
        assert client.get(path, headers=kit.auth(role)).status_code == 200, path


@pytest.mark.parametrize(("role", "status"), [("anon", 401), ("insp_left", 403), ("outsider", 403)])
def test_others_get_neither_the_layer_nor_its_name(
    world: tuple[TestClient, Kit], role: str, status: int
) -> None:
    client, kit = world
    headers = {} if role == "anon" else kit.auth(role)
    listed = _listed(client, headers)
    assert "inspections" not in listed and "stations" in listed
    for path in PATHS:
        answer = client.get(path, headers=headers)
        assert answer.status_code == status, (path, answer.text)
    page = client.get("/maps/layers", headers=headers)
    assert page.status_code == 200 and "王建国" not in page.text


def test_datetimes_are_iso_and_json_columns_nested(world: tuple[TestClient, Kit]) -> None:
    client, kit = world
    listed = client.get("/collections/inspections", headers=kit.auth("viewer")).json()
    assert listed["numberOfFeatures"] == 2
    answer = client.get("/collections/inspections/items", headers=kit.auth("viewer"))
    first, second = (f["properties"] for f in answer.json()["features"])
    stamp = dt.datetime.fromisoformat(first["inspected_at"])
    assert stamp == dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC)
    assert first["inspectors"] == ["张三", "李四"]
    assert first["photos"] is None
    assert second["photos"] == [{"file": "a.jpg", "sha256": "ab"}]
