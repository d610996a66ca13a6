"""Rows of the record tables in SQLite: reading them into :class:`Record` objects, and the
WHERE clause of a :class:`RecordFilter`."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import numpy as np
import shapely

from layers.records import _ddl
from layers.records.models import KINDS, Photo, Record, RecordFilter, RecordKind
from layers.store import _blob

__all__ = [
    "COMMON_INSERT",
    "PHOTO_COLUMNS",
    "RECORD_COLUMNS",
    "find",
    "has_table",
    "load_row",
    "photos_of",
    "point_blob",
    "search_text",
    "to_record",
    "where",
]

RECORD_COLUMNS = (
    "record_id, campaign_id, line_code, review_state, version, create_hash, body, computed, "
    "estimated, created_by, created_at, updated_at"
)
PHOTO_COLUMNS = "record_id, sha256, content_type, size_bytes, name, uploaded_by, uploaded_at"
COMMON_INSERT = [
    "record_id", "campaign_id", "line_code", "review_state", "version", "create_hash",
    "body", "computed", "flags", "search_text", "estimated", "created_by", "created_at",
    "updated_at",
]  # fmt: skip


def has_table(con: sqlite3.Connection, name: str) -> bool:
    row = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return row.fetchone() is not None


def find(con: sqlite3.Connection, record_id: str) -> tuple[RecordKind, tuple[Any, ...]] | None:
    for kind in KINDS:
        table, _ = _ddl.KIND_TABLES[kind]
        sql = f"SELECT {RECORD_COLUMNS} FROM {table} WHERE record_id = ?"
        row = con.execute(sql, (record_id,)).fetchone()
        if row is not None:
            return kind, tuple(row)
    return None


def load_row(con: sqlite3.Connection, kind: RecordKind, record_id: str) -> tuple[Any, ...]:
    table, _ = _ddl.KIND_TABLES[kind]
    sql = f"SELECT {RECORD_COLUMNS} FROM {table} WHERE record_id = ?"
    return tuple(con.execute(sql, (record_id,)).fetchone())


def to_record(kind: RecordKind, row: tuple[Any, ...], photos: tuple[Photo, ...]) -> Record:
    rid, cid, line, state, version, _, body, computed, estimated, by, at, updated = row
    return Record(
        kind, rid, cid, line, json.loads(body), json.loads(computed), state, version, by, at,
        updated, bool(estimated), photos,
    )  # fmt: skip


def photos_of(con: sqlite3.Connection, record_ids: list[str]) -> dict[str, tuple[Photo, ...]]:
    if not record_ids:
        return {}
    out: dict[str, list[Photo]] = {}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        sql = (
            f"SELECT {PHOTO_COLUMNS} FROM mzgis_photos WHERE record_id IN ({marks}) ORDER BY rowid"
        )
        for row in con.execute(sql, chunk):
            out.setdefault(row[0], []).append(Photo(*row))
    return {k: tuple(v) for k, v in out.items()}


def point_blob(computed: dict[str, Any]) -> bytes | None:
    lon, lat = computed.get("lon"), computed.get("lat")
    if lon is None or lat is None:
        return None
    return _blob.encode(np.array([shapely.Point(lon, lat)], dtype=object), 4326)[0]


def search_text(body: dict[str, Any]) -> str:
    parts = [body.get(k) for k in ("notes", "damage_detail", "description", "marker_no")]
    return " ".join(str(p) for p in parts if p)


def where(kind: RecordKind, flt: RecordFilter) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    if flt.campaign_ids is not None:
        clauses.append(
            f"campaign_id IN ({', '.join('?' * len(flt.campaign_ids))})"
            if flt.campaign_ids
            else "0 = 1"
        )
        params += list(flt.campaign_ids)
    for column in ("campaign_id", "line_code", "review_state", "created_by"):
        value = getattr(flt, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if flt.marker_no is not None:
        if kind == "marker":
            clauses.append("marker_no = ?")
            params.append(flt.marker_no)
        else:
            clauses.append("(from_marker = ? OR to_marker = ?)")
            params += [flt.marker_no, flt.marker_no]
    if flt.condition is not None:
        clauses.append("condition = ?" if kind == "marker" else "0 = 1")
        params += [flt.condition] if kind == "marker" else []
    if flt.status is not None:
        clauses.append("status = ?" if kind == "segment" else "0 = 1")
        params += [flt.status] if kind == "segment" else []
    if flt.flag is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(flags) WHERE value = ?)")
        params.append(flt.flag)
    if flt.text:
        clauses.append("search_text LIKE ? ESCAPE '\\'")
        escaped = flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    return " AND ".join(clauses), params
