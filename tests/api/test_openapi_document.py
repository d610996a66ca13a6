"""The OpenAPI document describes what the service really answers: real error responses
(400, 401, 403, 404, 405, 409, 412, 422, 428) and real bodies of users, inspections,
campaigns, the audit log and zone plans are validated against the schemas the document
declares for that operation and status ($refs resolved)."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.openapi.utils import get_openapi
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.config import Settings
from layers.store import open_store
from tests.api.conftest import LAYERS
from tests.api.test_inspection_kit import PASSWORD, build_kit, marker_body, segment_body
from tests.api.test_zones_api import _code, fill_grid

STATION = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [116.386, 39.911]},
    "properties": {"station_id": "S1", "name": "驿站", "capacity_persons": 5, "status": "运营"},
}


def validate(body: Any, schema: dict[str, Any], document: dict[str, Any]) -> None:
    """Validate ``body`` against ``schema``, its ``#/components/...`` refs resolved in
    ``document``."""
    rooted = {**schema, "components": document.get("components", {})}
    jsonschema.Draft202012Validator(rooted).validate(body)


def declared(document: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    operation = document["paths"][path][method.lower()]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {path} does not declare {status}"
    return dict(response["content"]["application/json"]["schema"])


def check(document: dict[str, Any], answer: Response, method: str, path: str) -> None:
    """``answer`` (to ``method`` on the route ``path``) matches the declared schema."""
    schema = declared(document, method, path, answer.status_code)
    validate(answer.json(), schema, document)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    """Line 0001 with its campaign and users (the inspection kit) and the small store's
    layers in one GeoPackage; the service over it and each user's headers."""
    location = tmp_path_factory.mktemp("openapi") / "world.gpkg"
    kit = build_kit(location)
    store = open_store(location)
    for kind, build in LAYERS.items():
        store.import_frame(build(), name=kind, kind=kind)
    store.close()
    auth = {name: kit.auth(name) for name in kit.tokens}
    try:
        with TestClient(create_app(Settings(store=str(location)))) as client:
            yield client, auth
    finally:
        kit.close()


@pytest.fixture(scope="module")
def document(world: tuple[TestClient, dict]) -> dict[str, Any]:
    return dict(world[0].get("/openapi.json").json())


def test_the_document_names_no_fastapi_validation_error(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "HTTPValidationError" not in text and '"ValidationError"' not in text
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert {"4XX", "503"} <= set(operation["responses"]), (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)


def test_every_route_with_a_body_or_a_token_declares_those_errors(document: dict) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            if "requestBody" in operation:
                assert "422" in statuses, (method, path)
            if operation.get("security"):
                assert {"401", "403"} <= statuses, (method, path)
            if "{" in path:
                assert {"400", "404"} <= statuses, (method, path)


ERROR_CASES = [
    # (method, url, route path, role, request keywords, status)
    ("POST", "/analyses/coverage", "/analyses/coverage", None,
     {"json": {"facilities": "stations", "radius_m": -1}}, 422),
    ("GET", "/collections/stations/items?limit=0", "/collections/{layer}/items", None, {}, 400),
    ("GET", "/collections/nope", "/collections/{layer}", None, {}, 404),
    ("GET", "/collections/stations/items/S404", "/collections/{layer}/items/{feature_id}", None,
     {}, 404),
    ("GET", "/users/me", "/users/me", None, {}, 401),
    ("POST", "/collections/stations/items", "/collections/{layer}/items", "viewer",
     {"json": STATION}, 403),
    ("POST", "/collections/roads/items", "/collections/{layer}/items", "admin",
     {"json": STATION}, 405),
    ("POST", "/collections/stations/items", "/collections/{layer}/items", "admin",
     {"json": STATION}, 409),
    ("PATCH", "/collections/stations/items/S1", "/collections/{layer}/items/{feature_id}",
     "admin", {"json": {}, "headers": {"If-Match": '"stale"'}}, 412),
    ("PATCH", "/collections/stations/items/S1", "/collections/{layer}/items/{feature_id}",
     "admin", {"json": {}}, 428),
    ("POST", "/collections/stations/items", "/collections/{layer}/items", "admin",
     {"json": {**STATION, "properties": {**STATION["properties"], "station_id": "S8",
                                         "capacity_persons": -1}}}, 422),
    ("PATCH", f"/inspections/{uuid.uuid4()}", "/inspections/{record_id}", "admin",
     {"json": {}}, 428),
    ("GET", "/inspections?limit=0", "/inspections", "admin", {}, 400),
    ("GET", "/inspections/campaigns/nope", "/inspections/campaigns/{campaign_id}", "admin", {},
     404),
    ("GET", "/inspections/audit", "/inspections/audit", "planner", {}, 403),
    ("POST", "/users", "/users", "admin",
     {"json": {"username": "x1", "role": "viewer", "password": "short"}}, 422),
    ("POST", "/auth/token", "/auth/token", None,
     {"data": {"username": "admin", "password": "wrong password!"}}, 401),
    ("GET", "/analyses/zones/nope", "/analyses/zones/{plan_id}", None, {}, 404),
]  # fmt: skip


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: f"{c[0]} {c[1]} {c[5]}")
def test_real_error_bodies_match_the_document(
    world: tuple[TestClient, dict], document: dict[str, Any], case: tuple[Any, ...]
) -> None:
    method, url, path, role, kwargs, status = case
    client, auth = world
    headers = {**(auth[role] if role else {}), **kwargs.get("headers", {})}
    sent = {k: v for k, v in kwargs.items() if k != "headers"}
    answer = client.request(method, url, headers=headers, **sent)
    assert answer.status_code == status, answer.text
    check(document, answer, method, path)


