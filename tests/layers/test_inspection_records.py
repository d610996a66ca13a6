"""The record stores: idempotent creation, versions, reviews, photos and the audit chain on
both backends (``records`` runs each test on a GeoPackage and on PostGIS); the GeoPackage's
own append-only triggers and one-file property (GDAL reads the inspections). PostGIS's own
enforcement is tested in ``test_records_postgis.py``."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from layers._errors import ConflictError, PreconditionFailedError
from layers.records import (
    Campaign,
    GeoPackageRecordStore,
    RecordFilter,
    RecordNotFoundError,
    RecordStore,
    RecordValidationError,
    User,
    open_record_store,
    verify_chain,
)

CAMPAIGN = Campaign("2025-0001", "0001", 1, 2025, "test", "110101", "东城区", "110102", "西城区")
BODY = {
    "marker_no": "0001003B",
    "condition": "完好",
    "inspected_at": "2025-04-08T01:30:00Z",
    "notes": "桩体完好 100%_ok",
}
COMPUTED = {"lon": 116.39, "lat": 39.90, "flags": ["low_accuracy"], "displacement_m": 0.3}


def _seeded(store: RecordStore) -> RecordStore:
    store.add_user(User("alice", "inspector", "Alice", "hash"), actor="cli")
    store.add_campaign(CAMPAIGN, actor="cli")
    return store


@pytest.fixture
def gpkg_records(tmp_path: Path) -> GeoPackageRecordStore:
    store = GeoPackageRecordStore(tmp_path / "r.gpkg")
    _seeded(store)
    return store


@pytest.fixture(params=["gpkg", "postgis"])
def records(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    """A seeded record store on each backend (PostGIS: a schema of its own)."""
    if request.param == "gpkg":
        store = _seeded(GeoPackageRecordStore(tmp_path / "r.gpkg"))
    else:
        store = _seeded(open_record_store(request.getfixturevalue("pg_url")))
    yield store
    store.close()


def create(records: RecordStore, body: dict[str, object] | None = None, rid: str = ""):  # type: ignore[no-untyped-def]
    return records.create_record(
        "marker",
        record_id=rid or str(uuid.uuid4()),
        campaign_id="2025-0001",
        line_code="0001",
        body=body or BODY,
        computed=COMPUTED,
        actor="alice",
    )


def test_same_id_same_body_is_stored_once(records: RecordStore) -> None:
    first, created = create(records)
    again, created_again = create(records, dict(reversed(list(BODY.items()))), first.record_id)
    assert (created, created_again) == (True, False)
    assert again == first
    assert records.list_records("marker", RecordFilter())[1] == 1


def test_same_id_other_body_conflicts_and_writes_nothing(records: RecordStore) -> None:
    first, _ = create(records)
    entries = len(records.audit_log())
    with pytest.raises(ConflictError):
        create(records, {**BODY, "condition": "损坏"}, first.record_id)
    with pytest.raises(ConflictError):  # the same id as another kind
        records.create_record(
            "segment",
            record_id=first.record_id,
            campaign_id="2025-0001",
            line_code="0001",
            body={
                "from_marker": "a",
                "to_marker": "b",
                "status": "unchanged",
                "checked_at": "2025-01-01T00:00:00Z",
            },
            computed={},
            actor="alice",
        )
    assert records.get_record(first.record_id).body == BODY
    assert len(records.audit_log()) == entries


def test_unknown_campaign_is_refused(records: RecordStore) -> None:
    with pytest.raises(RecordNotFoundError):
        records.create_record(
            "marker",
            record_id=str(uuid.uuid4()),
            campaign_id="nope",
            line_code="0001",
            body=BODY,
            computed={},
            actor="alice",
        )


def test_update_needs_the_current_etag(records: RecordStore) -> None:
    first, _ = create(records)
    changed = records.update_record(
        first.record_id,
        body={**BODY, "condition": "损坏"},
        computed={},
        if_match=first.etag,
        actor="alice",
    )
    assert changed.version == 2 and changed.etag != first.etag
    with pytest.raises(PreconditionFailedError):
        records.update_record(
            first.record_id, body=BODY, computed={}, if_match=first.etag, actor="alice"
        )
    assert records.get_record(first.record_id).body["condition"] == "损坏"
    star = records.update_record(first.record_id, body=BODY, computed={}, if_match="*", actor="a")
    assert star.version == 3


def test_review_workflow(records: RecordStore) -> None:
    first, _ = create(records)
    issues = records.review_record(
        first.record_id, state="has_issues", comment="照片不清", if_match=first.etag, actor="bob"
    )
    assert issues.review_state == "has_issues"
    fixed = records.update_record(
        first.record_id, body=BODY, computed={}, if_match=issues.etag, actor="alice"
    )
    assert fixed.review_state == "received"
    done = records.review_record(
        first.record_id, state="approved", comment="", if_match=fixed.etag, actor="bob"
    )
    assert [r.to_state for r in records.reviews(first.record_id)] == ["has_issues", "approved"]
    with pytest.raises(ConflictError):
        records.update_record(first.record_id, body=BODY, computed={}, if_match="*", actor="a")
    with pytest.raises(ConflictError):
        records.review_record(
            first.record_id, state="rejected", comment="", if_match="*", actor="b"
        )
    with pytest.raises(RecordValidationError):
        records.review_record(
            first.record_id, state="received", comment="", if_match="*", actor="b"
        )
    assert records.get_record(first.record_id) == done


def test_filters_and_search(records: RecordStore) -> None:
    a, _ = create(records)
    create(records, {**BODY, "marker_no": "0001004A", "notes": "x"})
    assert records.list_records("marker", RecordFilter(marker_no="0001004A"))[1] == 1
    assert records.list_records("marker", RecordFilter(text="100%_"))[1] == 1
    assert records.list_records("marker", RecordFilter(text="0%"))[1] == 1  # literal %
    assert records.list_records("marker", RecordFilter(text="1_0"))[1] == 0  # literal _
    assert records.list_records("marker", RecordFilter(flag="low_accuracy"))[1] == 2
    assert records.list_records("marker", RecordFilter(campaign_ids=()))[1] == 0
    page, total = records.list_records("marker", RecordFilter(), limit=1, offset=1)
    assert total == 2 and len(page) == 1 and page[0].record_id != a.record_id


def test_photos_are_checked_and_stored_once(records: RecordStore) -> None:
    first, _ = create(records, {**BODY, "photos": [{"sha256": "0" * 64}]})
    data = b"\xff\xd8\xff" + b"photo"
    digest = hashlib.sha256(data).hexdigest()
    with pytest.raises(RecordValidationError, match="SHA-256 不符"):
        records.add_photo(
            first.record_id,
            sha256="0" * 64,
            content_type="image/jpeg",
            name="a",
            data=data,
            actor="alice",
        )
    photo, created = records.add_photo(
        first.record_id,
        sha256=digest,
        content_type="image/jpeg",
        name="a.jpg",
        data=data,
        actor="alice",
    )
    _, again = records.add_photo(
        first.record_id,
        sha256=digest,
        content_type="image/jpeg",
        name="a.jpg",
        data=data,
        actor="alice",
    )
    assert (created, again) == (True, False)
    assert records.photo_bytes(first.record_id, digest) == (photo, data)
    status = records.get_record(first.record_id).photo_status()
    assert status == {"expected": ["0" * 64], "received": [digest], "missing": ["0" * 64]}


def test_audit_log_is_append_only_and_chained(gpkg_records: GeoPackageRecordStore) -> None:
    create(gpkg_records)
    gpkg_records.audit("report.export", "campaign:2025-0001", {"format": "html"}, actor="bob")
    log = gpkg_records.audit_log()
    assert [e.action for e in log] == ["user.add", "campaign.add", "record.create", "report.export"]
    assert gpkg_records.verify_audit().ok
    con = sqlite3.connect(gpkg_records.gpkg.path)
    for statement in ("UPDATE mzgis_audit SET actor = 'mallory'", "DELETE FROM mzgis_audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(statement)
    with pytest.raises(sqlite3.IntegrityError, match="chain"):
        con.execute("INSERT INTO mzgis_audit VALUES (99, 'now', 'm', 'x', 't', '{}', 'x', 'y')")
    # someone with the file drops the trigger and edits history: the chain shows it
    con.execute("DROP TRIGGER mzgis_audit_no_update")
    con.execute("UPDATE mzgis_audit SET detail = '{}' WHERE seq = 3")
    con.commit()
    con.close()
    check = gpkg_records.verify_audit()
    assert not check.ok and check.first_bad_seq == 3
    assert verify_chain(log).ok  # the copy read before the edit still verifies


def test_records_survive_reopening_and_open_in_gdal(gpkg_records: GeoPackageRecordStore) -> None:
    first, _ = create(gpkg_records)
    again = open_record_store(gpkg_records.gpkg.path)
    assert again.get_record(first.record_id) == first
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo not installed")
    out = subprocess.run(
        ["ogrinfo", "-q", str(gpkg_records.gpkg.path), "mzgis_marker_inspections"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "POINT (116.39 39.9)" in out.stdout
    assert "0001003B" in out.stdout


def test_users_tokens_and_members(records: RecordStore) -> None:
    with pytest.raises(ConflictError):
        records.add_user(User("alice", "viewer", "A", "h"), actor="cli")
    records.add_token("alice", "t" * 64, label="x", expires_at="2999-01-01T00:00:00Z", actor="cli")
    records.add_token("alice", "e" * 64, label="x", expires_at="2000-01-01T00:00:00Z", actor="cli")
    now = "2025-01-01T00:00:00Z"
    assert records.user_for_token("t" * 64, now=now).username == "alice"  # type: ignore[union-attr]
    assert records.user_for_token("e" * 64, now=now) is None
    assert records.revoke_tokens("alice", actor="cli") == 2
    assert records.user_for_token("t" * 64, now=now) is None
    records.add_token("alice", "a" * 64, label="x", expires_at="2999-01-01T00:00:00Z", actor="cli")
    records.add_token("alice", "b" * 64, label="x", expires_at="2999-01-01T00:00:00Z", actor="cli")
    assert records.revoke_token("a" * 64, actor="alice") is True
    assert records.revoke_token("a" * 64, actor="alice") is False  # already revoked
    assert records.user_for_token("a" * 64, now=now) is None
    assert records.user_for_token("b" * 64, now=now).username == "alice"  # type: ignore[union-attr]
    records.add_member("2025-0001", "alice", side="left", actor="cli")
    records.add_member("2025-0001", "alice", side="right", actor="cli")
    assert [(m.username, m.side) for m in records.members("2025-0001")] == [("alice", "right")]
    assert records.campaigns_of("alice") == ("2025-0001",)
    with pytest.raises(RecordValidationError):
        records.add_member("2025-0001", "alice", side="middle", actor="cli")
    with pytest.raises(RecordNotFoundError):
        records.add_member("2025-0001", "nobody", side="left", actor="cli")
