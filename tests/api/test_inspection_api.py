"""The ``/inspections`` API: submission guarantees (idempotent UUIDs, 409, If-Match/412),
checks on arrival, photos, reviews, progress and the audit trail. Bad input gets a 4xx and
changes nothing. Every test runs on a GeoPackage and on PostGIS (``new_location``)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.inspection.photos import get_photo_limit
from layers.coords import wgs84_to_gcj02
from tests.api.test_bodies import MIB, drive, multipart_head, stream
from tests.api.test_inspection_kit import (
    Kit,
    build_kit,
    make_app,
    marker_body,
    segment_body,
)

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture(scope="module")
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    """The module's world, on each backend in turn."""
    with build_kit(new_location("api")) as kit:
        yield kit


@pytest.fixture(scope="module")
def client(kit: Kit) -> Iterator[TestClient]:
    app = make_app(kit.location)
    app.dependency_overrides[get_photo_limit] = lambda: 4096
    with TestClient(app) as test_client:
        yield test_client


def submit(client: TestClient, kit: Kit, body: dict[str, Any], user: str = "insp_left") -> Any:
    return client.post("/inspections", json=body, headers=kit.auth(user))


def test_replay_returns_the_stored_record_and_a_changed_body_conflicts(
    client: TestClient, kit: Kit
) -> None:
    body = marker_body()
    first = submit(client, kit, body)
    assert first.status_code == 201, first.text
    spelled = {**body, "record_id": body["record_id"].upper().replace("-", "")}
    replay = submit(client, kit, spelled)
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["etag"] == first.headers["etag"]
    before = kit.snapshot()
    changed = submit(client, kit, {**body, "condition": "损坏"})
    assert changed.status_code == 409
    assert kit.snapshot() == before


def test_parallel_replays_leave_one_record(client: TestClient, kit: Kit) -> None:
    body = marker_body("0001004A")
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda _: submit(client, kit, body).status_code, range(100)))
    assert sorted(set(codes)) == [200, 201] and codes.count(201) == 1
    found = client.get("/inspections", params={"q": "0001004A"}, headers=kit.auth("admin")).json()
    assert [r["record_id"] for r in found["items"]].count(body["record_id"]) == 1


def at(lon: float, lat: float) -> dict[str, Any]:
    return {"position": {"lon": lon, "lat": lat, "accuracy_m": 1.0, "fix_type": "RTK"}}