def test_fastapi_default_error_schema_would_not_match_a_real_422(
    world: tuple[TestClient, dict], document: dict[str, Any]
) -> None:
    """The check above can fail: FastAPI's own document (``detail`` an array) rejects the
    body the service really sends."""
    client, auth = world
    short = {"username": "x2", "role": "viewer", "password": "short"}
    answer = client.post("/users", json=short, headers=auth["admin"])
    assert answer.status_code == 422
    app = client.app
    default = get_openapi(title="t", version="0", routes=app.routes)  # type: ignore[attr-defined]
    schema = declared(default, "POST", "/users", 422)
    assert schema["$ref"].endswith("/HTTPValidationError")
    with pytest.raises(jsonschema.ValidationError):
        validate(answer.json(), schema, default)
    check(document, answer, "POST", "/users")


def test_users_and_tokens_match_their_models(
    world: tuple[TestClient, dict], document: dict[str, Any]
) -> None:
    client, auth = world
    form = {"username": "planner", "password": PASSWORD}
    check(document, client.post("/auth/token", data=form), "POST", "/auth/token")
    check(document, client.get("/users/me", headers=auth["insp_left"]), "GET", "/users/me")
    check(document, client.get("/users", headers=auth["admin"]), "GET", "/users")
    new = {"username": "newbie", "role": "viewer", "password": "a long enough one"}
    created = client.post("/users", json=new, headers=auth["admin"])
    assert created.status_code == 201
    check(document, created, "POST", "/users")


def test_inspection_records_match_their_models(
    world: tuple[TestClient, dict], document: dict[str, Any]
) -> None:
    client, auth = world
    body = marker_body()
    created = client.post("/inspections", json=body, headers=auth["insp_left"])
    assert created.status_code == 201, created.text
    check(document, created, "POST", "/inspections")
    replay = client.post("/inspections", json=body, headers=auth["insp_left"])
    assert replay.status_code == 200
    clash = client.post("/inspections", json={**body, "notes": "另一份"}, headers=auth["insp_left"])
    assert clash.status_code == 409
    check(document, clash, "POST", "/inspections")
    one = f"/inspections/{body['record_id']}"
    changed = client.patch(
        one,
        json={"notes": "补充"},
        headers={**auth["insp_left"], "If-Match": created.headers["ETag"]},
    )
    check(document, changed, "PATCH", "/inspections/{record_id}")
    stale = client.patch(
        one, json={"notes": "x"}, headers={**auth["insp_left"], "If-Match": created.headers["ETag"]}
    )
    assert stale.status_code == 412
    check(document, stale, "PATCH", "/inspections/{record_id}")
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256))
    files = {"file": ("a.jpg", jpeg, "image/jpeg")}
    digest = {"sha256": hashlib.sha256(jpeg).hexdigest()}
    photo = client.post(f"{one}/photos", files=files, data=digest, headers=auth["admin"])
    assert photo.status_code == 201, photo.text
    check(document, photo, "POST", "/inspections/{record_id}/photos")
    review = client.post(
        f"{one}/review",
        json={"state": "approved"},
        headers={**auth["planner"], "If-Match": changed.headers["ETag"]},
    )
    check(document, review, "POST", "/inspections/{record_id}/review")
    late = client.post(f"{one}/photos", files=files, data=digest, headers=auth["admin"])
    assert late.status_code == 409  # approved: no more photos
    check(document, late, "POST", "/inspections/{record_id}/photos")
    closed = client.patch(
        one, json={"notes": "y"}, headers={**auth["admin"], "If-Match": review.headers["ETag"]}
    )
    assert closed.status_code == 409
    check(document, closed, "PATCH", "/inspections/{record_id}")
    read = client.get(one, headers=auth["admin"])
    assert read.json()["reviews"]
    check(document, read, "GET", "/inspections/{record_id}")
    check(document, client.get("/inspections", headers=auth["admin"]), "GET", "/inspections")
    segment = client.post("/inspections/segments", json=segment_body(), headers=auth["insp_left"])
    check(document, segment, "POST", "/inspections/segments")
    listed = client.get("/inspections/segments", headers=auth["admin"])
    check(document, listed, "GET", "/inspections/segments")


