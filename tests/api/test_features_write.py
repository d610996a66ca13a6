"""OGC API - Features Part 4 on both stores: create, replace, update, delete; ETags and
If-Match (stale 412, missing 428); bad features 422 naming field and value with nothing
changed. Roles, read-only layers, the audit log and coverage: test_features_rules.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import hash_password, issue_token
from api.config import Settings
from layers.records import RecordStore, User, open_record_store
from layers.store import open_store
from tests.api.conftest import LAYERS

ITEMS = "/collections/stations/items"
LINE = {"type": "LineString", "coordinates": [[116.38, 39.9], [116.39, 39.91]]}
ROLES = ("admin", "planner", "inspector", "viewer")


@dataclass
class World:
    """A private small store on the module's backend, the service over it, and a token
    per role."""

    location: str
    client: TestClient
    records: RecordStore
    tokens: dict[str, str]

    def auth(self, role: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **headers}

    def version(self) -> int:
        return int(self.client.get("/collections/stations").json()["version"])

    def etag(self, feature_id: str) -> str:
        response = self.client.get(f"{ITEMS}/{feature_id}")
        assert response.status_code == 200, response.text
        return response.headers["ETag"]

    def actions(self) -> list[tuple[str, str, str]]:
        return [(e.action, e.target, e.actor) for e in self.records.audit_log()]


def fill(location: str) -> tuple[RecordStore, dict[str, str]]:
    """The small store's layers, one user and token per role."""
    store = open_store(location)
    try:
        for kind, build in LAYERS.items():
            store.import_frame(build(), name=kind, kind=kind)
    finally:
        store.close()
    records = open_record_store(location)
    password_hash = _password_hash()
    for role in ROLES:
        records.add_user(User(role, role, role.title(), password_hash), actor="cli")  # type: ignore[arg-type]
    return records, {role: issue_token(records, role, actor="cli")[0] for role in ROLES}


@cache
def _password_hash() -> str:
    return hash_password("correct horse battery")  # argon2: a third of a second, once


def make_world(new_location: Callable[[str], str]) -> Iterator[World]:
    """A new world on the module's backend, its records closed after use."""
    location = new_location("part4")
    records, tokens = fill(location)
    try:
        with TestClient(create_app(Settings(store=location))) as client:
            yield World(location, client, records, tokens)
    finally:
        records.close()


@pytest.fixture
def world(new_location: Callable[[str], str]) -> Iterator[World]:
    yield from make_world(new_location)


def station(station_id: str = "S9", lon: float = 116.386, lat: float = 39.911, **props: Any):
    base = {"station_id": station_id, "name": "新驿站", "capacity_persons": 25, "status": "运营"}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {**base, **props},
    }


# -- create, replace, update, delete ---------------------------------------------------------


def test_create_answers_201_with_location_and_etag(world: World) -> None:
    before = world.version()
    response = world.client.post(
        ITEMS, json=station(operator="街道"), headers=world.auth("planner")
    )
    assert response.status_code == 201, response.text
    assert response.headers["Location"].endswith(f"{ITEMS}/S9")
    body = response.json()
    assert (body["id"], body["properties"]["operator"]) == ("S9", "街道")
    assert body["geometry"]["coordinates"] == [116.386, 39.911]
    assert world.etag("S9") == response.headers["ETag"]
    collection = world.client.get("/collections/stations").json()
    assert (collection["numberOfFeatures"], collection["version"]) == (6, before + 1)
    assert world.actions()[-1] == ("feature.create", "layer:stations/S9", "planner")


def test_create_takes_the_feature_id_or_makes_one(world: World) -> None:
    feature = station()
    del feature["properties"]["station_id"]
    named = world.client.post(ITEMS, json={**feature, "id": "S7"}, headers=world.auth("admin"))
    assert named.status_code == 201 and named.json()["properties"]["station_id"] == "S7"
    made = world.client.post(ITEMS, json=feature, headers=world.auth("admin"))
    assert made.status_code == 201
    new_id = made.json()["id"]
    assert len(new_id) == 32 and made.headers["Location"].endswith(new_id)