BAD_BODIES = {
    "malformed uuid": {"record_id": "not-a-uuid"},
    "unknown marker": {"marker_no": "0001099A"},
    "marker of another line": {"marker_no": "0002001A"},
    "longitude out of range": at(200.0, 39.9),
    "latitude out of range": at(116.4, -91.0),
    "outside China": at(2.35, 48.85),
    "far from the line": at(116.39, 40.10),
    "no position for a found marker": {"position": None},
    "unknown condition": {"condition": "很好"},
    "naive time": {"inspected_at": "2025-04-08T09:30:00"},
    "unknown field": {"colour": "red"},
    "no inspectors": {"inspectors": []},
    "unknown campaign": {"campaign_id": "1999-0001"},
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_input_gets_4xx_and_changes_nothing(client: TestClient, kit: Kit, case: str) -> None:
    before = kit.snapshot()
    answer = submit(client, kit, {**marker_body(), **BAD_BODIES[case]}, user="admin")
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.status_code != 500
    assert " / " in answer.json()["detail"]
    assert kit.snapshot() == before


def test_flags_on_arrival(client: TestClient, kit: Kit) -> None:
    moved = submit(client, kit, marker_body("0001005C", offset_m=(3.0, 4.0))).json()
    assert moved["computed"]["displacement_m"] == pytest.approx(5.0, abs=0.01)
    assert moved["computed"]["threshold_m"] == pytest.approx(2 * (0.2**2 + 0.05**2) ** 0.5)
    assert moved["computed"]["suspected_displaced"] is True
    manual = submit(client, kit, marker_body("0001006A", accuracy_m=12.0, fix_type="manual"))
    assert manual.status_code == 201
    flags = manual.json()["computed"]["flags"]
    assert {"manual_fix", "low_accuracy"} <= set(flags)
    one_side = marker_body("0001006A", inspectors=[{"name": "王建国", "side": "left"}])
    assert "one_side_only" in submit(client, kit, one_side).json()["computed"]["flags"]
    lost = submit(client, kit, marker_body("0001007Q", condition="丢失", position=None)).json()
    assert lost["computed"]["flags"] == ["no_position"]
    assert lost["computed"]["displacement_m"] is None


def test_gcj02_positions_are_converted(client: TestClient, kit: Kit) -> None:
    exact = marker_body("0001002A", offset_m=(0.0, 0.0))
    lon, lat = wgs84_to_gcj02([exact["position"]["lon"]], [exact["position"]["lat"]])
    exact["position"].update(lon=float(lon[0]), lat=float(lat[0]), crs="gcj02")
    computed = submit(client, kit, exact).json()["computed"]
    assert computed["displacement_m"] < 0.01  # GCJ-02 shifts ~500 m here when not converted


def test_update_needs_if_match(client: TestClient, kit: Kit) -> None:
    created = submit(client, kit, marker_body("0001003B"))
    rid, etag = created.json()["record_id"], created.headers["etag"]
    url, auth = f"/inspections/{rid}", kit.auth("insp_left")
    change = {"condition": "损坏", "damage_detail": "桩顶破损"}
    assert client.patch(url, json=change, headers=auth).status_code == 428
    stale = {**auth, "If-Match": '"v0-stale"'}
    before = kit.snapshot()
    assert client.patch(url, json=change, headers=stale).status_code == 412
    assert (
        client.patch(
            url, json={"marker_no": "0001004A"}, headers={**auth, "If-Match": etag}
        ).status_code
        == 422
    )
    assert kit.snapshot() == before
    updated = client.patch(url, json=change, headers={**auth, "If-Match": etag})
    assert updated.status_code == 200
    assert updated.json()["version"] == 2 and updated.json()["condition"] == "损坏"
    assert updated.headers["etag"] != etag
    assert (
        client.patch(url, json={"notes": "again"}, headers={**auth, "If-Match": etag}).status_code
        == 412
    )
    got = client.get(url, headers=kit.auth("viewer"))
    assert (
        got.json()["damage_detail"] == "桩顶破损" and got.headers["etag"] == updated.headers["etag"]
    )


def test_review_workflow(client: TestClient, kit: Kit) -> None:
    created = submit(client, kit, marker_body("0001003B"))
    rid = created.json()["record_id"]
    review = f"/inspections/{rid}/review"
    sent_back = client.post(
        review,
        json={"state": "has_issues", "comment": "请补拍照片"},
        headers={**kit.auth("planner"), "If-Match": created.headers["etag"]},
    )
    assert sent_back.status_code == 200 and sent_back.json()["review_state"] == "has_issues"
    fixed = client.patch(
        f"/inspections/{rid}",
        json={"notes": "已补拍"},
        headers={**kit.auth("insp_left"), "If-Match": sent_back.headers["etag"]},
    )
    assert fixed.json()["review_state"] == "received"
    approved = client.post(
        review,
        json={"state": "approved"},
        headers={**kit.auth("planner"), "If-Match": fixed.headers["etag"]},
    )
    assert approved.json()["review_state"] == "approved"
    locked = client.patch(
        f"/inspections/{rid}",
        json={"notes": "late"},
        headers={**kit.auth("insp_left"), "If-Match": approved.headers["etag"]},
    )
    assert locked.status_code == 409
    history = client.get(f"/inspections/{rid}", headers=kit.auth("viewer")).json()["reviews"]
    assert [(h["to_state"], h["reviewer"]) for h in history] == [
        ("has_issues", "planner"),
        ("approved", "planner"),
    ]


def upload(
    client: TestClient,
    kit: Kit,
    rid: str,
    data: bytes,
    *,
    sha: str | None = None,
    user: str = "insp_left",
) -> Any:
    digest = sha or hashlib.sha256(data).hexdigest()
    return client.post(
        f"/inspections/{rid}/photos",
        files={"file": ("p.jpg", data, "image/jpeg")},
        data={"sha256": digest},
        headers=kit.auth(user),
    )


def test_photos(client: TestClient, kit: Kit) -> None:
    jpeg_sha, png_sha = hashlib.sha256(JPEG).hexdigest(), hashlib.sha256(PNG).hexdigest()
    body = marker_body(photos=[{"sha256": jpeg_sha}, {"sha256": png_sha}])
    rid = submit(client, kit, body).json()["record_id"]
    assert upload(client, kit, rid, JPEG).status_code == 201
    assert upload(client, kit, rid, JPEG).status_code == 200
    before = kit.snapshot()
    assert upload(client, kit, rid, PNG, sha="0" * 64).status_code == 422
    assert upload(client, kit, rid, b"%PDF-1.7 not an image").status_code == 415
    assert upload(client, kit, rid, b"\xff\xd8\xff" + b"\x00" * 5000).status_code == 413
    assert kit.snapshot() == before
    record = client.get(f"/inspections/{rid}", headers=kit.auth("viewer")).json()
    assert record["photo_status"] == {
        "expected": [jpeg_sha, png_sha],
        "received": [jpeg_sha],
        "missing": [png_sha],
    }
    photo = client.get(f"/inspections/{rid}/photos/{jpeg_sha}", headers=kit.auth("viewer"))
    assert photo.content == JPEG and photo.headers["content-type"] == "image/jpeg"


def test_segment_checks(client: TestClient, kit: Kit) -> None:
    auth = kit.auth("insp_right")
    created = client.post("/inspections/segments", json=segment_body(), headers=auth)
    assert created.status_code == 201
    assert created.json()["computed"]["length_m"] == pytest.approx(1000.0, abs=0.05)
    before = kit.snapshot()
    same = segment_body("0001002A", "0001002A")
    assert client.post("/inspections/segments", json=same, headers=auth).status_code == 422
    other = segment_body("0001002A", "0002001A")
    assert client.post("/inspections/segments", json=other, headers=auth).status_code == 422
    assert kit.snapshot() == before


def test_progress(new_location: Callable[[str], str]) -> None:
    with (
        build_kit(new_location("progress")) as kit,
        TestClient(make_app(kit.location)) as client,
    ):
        for marker in ("0001001Q", "0001002A", "0001003B"):
            assert submit(client, kit, marker_body(marker)).status_code == 201
        submit(client, kit, marker_body("0001004A", condition="未到达", position=None))
        seg = segment_body("0001005C", "0001007Q", status="needs_resurvey")
        client.post("/inspections/segments", json=seg, headers=kit.auth("insp_left"))
        got = client.get("/inspections/campaigns/2025-0001/progress", headers=kit.auth("viewer"))
    progress = got.json()
    assert progress["markers_total"] == 7
    assert progress["markers_inspected"] == 4 and progress["markers_reached"] == 3
    assert progress["covered_km"] == pytest.approx(1.0 + 1.0, abs=1e-3)  # 0-1000 + 2000-3000
    assert progress["by_condition"]["未检查"] == 3
    assert progress["segments_by_status"] == {"needs_resurvey": 1}


def test_every_write_is_audited(new_location: Callable[[str], str]) -> None:
    with (
        build_kit(new_location("audited")) as kit,
        TestClient(make_app(kit.location)) as client,
    ):
        start = len(kit.records.audit_log())
        body = marker_body(photos=[{"sha256": hashlib.sha256(JPEG).hexdigest()}])
        created = submit(client, kit, body)
        submit(client, kit, body)  # a replay writes nothing
        rid, etag = created.json()["record_id"], created.headers["etag"]
        patched = client.patch(
            f"/inspections/{rid}",
            json={"notes": "n"},
            headers={**kit.auth("insp_left"), "If-Match": etag},
        )
        upload(client, kit, rid, JPEG)
        approve = {**kit.auth("planner"), "If-Match": patched.headers["etag"]}
        client.post(f"/inspections/{rid}/review", json={"state": "approved"}, headers=approve)
        client.get("/inspections/campaigns/2025-0001/report.xlsx", headers=kit.auth("viewer"))
        log = kit.records.audit_log()[start:]
        assert client.get("/inspections/audit/verify", headers=kit.auth("admin")).json()["ok"]
    actions = [(e.action, e.actor, e.target) for e in log]
    target = f"marker:2025-0001/{rid}"
    assert actions == [
        ("record.create", "insp_left", target),
        ("record.update", "insp_left", target),
        ("photo.add", "insp_left", target),
        ("record.review", "planner", target),
        ("report.export", "viewer", "campaign:2025-0001"),
    ]
    assert log[0].detail["body"]["record_id"] == str(uuid.UUID(rid))


def test_a_400_mb_chunked_photo_stops_at_the_photo_limit(client: TestClient, kit: Kit) -> None:
    rid = submit(client, kit, marker_body()).json()["record_id"]
    headers = {**kit.auth("insp_left"), "content-type": "multipart/form-data; boundary=b0"}
    chunks = stream(400 * MIB, prefix=multipart_head("b0"))
    status, pulled = drive(
        client.app,
        f"/inspections/{rid}/photos",
        headers,
        chunks,
        run=client.portal.call,  # type: ignore[arg-type]
    )
    assert status == 413
    assert pulled <= 2 * MIB  # the 4 kB limit and its form overhead, then one chunk at most
