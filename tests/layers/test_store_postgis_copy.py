"""Copying stores: GeoPackage → PostGIS → GeoPackage loses nothing (counts, columns,
values, geometries bit for bit; users, records, photos, reviews and the audit log entry for
entry), and refusals change nothing."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest
import shapely

from layers import ConflictError, UnknownLayerError
from layers.records import Campaign, RecordFilter, RecordStore, User, open_record_store
from layers.records.copy import TABLES, copy_store_and_records
from layers.store import GeoPackageStore, open_store
from layers.store.copy import copy_store
from tests.layers.test_store import stations

CAMPAIGN = Campaign("2025-0001", "0001", 1, 2025, "联检", "110101", "东城区", "110102", "西城区")
MARKER = {"marker_no": "0001003B", "condition": "完好", "inspected_at": "2025-04-08T01:30:00Z"}
SEGMENT = {"from_marker": "0001002A", "to_marker": "0001004A", "status": "unchanged",
           "checked_at": "2025-04-08T03:00:00Z"}  # fmt: skip
COMPUTED = {"lon": 116.39, "lat": 39.9, "flags": ["low_accuracy"], "displacement_m": 0.1}
PHOTO = b"\xff\xd8\xff" + bytes(range(256))


def test_demo_round_trip_through_postgis_loses_nothing(
    demo_store: Path, pg_url: str, tmp_path: Path
) -> None:
    source = GeoPackageStore(demo_store)
    middle, back = open_store(pg_url), GeoPackageStore(tmp_path / "back.gpkg")
    messages: list[str] = []
    there = copy_store(source, middle, progress=messages.append)
    again = copy_store(middle, back)
    infos = {i.name: i for i in source.layers()}
    assert there.counts == again.counts == {n: i.count for n, i in infos.items()}
    assert len(messages) == len(infos)
    assert infos["roads"].count > 10_000  # a real layer, not a toy
    for name, info in infos.items():
        original, copied = source.read(name), back.read(name)
        pd.testing.assert_frame_equal(copied, original)
        wkb_a = shapely.to_wkb(original.geometry.to_numpy())
        wkb_b = shapely.to_wkb(copied.geometry.to_numpy())
        assert (wkb_a == wkb_b).all(), name  # coordinates bit for bit
        for store in (middle, back):
            got = store.info(name)
            assert (got.kind, got.count, got.geometry_type) == (
                info.kind,
                info.count,
                info.geometry_type,
            )
            assert got.bbox == pytest.approx(info.bbox)
    middle.close()


def test_existing_layers_refuse_the_copy_unless_replaced(pg_url: str, tmp_path: Path) -> None:
    source = GeoPackageStore(tmp_path / "src.gpkg")
    source.write("stations", stations(4), kind="stations")
    source.write("other", stations(2), kind="stations")
    target = open_store(pg_url)
    target.write("other", stations(7), kind="stations")
    with pytest.raises(ConflictError, match="other"):
        copy_store(source, target)
    assert [(i.name, i.count) for i in target.layers()] == [("other", 7)]  # nothing written
    with pytest.raises(UnknownLayerError, match="nope"):
        copy_store(source, target, names=["nope"])
    result = copy_store(source, target, names=["stations"])
    assert result.counts == {"stations": 4}
    result = copy_store(source, target, replace=True)
    assert result.counts == {"stations": 4, "other": 2}
    assert result.versions == {"stations": 2, "other": 2}
    target.close()


def test_a_store_is_not_copied_onto_itself(tmp_path: Path) -> None:
    path = tmp_path / "a.gpkg"
    GeoPackageStore(path).write("stations", stations(1), kind="stations")
    shutil.copyfile(path, tmp_path / "b.gpkg")
    with pytest.raises(ConflictError, match="same store"):
        copy_store(GeoPackageStore(path), GeoPackageStore(path), replace=True)


def fill_records(records: RecordStore) -> None:
    """Users with a token, a campaign with members, both kinds of records, an update, a
    review, a photo and an export: every record table holds rows."""
    records.add_user(User("alice", "inspector", "Alice", "argon-hash"), actor="cli")
    records.add_user(User("bob", "planner", "Bob", "argon-hash"), actor="cli")
    expires = "2999-01-01T00:00:00Z"
    records.add_token("alice", "t" * 64, label="phone", expires_at=expires, actor="cli")
    records.add_campaign(CAMPAIGN, actor="bob")
    records.add_member(CAMPAIGN.campaign_id, "alice", side="left", actor="bob")
    marker, _ = records.create_record(
        "marker", record_id=str(uuid.uuid4()), campaign_id=CAMPAIGN.campaign_id,
        line_code="0001", body=MARKER, computed=COMPUTED, actor="alice",
    )  # fmt: skip
    records.create_record(
        "segment", record_id=str(uuid.uuid4()), campaign_id=CAMPAIGN.campaign_id,
        line_code="0001", body=SEGMENT, computed={"length_m": 1000.0}, actor="alice",
    )  # fmt: skip
    changed = records.update_record(
        marker.record_id, body={**MARKER, "notes": "补记"}, computed=COMPUTED,
        if_match=marker.etag, actor="alice",
    )  # fmt: skip
    records.add_photo(
        marker.record_id, sha256=hashlib.sha256(PHOTO).hexdigest(), content_type="image/jpeg",
        name="a.jpg", data=PHOTO, actor="alice",
    )  # fmt: skip
    records.review_record(
        marker.record_id, state="approved", comment="好", if_match=changed.etag, actor="bob"
    )
    records.audit("report.export", "campaign:2025-0001", {"format": "xlsx"}, actor="bob")


def everything(records: RecordStore) -> dict[str, object]:
    """Every record table as the record store's API returns it."""
    kinds = {k: records.list_records(k, RecordFilter())[0] for k in ("marker", "segment")}  # type: ignore[arg-type]
    ids = [r.record_id for rs in kinds.values() for r in rs]
    return {
        "users": records.list_users(),
        "campaigns": records.list_campaigns(),
        "members": records.members(CAMPAIGN.campaign_id),
        "records": kinds,
        "reviews": [records.reviews(i) for i in ids],
        "photos": [
            records.photo_bytes(r.record_id, p.sha256) for r in kinds["marker"] for p in r.photos
        ],
        "audit": records.audit_log(),
        "token": records.user_for_token("t" * 64, now="2025-01-01T00:00:00Z"),
    }


def test_records_and_audit_history_travel_both_ways(pg_url: str, tmp_path: Path) -> None:
    source = GeoPackageStore(tmp_path / "src.gpkg")
    source.write("stations", stations(3), kind="stations")
    fill_records(open_record_store(source))
    middle, back = open_store(pg_url), GeoPackageStore(tmp_path / "back.gpkg")
    _, rows = copy_store_and_records(source, middle)
    assert all(rows[t] > 0 for t in TABLES), rows
    copy_store_and_records(middle, back)
    original = everything(open_record_store(source))
    for store in (middle, back):
        records = open_record_store(store)
        assert everything(records) == original
        assert records.verify_audit().ok
        assert records.audit_head() == open_record_store(source).audit_head()
    assert back.read("stations").equals(source.read("stations"))
    # a target that holds records already refuses, before any layer is written
    again = GeoPackageStore(tmp_path / "again.gpkg")
    open_record_store(again).add_user(User("x", "viewer", "X", "h"), actor="cli")
    with pytest.raises(ConflictError, match="already holds inspection records"):
        copy_store_and_records(middle, again)
    assert again.layers() == []
    middle.close()
