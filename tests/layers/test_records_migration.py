"""Record stores made before a record's identity was its campaign and its id (schema 2 of a
GeoPackage, migration step 2 of PostGIS) are brought up to date in place, losing nothing.

``data/records_v2.json`` holds every record-table row that the code of that time wrote
(a store made with the main branch at commit 74d79d1: users, two campaigns, a marker
inspection with a photo and a review, a segment check, their audit chain). The test lays
those rows into the tables of that time, created by the schema scripts that shipped then
(:data:`layers.records._ddl.TABLES` and ``UPGRADES[2]``; the first two PostGIS steps), opens
the store with today's code, and checks every row and the audit chain, then the new rule.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from layers._errors import ConflictError
from layers.records import AmbiguousRecordError, RecordStore, _ddl, _pg_ddl, open_record_store
from layers.records._gpkg_rows import point_blob
from layers.records.backup import verify_backup
from layers.store import GeoPackageStore, Store, _pg_conn
from layers.store.postgis import PostGISStore

FIXTURE = Path(__file__).parent / "data" / "records_v2.json"
MARKER_ID = "6f1c2a3e-0000-4000-8000-000000000001"
SEGMENT_ID = "6f1c2a3e-0000-4000-8000-000000000002"
PHOTO = b"\xff\xd8\xff\xe0" + b"v2-photo" * 10


def _rows() -> dict[str, Any]:
    tables: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for table in tables.values():
        table["rows"] = [
            [base64.b64decode(v["base64"]) if isinstance(v, dict) else v for v in row]
            for row in table["rows"]
        ]
    return tables


def _lay_gpkg(store: GeoPackageStore, tables: dict[str, Any]) -> None:
    with store.connect() as con:
        con.execute("BEGIN IMMEDIATE")
        script = _ddl.TABLES + _ddl.UPGRADES[2]
        for statement in [*_ddl.statements(script), *_ddl.REGISTER_FEATURES]:
            con.execute(statement)
        con.execute("INSERT INTO mzgis_records_meta VALUES ('schema', '2')")
        for name, table in tables.items():
            columns, rows = list(table["columns"]), table["rows"]
            if name == "mzgis_marker_inspections":
                at = columns.index("computed")
                rows = [[point_blob(json.loads(r[at])), *r] for r in rows]
                columns = ["geom", *columns]
            marks = ", ".join("?" * len(columns))
            con.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)
        con.execute("COMMIT")


def _lay_postgis(store: PostGISStore, tables: dict[str, Any]) -> None:
    with store.pool.connection() as con:
        _pg_conn.migrate(con, store.schema, "records", _pg_ddl.RECORD_MIGRATIONS[:2])
        with con.transaction():
            path = f'"{store.schema}", public'
            con.execute("SELECT set_config('search_path', %s, true)", (path,))
            for name, table in tables.items():
                columns, rows = list(table["columns"]), table["rows"]
                marks = ["%s::jsonb" if c == "flags" else "%s" for c in columns]
                flags = [c in ("active", "estimated") for c in columns]
                values = [
                    [bool(v) if f else v for f, v in zip(flags, r, strict=True)] for r in rows
                ]
                if name == "mzgis_marker_inspections":
                    at = columns.index("computed")
                    values = [[*_lonlat(r[at]), *r] for r in values]
                    columns, marks = (
                        ["geom", *columns],
                        ["ST_SetSRID(ST_MakePoint(%s, %s), 4326)", *marks],
                    )
                query = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
                if values:
                    con.cursor().executemany(query, values)


def _lonlat(computed: str) -> list[float]:
    parsed = json.loads(computed)
    return [float(parsed["lon"]), float(parsed["lat"])]


@pytest.fixture
def migrated(store: Store) -> Iterator[tuple[RecordStore, dict[str, Any]]]:
    """The schema-2 rows laid into ``store`` and opened (so migrated) by today's code."""
    tables = _rows()
    if isinstance(store, GeoPackageStore):
        _lay_gpkg(store, tables)
    else:
        assert isinstance(store, PostGISStore)
        _lay_postgis(store, tables)
    with contextlib.closing(open_record_store(store)) as records:
        yield records, tables


def test_every_row_survives_the_migration(migrated: tuple[RecordStore, dict[str, Any]]) -> None:
    records, tables = migrated
    audit = tables["mzgis_audit"]["rows"]
    check = records.verify_audit()
    assert check.ok and check.entries == len(audit)
    assert records.audit_head() == (audit[-1][0], audit[-1][7])
    assert [e.target for e in records.audit_log()] == [r[4] for r in audit]  # never rewritten
    marker = records.get_record(MARKER_ID)
    assert (marker.campaign_id, marker.kind, marker.version) == ("2020-0001", "marker", 2)
    assert marker.review_state == "has_issues" and marker.body["notes"] == "旧记录"
    assert [p.sha256 for p in marker.photos] == [hashlib.sha256(PHOTO).hexdigest()]
    assert records.photo_bytes(MARKER_ID, marker.photos[0].sha256)[1] == PHOTO
    assert [(r.to_state, r.comment) for r in records.reviews(MARKER_ID)] == [("has_issues", "补拍")]
    segment = records.get_record(SEGMENT_ID, campaign_id="2025-0001", kind="segment")
    assert segment.created_by == "li" and segment.computed["length_m"] == 500.0
    assert {u.username for u in records.list_users()} == {"wang", "li", "zhao"}
    assert records.campaigns_of("wang") == ("2020-0001",)


def test_a_migrated_store_takes_an_old_id_in_another_campaign(
    migrated: tuple[RecordStore, dict[str, Any]],
) -> None:
    records, _ = migrated
    old = records.get_record(MARKER_ID)
    body = {**old.body, "campaign_id": "2025-0001", "notes": "新一轮"}
    new, created = records.create_record(
        "marker", record_id=MARKER_ID, campaign_id="2025-0001", line_code="0001", body=body,
        computed=old.computed, actor="li",
    )  # fmt: skip
    assert created and new.campaign_id == "2025-0001" and new.photos == ()
    with pytest.raises(ConflictError):  # same campaign, other body: still refused
        records.create_record(
            "marker", record_id=MARKER_ID, campaign_id="2020-0001", line_code="0001",
            body={**old.body, "notes": "改"}, computed=old.computed, actor="wang",
        )  # fmt: skip
    assert records.get_record(MARKER_ID, campaign_id="2020-0001") == old
    assert len(records.find_records(MARKER_ID)) == 2
    with pytest.raises(AmbiguousRecordError):  # two campaigns hold it: name one
        records.get_record(MARKER_ID)
    assert records.audit_log()[-1].target == f"marker:2025-0001/{MARKER_ID}"
    assert records.verify_audit().ok


def test_a_migrated_geopackage_verifies_as_a_backup(tmp_path: Path) -> None:
    """Entries naming records the old way (``marker:id``) still find their records."""
    path = tmp_path / "old.gpkg"
    _lay_gpkg(GeoPackageStore(path), _rows())
    open_record_store(path).close()
    result = verify_backup(path)
    assert result.photos == 1 and result.audit_entries == len(_rows()["mzgis_audit"]["rows"])
