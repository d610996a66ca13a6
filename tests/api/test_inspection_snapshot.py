"""The snapshot the inspection tests compare (``Kit.snapshot``) sees every kind of write, on
a GeoPackage and on PostGIS: so "the snapshot is unchanged" means "nothing was written"."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from api.auth import issue_token
from layers.records import Campaign, User
from tests.api.test_inspection_kit import CAMPAIGN, build_kit, marker_body, segment_body


def test_the_snapshot_sees_every_kind_of_write(new_location: Callable[[str], str]) -> None:
    """Each write of the record store API changes the snapshot, and not only its audit log:
    so "the snapshot is unchanged" means "nothing was written", on either backend."""
    kit = build_kit(new_location("snapshot"))
    records, rid, sid = kit.records, str(uuid.uuid4()), str(uuid.uuid4())
    computed = {"lon": 116.39, "lat": 39.90, "flags": []}
    photo = b"\xff\xd8\xff\xe0snapshot"

    def record(kind: str, record_id: str, body: dict[str, Any]) -> None:
        records.create_record(
            kind,  # type: ignore[arg-type]
            record_id=record_id,
            campaign_id=CAMPAIGN,
            line_code="0001",
            body={**body, "record_id": record_id},
            computed=computed,
            actor="insp_left",
        )

    def etag() -> str:
        return records.get_record(rid).etag

    writes: dict[str, Callable[[], object]] = {
        "marker": lambda: record("marker", rid, marker_body()),
        "segment": lambda: record("segment", sid, segment_body()),
        "update": lambda: records.update_record(
            rid, body=records.get_record(rid).body, computed={}, if_match=etag(), actor="a"
        ),
        "review": lambda: records.review_record(
            rid, state="has_issues", comment="c", if_match=etag(), actor="planner"
        ),
        "photo": lambda: records.add_photo(
            rid,
            sha256=hashlib.sha256(photo).hexdigest(),
            content_type="image/jpeg",
            name="p.jpg",
            data=photo,
            actor="insp_left",
        ),
        "user": lambda: records.add_user(User("new", "viewer", "New", "!"), actor="admin"),
        "token": lambda: issue_token(records, "new", actor="admin"),
        "revoke": lambda: records.revoke_tokens("new", actor="admin"),
        "campaign": lambda: records.add_campaign(
            Campaign("2030-0001", "0002", 1, 2030, "n", "a", "A", "b", "B"), actor="planner"
        ),
        "member": lambda: records.add_member("2030-0001", "new", side="left", actor="planner"),
    }
    try:
        for name, write in writes.items():
            before = kit.snapshot()
            assert kit.snapshot() == before, name  # reading twice gives equal snapshots
            write()
            after = kit.snapshot()
            assert after["audit_head"] != before["audit_head"], name
            assert _unaudited(after) != _unaudited(before), name
        before = kit.snapshot()
        records.audit("report.export", f"campaign:{CAMPAIGN}", {"format": "html"}, actor="v")
        assert kit.snapshot() != before
    finally:
        kit.close()


def _unaudited(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if not k.startswith("audit")}
