"""Role × endpoint: every inspection and user endpoint, called by every role, is allowed or
denied exactly as the table below says (written by hand from the brief, not derived from
``api.auth.PERMISSIONS``). A denied write changes nothing.

Roles: ``admin``, ``planner``, ``insp_left`` (member, and owner of the target records),
``insp_right`` (member, not the owner), ``outsider`` (an inspector of no campaign),
``viewer``, and ``anon`` (no token). The whole table runs on a GeoPackage and on PostGIS.
Denied is 401 without a token and 403 with one, except where an outsider names a record by
id: that record is not in their campaigns, so the answer is the 404 of an unused id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from layers.records import RecordStore, User
from tests.api.test_inspection_kit import (
    Kit,
    build_kit,
    make_app,
    marker_body,
    segment_body,
)

ROLES = ("admin", "planner", "insp_left", "insp_right", "outsider", "viewer", "anon")
JPEG = b"\xff\xd8\xff\xe0" + b"matrix" * 20
JPEG_SHA = hashlib.sha256(JPEG).hexdigest()
C = "/inspections/campaigns/2025-0001"

#: endpoint → the roles allowed (everyone else: 401 without a token, 403 with one; an
#: outsider naming a record by id: 404, see :data:`UNSEEN`)
ALL = {"admin", "planner", "insp_left", "insp_right", "outsider", "viewer"}
MEMBERS = ALL - {"outsider"}
EXPECTED: dict[str, set[str]] = {
    "GET /inspections": ALL,  # an outsider gets an empty list
    "POST /inspections": {"admin", "insp_left", "insp_right"},
    "GET /inspections/{rid}": MEMBERS,
    "PATCH /inspections/{rid}": {"admin", "insp_left"},
    "POST /inspections/{rid}/review": {"admin", "planner"},
    "POST /inspections/{rid}/photos": {"admin", "insp_left"},
    "GET /inspections/{rid}/photos/{sha}": MEMBERS,
    "GET /inspections/segments": ALL,
    "POST /inspections/segments": {"admin", "insp_left", "insp_right"},
    "GET /inspections/segments/{sid}": MEMBERS,
    "PATCH /inspections/segments/{sid}": {"admin", "insp_left"},
    "POST /inspections/segments/{sid}/review": {"admin", "planner"},
    "GET /inspections/campaigns": ALL,
    "POST /inspections/campaigns": {"admin", "planner"},
    "GET /inspections/campaigns/{cid}": MEMBERS,
    "PUT /inspections/campaigns/{cid}/members/{user}": {"admin", "planner"},
    "GET /inspections/campaigns/{cid}/progress": MEMBERS,
    "GET /inspections/campaigns/{cid}/bundle": MEMBERS,
    "GET /inspections/campaigns/{cid}/report.html": {"admin", "planner", "viewer"},
    "GET /inspections/campaigns/{cid}/report.xlsx": {"admin", "planner", "viewer"},
    "GET /inspections/campaigns/{cid}/report.gpkg": {"admin", "planner", "viewer"},
    "GET /inspections/audit": {"admin"},
    "GET /inspections/audit/verify": {"admin"},
    "GET /maps/inspection": MEMBERS,
    "GET /users": {"admin"},
    "POST /users": {"admin"},
    "GET /users/me": ALL,
    "POST /users/{user}/disable": {"admin"},
    "POST /users/{user}/enable": {"admin"},
    "POST /users/{user}/revoke": {"admin"},
    "PUT /users/{user}/password": {"admin"},
    "DELETE /users/{user}": {"admin"},
}
#: the user each role acts on in each user-management call (made with the world)
MANAGED = ("disable", "enable", "revoke", "password", "remove")


@dataclass
class Target:
    """Records made fresh for one call (by ``insp_left``)."""

    rid: str
    rid_etag: str
    sid: str
    sid_etag: str


Call = Callable[[TestClient, dict[str, str], Target, str], Any]


def fresh_target(client: TestClient, kit: Kit) -> Target:
    auth = kit.auth("insp_left")
    marker = client.post(
        "/inspections", json=marker_body(photos=[{"sha256": JPEG_SHA}]), headers=auth
    )
    segment = client.post("/inspections/segments", json=segment_body(), headers=auth)
    rid = marker.json()["record_id"]
    client.post(
        f"/inspections/{rid}/photos",
        files={"file": ("a.jpg", JPEG)},
        data={"sha256": JPEG_SHA},
        headers=auth,
    )
    return Target(rid, marker.headers["etag"], segment.json()["record_id"], segment.headers["etag"])


def _if(h: dict[str, str], etag: str) -> dict[str, str]:
    return {**h, "If-Match": etag}


CALLS: dict[str, Call] = {
    "GET /inspections": lambda c, h, t, r: c.get("/inspections", headers=h),
    "POST /inspections": lambda c, h, t, r: c.post("/inspections", json=marker_body(), headers=h),
    "GET /inspections/{rid}": lambda c, h, t, r: c.get(f"/inspections/{t.rid}", headers=h),
    "PATCH /inspections/{rid}": lambda c, h, t, r: c.patch(
        f"/inspections/{t.rid}", json={"notes": r}, headers=_if(h, t.rid_etag)
    ),
    "POST /inspections/{rid}/review": lambda c, h, t, r: c.post(
        f"/inspections/{t.rid}/review", json={"state": "approved"}, headers=_if(h, t.rid_etag)
    ),
    "POST /inspections/{rid}/photos": lambda c, h, t, r: c.post(
        f"/inspections/{t.rid}/photos",
        files={"file": ("b.png", b"\x89PNG\r\n\x1a\n" + r.encode())},
        data={"sha256": hashlib.sha256(b"\x89PNG\r\n\x1a\n" + r.encode()).hexdigest()},
        headers=h,
    ),
    "GET /inspections/{rid}/photos/{sha}": lambda c, h, t, r: c.get(
        f"/inspections/{t.rid}/photos/{JPEG_SHA}", headers=h
    ),
    "GET /inspections/segments": lambda c, h, t, r: c.get("/inspections/segments", headers=h),
    "POST /inspections/segments": lambda c, h, t, r: c.post(
        "/inspections/segments", json=segment_body(), headers=h
    ),
    "GET /inspections/segments/{sid}": lambda c, h, t, r: c.get(
        f"/inspections/segments/{t.sid}", headers=h
    ),
    "PATCH /inspections/segments/{sid}": lambda c, h, t, r: c.patch(
        f"/inspections/segments/{t.sid}", json={"notes": r}, headers=_if(h, t.sid_etag)
    ),
    "POST /inspections/segments/{sid}/review": lambda c, h, t, r: c.post(
        f"/inspections/segments/{t.sid}/review",
        json={"state": "rejected"},
        headers=_if(h, t.sid_etag),
    ),
    "GET /inspections/campaigns": lambda c, h, t, r: c.get("/inspections/campaigns", headers=h),
    "POST /inspections/campaigns": lambda c, h, t, r: c.post(
        "/inspections/campaigns",
        json={"campaign_id": f"2030-{r}", "line_code": "0002", "round_no": 2, "year": 2030},
        headers=h,
    ),
    "GET /inspections/campaigns/{cid}": lambda c, h, t, r: c.get(C, headers=h),
    "PUT /inspections/campaigns/{cid}/members/{user}": lambda c, h, t, r: c.put(
        f"{C}/members/viewer", json={"side": "left"}, headers=h
    ),
    "GET /inspections/campaigns/{cid}/progress": lambda c, h, t, r: c.get(
        f"{C}/progress", headers=h
    ),
    "GET /inspections/campaigns/{cid}/bundle": lambda c, h, t, r: c.get(f"{C}/bundle", headers=h),
    "GET /inspections/campaigns/{cid}/report.html": lambda c, h, t, r: c.get(
        f"{C}/report.html", headers=h
    ),
    "GET /inspections/campaigns/{cid}/report.xlsx": lambda c, h, t, r: c.get(
        f"{C}/report.xlsx", headers=h
    ),
    "GET /inspections/campaigns/{cid}/report.gpkg": lambda c, h, t, r: c.get(
        f"{C}/report.gpkg", headers=h
    ),
    "GET /inspections/audit": lambda c, h, t, r: c.get("/inspections/audit", headers=h),
    "GET /inspections/audit/verify": lambda c, h, t, r: c.get(
        "/inspections/audit/verify", headers=h
    ),
    "GET /maps/inspection": lambda c, h, t, r: c.get(
        "/maps/inspection", params={"campaign_id": "2025-0001"}, headers=h
    ),
    "GET /users": lambda c, h, t, r: c.get("/users", headers=h),
    "POST /users": lambda c, h, t, r: c.post(
        "/users",
        json={"username": f"new_{r}", "role": "viewer", "password": "long enough password"},
        headers=h,
    ),
    "GET /users/me": lambda c, h, t, r: c.get("/users/me", headers=h),
    "POST /users/{user}/disable": lambda c, h, t, r: c.post(
        f"/users/mx_disable_{r}/disable", headers=h
    ),
    "POST /users/{user}/enable": lambda c, h, t, r: c.post(
        f"/users/mx_enable_{r}/enable", headers=h
    ),
    "POST /users/{user}/revoke": lambda c, h, t, r: c.post(
        f"/users/mx_revoke_{r}/revoke", headers=h
    ),
    "PUT /users/{user}/password": lambda c, h, t, r: c.put(
        f"/users/mx_password_{r}/password", json={"password": "Matrix-Reset-Pass-1"}, headers=h
    ),
    "DELETE /users/{user}": lambda c, h, t, r: c.delete(f"/users/mx_remove_{r}", headers=h),
}
#: endpoints naming a record by id that an outsider's role may call: the record is looked
#: for only in the caller's campaigns, so the outsider gets what an unused id gets (404)
UNSEEN = {k for k in CALLS if ("{rid}" in k or "{sid}" in k) and not k.endswith("/review")}
#: endpoints that change their target record: an allowed call gets fresh records (a denied
#: one uses the shared records, which it must leave unchanged)
CHANGES_TARGET = {k for k in CALLS if not k.startswith("GET") and ("{rid}" in k or "{sid}" in k)}


def add_managed_users(records: RecordStore, roles: tuple[str, ...]) -> None:
    """The users each role acts on in the user-management calls of :data:`CALLS`."""
    for action in MANAGED:
        for role in roles:
            records.add_user(User(f"mx_{action}_{role}", "viewer", "x", "!"), actor="test")


@pytest.fixture(scope="module")
def world(new_location: Callable[[str], str]) -> Iterator[tuple[TestClient, Kit, Target]]:
    """One world per backend: the service, its store, and the shared target records."""
    with (
        build_kit(new_location("matrix")) as kit,
        TestClient(make_app(kit.location)) as client,
    ):
        add_managed_users(kit.records, ROLES)
        yield client, kit, fresh_target(client, kit)


def test_the_table_covers_every_inspection_and_user_route(
    world: tuple[TestClient, Kit, Target],
) -> None:
    client, _, _ = world
    paths = client.get("/openapi.json").json()["paths"]
    routes = {
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if path.startswith(("/inspections", "/users", "/maps/inspection"))
    }

    def normal(key: str) -> str:
        for long, short in (
            ("record_id", "id"),
            ("rid", "id"),
            ("sid", "id"),
            ("campaign_id", "cid"),
            ("username", "user"),
            ("sha256", "sha"),
        ):
            key = key.replace("{" + long + "}", "{" + short + "}")
        return key

    assert {normal(k) for k in routes} == {normal(k) for k in EXPECTED}
    assert set(EXPECTED) == set(CALLS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(EXPECTED))
def test_role_matrix(world: tuple[TestClient, Kit, Target], endpoint: str, role: str) -> None:
    client, kit, shared = world
    allowed = role in EXPECTED[endpoint]
    target = fresh_target(client, kit) if allowed and endpoint in CHANGES_TARGET else shared
    headers = {} if role == "anon" else kit.auth(role)
    before = None if allowed else kit.snapshot()
    answer = CALLS[endpoint](client, headers, target, role)
    if allowed:
        assert 200 <= answer.status_code < 300, (endpoint, role, answer.text)
    else:
        unseen = role == "outsider" and endpoint in UNSEEN
        expected = 401 if role == "anon" else 404 if unseen else 403
        assert answer.status_code == expected, (endpoint, role, answer.text)
        assert kit.snapshot() == before
        assert " / " in answer.json()["detail"]


def test_outsiders_see_no_records(world: tuple[TestClient, Kit, Target]) -> None:
    client, kit, _ = world
    assert client.get("/inspections", headers=kit.auth("outsider")).json()["total"] == 0
    assert client.get("/inspections/campaigns", headers=kit.auth("outsider")).json() == []
    assert client.get("/inspections", headers=kit.auth("viewer")).json()["total"] > 0
