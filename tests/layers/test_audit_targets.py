"""Audit targets naming a record: written as ``kind:campaign/record``, read back in that form
and in the older ``kind:record`` (entries written before a record's id was unique only
within its campaign) by one parser, which the backup verification uses."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import pytest

from layers._errors import StoreError
from layers.records import (
    Campaign,
    GeoPackageRecordStore,
    RecordTarget,
    parse_target,
)
from layers.records._rows import target
from layers.records.backup import verify_backup

CAMPAIGN = Campaign("2025-0001", "0001", 1, 2025, "test", "110101", "东城区", "110102", "西城区")
RECORD_ID = "6f1c2a3e-0000-4000-8000-000000000001"
BODY = {"marker_no": "0001003B", "condition": "完好", "inspected_at": "2025-04-08T01:30:00Z"}


def test_a_written_target_reads_back() -> None:
    text = target("marker", "2025-0001", RECORD_ID)
    assert text == f"marker:2025-0001/{RECORD_ID}"
    parsed = parse_target(text)
    assert parsed == RecordTarget("marker", RECORD_ID, "2025-0001")
    assert parsed.name == f"2025-0001/{RECORD_ID}"


def test_the_older_form_has_no_campaign() -> None:
    parsed = parse_target(f"segment:{RECORD_ID}")
    assert parsed == RecordTarget("segment", RECORD_ID, None)
    assert parsed.name == RECORD_ID


@pytest.mark.parametrize(
    "text", ["", RECORD_ID, f":2025-0001/{RECORD_ID}", "marker:", "marker:2025-0001/", "marker:/x"]
)
def test_a_target_naming_no_record_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="names no record") as info:
        parse_target(text)
    assert "不是记录的标识" in str(info.value)


def _store_with_one_record(path: Path) -> GeoPackageRecordStore:
    records = GeoPackageRecordStore(path)
    records.add_campaign(CAMPAIGN, actor="cli")
    records.create_record(
        "marker", record_id=RECORD_ID, campaign_id="2025-0001", line_code="0001",
        body=BODY, computed={"lon": 116.39, "lat": 39.9}, actor="cli",
    )  # fmt: skip
    return records


@pytest.mark.parametrize("named", [f"2025-0001/{RECORD_ID}", RECORD_ID])
def test_verification_finds_the_record_in_either_form(tmp_path: Path, named: str) -> None:
    path = tmp_path / "r.gpkg"
    with contextlib.closing(_store_with_one_record(path)) as records:
        records.audit("record.review", f"marker:{named}", {}, actor="cli")
    assert verify_backup(path).audit_entries == 3


@pytest.mark.parametrize("form", ["campaign/record", "record"])
def test_verification_tells_a_missing_record_in_either_form(tmp_path: Path, form: str) -> None:
    path = tmp_path / "r.gpkg"
    gone = str(uuid.uuid4())
    named = f"marker:2025-0001/{gone}" if form == "campaign/record" else f"marker:{gone}"
    with contextlib.closing(_store_with_one_record(path)) as records:
        records.audit("record.update", named, {}, actor="cli")
    with pytest.raises(StoreError, match=f"names {named}, which is missing"):
        verify_backup(path)


def test_verification_tells_a_missing_photo(tmp_path: Path) -> None:
    path = tmp_path / "r.gpkg"
    with contextlib.closing(_store_with_one_record(path)) as records:
        records.audit(
            "photo.add", f"marker:2025-0001/{RECORD_ID}", {"sha256": "0" * 64}, actor="cli"
        )
    with pytest.raises(StoreError, match="which is missing"):
        verify_backup(path)
