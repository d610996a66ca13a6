"""``GET /inspections/campaigns/{id}/bundle``, the field app's offline bundle, on a
GeoPackage and on PostGIS: 200 markers in order along the line with their register and
last condition from an earlier visible campaign, the segments between them, the records
with their review comments, the arrival rules, and only the roads near the line."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.auth import issue_token
from api.inspection.bundle import BundlePublic
from bench.field_world import (
    LONG_CAMPAIGN,
    LONG_LINE,
    LONG_MARKERS,
    SPACING_M,
    FieldWorld,
    build_field_world,
    long_marker_no,
    marker_body,
)
from layers.records import Campaign, User
from tests.api.test_inspection_kit import make_app

OLD_CAMPAIGN = "2020-0003"
URL = f"/inspections/campaigns/{LONG_CAMPAIGN}/bundle"


@pytest.fixture(scope="module")
def world(new_location: Callable[[str], str]) -> Iterator[FieldWorld]:
    built = build_field_world(new_location("bundle"))
    old = Campaign(
        OLD_CAMPAIGN, LONG_LINE, 1, 2020, "2020年联检", "110105", "朝阳区", "110106", "丰台区"
    )
    built.records.add_campaign(old, actor="planner")
    built.records.add_member(OLD_CAMPAIGN, "insp_left", side="left", actor="planner")
    built.records.add_user(User("outsider", "inspector", "Outsider", "x"), actor="cli")
    built.tokens["outsider"] = issue_token(built.records, "outsider", actor="cli")[0]
    yield built
    built.close()


@pytest.fixture(scope="module")
def client(world: FieldWorld) -> Iterator[TestClient]:
    with TestClient(make_app(world.location)) as test_client:
        old = {**marker_body(5), "campaign_id": OLD_CAMPAIGN, "condition": "损坏"}
        old["inspected_at"] = "2020-05-01T02:00:00Z"
        assert (
            test_client.post("/inspections", json=old, headers=world.auth("insp_left")).status_code
            == 201
        )
        yield test_client


def test_bundle_holds_the_line_its_markers_and_segments(
    client: TestClient, world: FieldWorld
) -> None:
    answer = client.get(URL, headers=world.auth("insp_left"))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    bundle = answer.json()
    BundlePublic.model_validate(bundle)  # what the OpenAPI document says it is
    markers = bundle["markers"]
    assert [m["marker_no"] for m in markers] == [long_marker_no(i) for i in range(LONG_MARKERS)]
    assert [m["chainage_m"] for m in markers[:3]] == pytest.approx([0.0, 100.0, 200.0], abs=0.01)
    assert {len(m["reference_objects"]) for m in markers} == {3}
    assert markers[0]["sigma_m"] == 0.2
    assert len(bundle["segments"]) == LONG_MARKERS - 1
    assert [s["length_m"] for s in bundle["segments"]] == pytest.approx([SPACING_M] * 199, abs=0.01)
    assert bundle["line"]["geometry"]["type"] == "LineString"
    assert bundle["line"]["length_m"] == pytest.approx((LONG_MARKERS - 1) * SPACING_M, abs=0.01)
    assert bundle["rules"]["k_sigma"] == 2.0
    assert {m["username"] for m in bundle["campaign"]["members"]} == {"insp_left", "insp_right"}
    assert len(answer.content) < 150_000


def test_last_condition_comes_from_earlier_campaigns_the_user_may_see(
    client: TestClient, world: FieldWorld
) -> None:
    mine = client.get(URL, headers=world.auth("insp_left")).json()["markers"]
    assert mine[5]["last"] == {
        "condition": "损坏",
        "inspected_at": "2020-05-01T02:00:00Z",
        "campaign_id": OLD_CAMPAIGN,
    }
    assert [m["last"] for i, m in enumerate(mine) if i != 5] == [None] * (LONG_MARKERS - 1)
    other = client.get(URL, headers=world.auth("insp_right")).json()["markers"]
    assert other[5]["last"] is None  # not a member of the 2020 campaign


def test_roads_near_the_line_only_and_both_divisions(client: TestClient, world: FieldWorld) -> None:
    base = client.get(URL, headers=world.auth("planner")).json()["base"]
    names = {f["properties"]["name"] for f in base["roads"]["features"]}
    assert len(names) == 20 and "巡线路21" not in names  # the far road stays out
    assert {f["properties"]["code"] for f in base["divisions"]["features"]} == {"110105", "110106"}


def test_records_travel_with_their_review_comments(client: TestClient, world: FieldWorld) -> None:
    body = marker_body(7)
    created = client.post("/inspections", json=body, headers=world.auth("insp_left"))
    review = {"state": "has_issues", "comment": "请补拍照片"}
    headers = {**world.auth("planner"), "If-Match": created.headers["etag"]}
    rid = body["record_id"]
    assert (
        client.post(f"/inspections/{rid}/review", json=review, headers=headers).status_code == 200
    )
    records = client.get(URL, headers=world.auth("insp_left")).json()["records"]
    BundlePublic.model_validate(client.get(URL, headers=world.auth("insp_left")).json())
    (found,) = [r for r in records if r["record_id"] == rid]
    assert found["review_state"] == "has_issues"
    assert [v["comment"] for v in found["reviews"]] == ["请补拍照片"]
    assert all(r["campaign_id"] == LONG_CAMPAIGN for r in records)


def test_only_members_and_signed_in_readers_get_it(client: TestClient, world: FieldWorld) -> None:
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=world.auth("outsider")).status_code == 403
    unknown = client.get("/inspections/campaigns/nope/bundle", headers=world.auth("planner"))
    assert unknown.status_code == 404