def test_create_takes_geojson_media_type(world: World) -> None:
    text = json.dumps(station("S6"), ensure_ascii=False).encode()
    headers = world.auth("planner", **{"Content-Type": "application/geo+json"})
    response = world.client.post(ITEMS, content=text, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/geo+json"


def test_create_with_a_taken_id_is_409_and_changes_nothing(world: World) -> None:
    before = world.version()
    response = world.client.post(ITEMS, json=station("S1"), headers=world.auth("planner"))
    assert response.status_code == 409
    assert "S1" in response.json()["detail"] and "已有" in response.json()["detail"]
    assert world.version() == before


def test_replace_sets_every_property_and_gives_a_new_etag(world: World) -> None:
    old = world.etag("S2")
    body = station("S2", 116.3951, 39.9151, capacity_persons=70)
    response = world.client.put(
        f"{ITEMS}/S2", json=body, headers=world.auth("planner", **{"If-Match": old})
    )
    assert response.status_code == 200, response.text
    new = response.headers["ETag"]
    assert new != old and new == world.etag("S2")
    props = world.client.get(f"{ITEMS}/S2").json()["properties"]
    assert (props["name"], props["capacity_persons"], props["star_rating"]) == ("新驿站", 70, None)
    assert world.actions()[-1] == ("feature.replace", "layer:stations/S2", "planner")


def test_patch_changes_only_what_is_sent(world: World) -> None:
    before = world.client.get(f"{ITEMS}/S1").json()
    headers = world.auth("planner", **{"If-Match": world.etag("S1")})
    changes = {"properties": {"capacity_persons": 99, "star_rating": None}}
    response = world.client.patch(f"{ITEMS}/S1", json=changes, headers=headers)
    assert response.status_code == 200, response.text
    after = world.client.get(f"{ITEMS}/S1").json()
    assert after["geometry"] == before["geometry"]
    expected = {**before["properties"], "capacity_persons": 99, "star_rating": None}
    assert after["properties"] == expected
    assert world.actions()[-1] == ("feature.update", "layer:stations/S1", "planner")


def test_patch_moves_a_station(world: World) -> None:
    headers = world.auth("admin", **{"If-Match": world.etag("S5")})
    move = {"geometry": {"type": "Point", "coordinates": [116.41, 39.91]}}
    response = world.client.patch(f"{ITEMS}/S5", json=move, headers=headers)
    assert response.status_code == 200, response.text
    inside = world.client.get(ITEMS, params={"bbox": "116.40,39.90,116.42,39.92"}).json()
    assert "S5" in {f["id"] for f in inside["features"]}


def test_delete_removes_the_feature(world: World) -> None:
    before = world.version()
    headers = world.auth("planner", **{"If-Match": world.etag("S4")})
    response = world.client.delete(f"{ITEMS}/S4", headers=headers)
    assert (response.status_code, response.content) == (204, b"")
    assert world.client.get(f"{ITEMS}/S4").status_code == 404
    assert world.client.get("/collections/stations").json()["numberOfFeatures"] == 4
    assert world.version() == before + 1
    assert world.actions()[-1] == ("feature.delete", "layer:stations/S4", "planner")


def test_an_unknown_feature_is_404(world: World) -> None:
    headers = world.auth("planner", **{"If-Match": '"x"'})
    assert (
        world.client.put(f"{ITEMS}/S404", json=station("S404"), headers=headers).status_code == 404
    )
    assert world.client.delete(f"{ITEMS}/S404", headers=headers).status_code == 404


# -- ETags and If-Match ----------------------------------------------------------------------


def test_stale_or_missing_if_match_changes_nothing(world: World) -> None:
    old = world.etag("S1")
    headers = world.auth("planner", **{"If-Match": old})
    first = world.client.patch(f"{ITEMS}/S1", json={"properties": {"name": "甲"}}, headers=headers)
    assert first.status_code == 200
    version = world.version()
    stale = world.client.patch(f"{ITEMS}/S1", json={"properties": {"name": "乙"}}, headers=headers)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed" and "重新读取" in stale.json()["detail"]
    assert world.client.delete(f"{ITEMS}/S1", headers=headers).status_code == 412
    for if_match in (None, "*", ""):
        sent = (
            world.auth("planner")
            if if_match is None
            else world.auth("planner", **{"If-Match": if_match})
        )
        missing = world.client.put(f"{ITEMS}/S1", json=station("S1"), headers=sent)
        assert missing.status_code == 428, if_match
        assert missing.json()["code"] == "precondition_required"
    weak = world.auth("planner", **{"If-Match": f"W/{first.headers['ETag']}"})
    assert world.client.delete(f"{ITEMS}/S1", headers=weak).status_code == 412
    assert world.version() == version
    assert world.client.get(f"{ITEMS}/S1").json()["properties"]["name"] == "甲"


def test_a_get_with_the_current_etag_is_304(world: World) -> None:
    etag = world.etag("S1")
    unchanged = world.client.get(f"{ITEMS}/S1", headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["ETag"]) == (304, b"", etag)
    weak = world.client.get(f"{ITEMS}/S1", headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304  # If-None-Match compares weakly
    headers = world.auth("planner", **{"If-Match": etag})
    world.client.patch(f"{ITEMS}/S1", json={"properties": {"name": "新"}}, headers=headers)
    changed = world.client.get(f"{ITEMS}/S1", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["properties"]["name"] == "新"


def test_an_item_etag_survives_edits_of_other_items(world: World) -> None:
    s3 = world.etag("S3")
    headers = world.auth("planner", **{"If-Match": world.etag("S2")})
    assert (
        world.client.patch(
            f"{ITEMS}/S2", json={"properties": {"name": "乙"}}, headers=headers
        ).status_code
        == 200
    )
    assert world.etag("S3") == s3
    later = world.auth("planner", **{"If-Match": s3})
    assert (
        world.client.patch(
            f"{ITEMS}/S3", json={"properties": {"name": "丙"}}, headers=later
        ).status_code
        == 200
    )


# -- bad features ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feature", "field", "value"),
    [
        (station(capacity_persons=-5), "capacity_persons", -5),
        (station(status="营业中"), "status", "营业中"),
        (station(capacity="10"), "capacity", "10"),
        (station(name=["甲", "乙"]), "name", '["甲", "乙"]'),
        ({**station(), "geometry": LINE}, "geometry", "LineString"),
        ({**station(), "geometry": {"type": "Point", "coordinates": "116.38"}}, "geometry", None),
        ({**station(), "geometry": None}, "geometry", None),
        (station(lon=39.91, lat=116.386), "geometry", None),
    ],
)  # fmt: skip
def test_a_bad_feature_is_422_naming_field_and_value(
    world: World, feature: dict[str, Any], field: str, value: Any
) -> None:
    before = world.version()
    response = world.client.post(ITEMS, json=feature, headers=world.auth("planner"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_feature" and "未做任何修改" in body["detail"]
    problem = next(p for p in body["problems"] if p["field"] == field)
    if value is not None:
        assert problem["value"] == value
    assert world.version() == before
    assert world.client.get(f"{ITEMS}/S9").status_code == 404


def test_a_bad_patch_lists_every_problem_and_changes_nothing(world: World) -> None:
    old = world.etag("S1")
    changes = {"properties": {"capacity_persons": -3, "colour": "红", "station_id": "S8"}}
    headers = world.auth("planner", **{"If-Match": old})
    response = world.client.patch(f"{ITEMS}/S1", json=changes, headers=headers)
    assert response.status_code == 422
    assert {p["field"] for p in response.json()["problems"]} == {"station_id"}  # id first
    changes["properties"].pop("station_id")
    response = world.client.patch(f"{ITEMS}/S1", json=changes, headers=headers)
    assert {(p["field"], p["value"]) for p in response.json()["problems"]} == {
        ("capacity_persons", -3),
        ("colour", "红"),
    }
    assert world.etag("S1") == old