def test_campaigns_and_the_audit_log_match_their_models(
    world: tuple[TestClient, dict], document: dict[str, Any]
) -> None:
    client, auth = world
    base = "/inspections/campaigns"
    check(document, client.get(base, headers=auth["admin"]), "GET", base)
    one = f"{base}/2025-0001"
    check(document, client.get(one, headers=auth["admin"]), "GET", f"{base}/{{campaign_id}}")
    progress = client.get(f"{one}/progress", headers=auth["admin"])
    check(document, progress, "GET", f"{base}/{{campaign_id}}/progress")
    member = client.put(f"{one}/members/viewer", json={"side": "left"}, headers=auth["planner"])
    check(document, member, "PUT", f"{base}/{{campaign_id}}/members/{{username}}")
    opened = client.post(
        base,
        json={"campaign_id": "2030-0002", "line_code": "0002", "round_no": 2, "year": 2030},
        headers=auth["planner"],
    )
    assert opened.status_code == 201, opened.text
    check(document, opened, "POST", base)
    taken = client.post(
        base,
        json={"campaign_id": "2030-0002", "line_code": "0002", "round_no": 2, "year": 2030},
        headers=auth["planner"],
    )
    assert taken.status_code == 409
    check(document, taken, "POST", base)
    audit = client.get("/inspections/audit", headers=auth["admin"])
    check(document, audit, "GET", "/inspections/audit")
    verify = client.get("/inspections/audit/verify", headers=auth["admin"])
    check(document, verify, "GET", "/inspections/audit/verify")


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    path = tmp_path_factory.mktemp("openapi_zones") / "grid.gpkg"
    store = open_store(path)
    headers = fill_grid(store)
    store.close()
    with TestClient(create_app(Settings(store=str(path)))) as client:
        yield client, {role: {"Authorization": value} for role, value in headers.items()}
    shutil.rmtree(Path(path).parent, ignore_errors=True)


def test_zone_plans_match_their_models(zones: tuple[TestClient, dict]) -> None:
    client, auth = zones
    document = client.get("/openapi.json").json()
    solved = client.post("/analyses/zones", json={}, headers=auth["planner"])
    assert solved.status_code == 200, solved.text
    check(document, solved, "POST", "/analyses/zones")
    plan = f"/analyses/zones/{solved.json()['plan_id']}"
    check(document, client.get("/analyses/zones"), "GET", "/analyses/zones")
    table = client.get(plan)
    check(document, table, "GET", "/analyses/zones/{plan_id}")
    rows = [{"unit": r["unit_id"], "station": r["station_id"]} for r in table.json()["assignment"]]
    checked = client.post("/analyses/zones/validate", json={"assignment": rows})
    assert checked.status_code == 200, checked.text
    check(document, checked, "POST", "/analyses/zones/validate")
    check(document, client.get(f"{plan}/versions"), "GET", "/analyses/zones/{plan_id}/versions")
    version = client.get(f"{plan}/versions/1")
    check(document, version, "GET", "/analyses/zones/{plan_id}/versions/{version}")
    check(document, client.get(f"{plan}/report"), "GET", "/analyses/zones/{plan_id}/report")
    edits = f"{plan}/edits"
    body = {"locks": [_code(0, 0)]}
    edited = client.post(edits, json=body, headers={**auth["planner"], "If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    check(document, edited, "POST", "/analyses/zones/{plan_id}/edits")
    stale = client.post(edits, json=body, headers={**auth["planner"], "If-Match": '"1"'})
    assert stale.status_code == 412
    check(document, stale, "POST", "/analyses/zones/{plan_id}/edits")
    missing = client.post(edits, json=body, headers=auth["planner"])
    assert missing.status_code == 428
    check(document, missing, "POST", "/analyses/zones/{plan_id}/edits")
