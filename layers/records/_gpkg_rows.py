"""Rows of the record tables in SQLite: reading them into :class:`Record` objects, and the
WHERE clause of a :class:`RecordFilter`."""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np
import shapely

from layers.records import _rows
from layers.records._rows import (
    COMMON_INSERT,
    PHOTO_COLUMNS,
    RECORD_COLUMNS,
    search_text,
    to_record,
)
from layers.records.models import Photo, RecordFilter, RecordKind
from layers.store import _blob

__all__ = [
    "COMMON_INSERT",
    "PHOTO_COLUMNS",
    "RECORD_COLUMNS",
    "has_table",
    "photos_of",
    "point_blob",
    "search_text",
    "to_record",
    "where",
]


def has_table(con: sqlite3.Connection, name: str) -> bool:
    row = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return row.fetchone() is not None


def photos_of(
    con: sqlite3.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[Photo, ...]]:
    """Photos (metadata) of these ``(campaign_id, record_id)`` records, in upload order."""
    if not keys:
        return {}
    wanted = set(keys)
    ids = sorted({record_id for _, record_id in keys})
    out: dict[tuple[str, str], list[Photo]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        sql = (
            f"SELECT campaign_id, {PHOTO_COLUMNS} FROM mzgis_photos "
            f"WHERE record_id IN ({marks}) ORDER BY rowid"
        )
        for row in con.execute(sql, chunk):
            if (row[0], row[1]) in wanted:
                out.setdefault((row[0], row[1]), []).append(Photo(*row[1:]))
    return {k: tuple(v) for k, v in out.items()}


def point_blob(computed: dict[str, Any]) -> bytes | None:
    lon, lat = computed.get("lon"), computed.get("lat")
    if lon is None or lat is None:
        return None
    return _blob.encode(np.array([shapely.Point(lon, lat)], dtype=object), 4326)[0]


def where(kind: RecordKind, flt: RecordFilter) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    if flt.campaign_ids is not None:
        clauses.append(
            f"campaign_id IN ({', '.join('?' * len(flt.campaign_ids))})"
            if flt.campaign_ids
            else "0 = 1"
        )
        params += list(flt.campaign_ids)
    if flt.flag is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(flags) WHERE value = ?)")
        params.append(flt.flag)
    more, more_params = _rows.filter_clauses(kind, flt, mark="?", false="0 = 1")
    return " AND ".join([*clauses, *more]), [*params, *more_params]
