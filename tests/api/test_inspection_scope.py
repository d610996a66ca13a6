"""A record's identity is its campaign and its id: a UUID used in campaign A is, to a member
of campaign B alone, a UUID like any other (201, the same answer in every respect, nothing of
A), and within a campaign the old rules hold (replay 200, other body 409). A caller who sees
both records gets 409 naming the campaigns, and ``?campaign_id=`` picks one; photos and
reviews go to the record picked. Runs on a GeoPackage and on PostGIS.

``insp_left`` is a member of campaign A (2025-0001); ``outsider`` is made the only member of
campaign B (2025-0002, on the same line); ``admin`` and ``planner`` see both.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from layers.records import Campaign
from tests.api.test_inspection_kit import (
    CAMPAIGN,
    Kit,
    build_kit,
    make_app,
    marker_body,
    segment_body,
)

A, B = CAMPAIGN, "2025-0002"
JPEG = b"\xff\xd8\xff\xe0" + b"scope" * 20
JPEG_SHA = hashlib.sha256(JPEG).hexdigest()
#: what differs between any two new records (ids, times, the version tag)
VOLATILE = ("record_id", "etag", "created_at", "updated_at")


@pytest.fixture(scope="module")
def world(new_location: Callable[[str], str]) -> Iterator[tuple[TestClient, Kit]]:
    with build_kit(new_location("scope")) as kit, TestClient(make_app(kit.location)) as client:
        other = Campaign(B, "0001", 2, 2025, "第二批", "110101", "东城区", "110102", "西城区")
        kit.records.add_campaign(other, actor="planner")
        kit.records.add_member(B, "outsider", side="left", actor="planner")
        yield client, kit


def _post(client: TestClient, kit: Kit, user: str, body: dict[str, Any]) -> Any:
    return client.post("/inspections", json=body, headers=kit.auth(user))


def _shape(answer: Any) -> tuple[int, dict[str, Any]]:
    body = answer.json()
    return answer.status_code, {k: v for k, v in body.items() if k not in VOLATILE}


def test_an_id_of_another_campaign_is_a_new_record_to_a_non_member(
    world: tuple[TestClient, Kit],
) -> None:
    client, kit = world
    rid = str(uuid.uuid4())
    first = _post(client, kit, "insp_left", marker_body(record_id=rid, notes="A 的记录"))
    assert first.status_code == 201
    taken = _post(client, kit, "outsider", marker_body(record_id=rid, campaign_id=B))
    fresh = _post(client, kit, "outsider", marker_body(campaign_id=B))
    assert taken.status_code == fresh.status_code == 201
    assert _shape(taken) == _shape(fresh)  # nothing tells the two apart
    assert taken.json()["record_id"] == rid
    assert "A 的记录" not in taken.text and A not in taken.text
    seen = client.get(f"/inspections/{rid}", headers=kit.auth("outsider"))
    assert seen.status_code == 200 and seen.json()["campaign_id"] == B
    hidden = client.get(f"/inspections/{rid}?campaign_id={A}", headers=kit.auth("outsider"))
    unused = client.get(f"/inspections/{uuid.uuid4()}", headers=kit.auth("outsider"))
    assert hidden.status_code == unused.status_code == 404
    assert hidden.json()["code"] == unused.json()["code"]


def test_within_a_campaign_replay_and_conflict_hold(world: tuple[TestClient, Kit]) -> None:
    client, kit = world
    rid = str(uuid.uuid4())
    _post(client, kit, "insp_left", marker_body(record_id=rid))
    body = marker_body(record_id=rid, campaign_id=B, notes="B")
    created = _post(client, kit, "outsider", body)
    replay = _post(client, kit, "outsider", body)
    assert (created.status_code, replay.status_code) == (201, 200)
    assert replay.json() == created.json()
    other = _post(client, kit, "outsider", {**body, "notes": "changed"})
    assert other.status_code == 409 and other.json()["code"] == "conflict"
    segment = segment_body(record_id=rid, campaign_id=B)
    as_segment = client.post("/inspections/segments", json=segment, headers=kit.auth("outsider"))
    assert as_segment.status_code == 409  # the id is taken in B by another kind


def test_a_caller_seeing_both_chooses_with_campaign_id(world: tuple[TestClient, Kit]) -> None:
    client, kit = world
    rid = str(uuid.uuid4())
    _post(client, kit, "insp_left", marker_body(record_id=rid, notes="in A"))
    _post(client, kit, "outsider", marker_body(record_id=rid, campaign_id=B, notes="in B"))
    both = client.get(f"/inspections/{rid}", headers=kit.auth("admin"))
    assert both.status_code == 409 and both.json()["code"] == "ambiguous_record"
    assert [p["value"] for p in both.json()["problems"]] == [A, B]
    assert A in both.json()["detail"] and " / " in both.json()["detail"]
    for campaign, notes in ((A, "in A"), (B, "in B")):
        one = client.get(f"/inspections/{rid}?campaign_id={campaign}", headers=kit.auth("admin"))
        assert one.status_code == 200
        assert (one.json()["campaign_id"], one.json()["notes"]) == (campaign, notes)
    patch = {**kit.auth("admin"), "If-Match": "*"}
    refused = client.patch(f"/inspections/{rid}", json={"notes": "x"}, headers=patch)
    assert refused.status_code == 409
    changed = client.patch(
        f"/inspections/{rid}?campaign_id={B}", json={"notes": "admin"}, headers=patch
    )
    assert changed.status_code == 200 and changed.json()["campaign_id"] == B
    a = client.get(f"/inspections/{rid}?campaign_id={A}", headers=kit.auth("admin")).json()
    assert (a["notes"], a["version"]) == ("in A", 1)


def test_photos_and_reviews_go_to_the_record_chosen(world: tuple[TestClient, Kit]) -> None:
    client, kit = world
    rid = str(uuid.uuid4())
    _post(client, kit, "insp_left", marker_body(record_id=rid))
    _post(client, kit, "outsider", marker_body(record_id=rid, campaign_id=B))
    upload = {"files": {"file": ("a.jpg", JPEG)}, "data": {"sha256": JPEG_SHA}}
    mine = client.post(f"/inspections/{rid}/photos", headers=kit.auth("outsider"), **upload)
    assert mine.status_code == 201  # the outsider sees B's record only: no choice needed
    admin = kit.auth("admin")
    assert client.post(f"/inspections/{rid}/photos", headers=admin, **upload).status_code == 409

    def record(campaign: str) -> dict[str, Any]:
        answer = client.get(f"/inspections/{rid}?campaign_id={campaign}", headers=admin)
        result: dict[str, Any] = answer.json()
        return result

    assert [p["sha256"] for p in record(B)["received_photos"]] == [JPEG_SHA]
    assert record(A)["received_photos"] == []
    photo = f"/inspections/{rid}/photos/{JPEG_SHA}"
    assert client.get(f"{photo}?campaign_id={B}", headers=admin).content == JPEG
    assert client.get(f"{photo}?campaign_id={A}", headers=admin).status_code == 404
    review = {**kit.auth("planner"), "If-Match": record(A)["etag"]}
    body = {"state": "has_issues", "comment": "A 需补拍"}
    assert client.post(f"/inspections/{rid}/review", json=body, headers=review).status_code == 409
    reviewed = client.post(f"/inspections/{rid}/review?campaign_id={A}", json=body, headers=review)
    assert reviewed.status_code == 200
    assert [r["comment"] for r in record(A)["reviews"]] == ["A 需补拍"]
    assert record(B)["reviews"] == [] and record(B)["review_state"] == "received"


def test_audit_entries_name_the_campaign(world: tuple[TestClient, Kit]) -> None:
    client, kit = world
    rid = str(uuid.uuid4())
    start = kit.records.audit_head()[0]
    _post(client, kit, "insp_left", marker_body(record_id=rid))
    _post(client, kit, "outsider", marker_body(record_id=rid, campaign_id=B))
    targets = [e.target for e in kit.records.audit_log(after_seq=start)]
    assert targets == [f"marker:{A}/{rid}", f"marker:{B}/{rid}"]
    assert kit.records.verify_audit().ok
