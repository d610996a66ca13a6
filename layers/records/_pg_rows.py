"""Rows of the record tables in PostGIS: finding records, their photos, and the WHERE clause
of a :class:`RecordFilter` (the PostgreSQL twins of :mod:`layers.records._gpkg_rows`).

Every query runs with the store's schema first on the ``search_path`` (see
:class:`layers.records._pg_people.PgConnections`), so table names are unqualified.
"""

from __future__ import annotations

from typing import Any

import psycopg

from layers.records import _rows
from layers.records._rows import PHOTO_COLUMNS
from layers.records.models import Photo, RecordFilter, RecordKind

__all__ = ["find", "load_row", "photos_of", "point_sql", "where"]

Con = psycopg.Connection[Any]


def find(con: Con, record_id: str) -> tuple[RecordKind, tuple[Any, ...]] | None:
    """The kind and row of a record, whichever table holds it."""
    return _rows.find(con, record_id, mark="%s")


def load_row(con: Con, kind: RecordKind, record_id: str) -> tuple[Any, ...]:
    return _rows.load_row(con, kind, record_id, mark="%s")


def photos_of(con: Con, record_ids: list[str]) -> dict[str, tuple[Photo, ...]]:
    """Photos (metadata) of these records, in upload order."""
    if not record_ids:
        return {}
    out: dict[str, list[Photo]] = {}
    rows = con.execute(
        f"SELECT {PHOTO_COLUMNS} FROM mzgis_photos WHERE record_id = ANY(%s) ORDER BY photo_no",
        (record_ids,),
    )
    for row in rows:
        out.setdefault(row[0], []).append(Photo(*row))
    return {k: tuple(v) for k, v in out.items()}


def point_sql(computed: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL of the record's point (from ``lon``/``lat`` in ``computed``) and its values."""
    lon, lat = computed.get("lon"), computed.get("lat")
    if lon is None or lat is None:
        return "NULL", []
    return "ST_SetSRID(ST_MakePoint(%s, %s), 4326)", [float(lon), float(lat)]


def where(kind: RecordKind, flt: RecordFilter) -> tuple[str, list[Any]]:
    """The WHERE clause (without ``WHERE``) selecting the records of ``flt``."""
    clauses: list[str] = ["true"]
    params: list[Any] = []
    if flt.campaign_ids is not None:
        clauses.append("campaign_id = ANY(%s)")
        params.append(list(flt.campaign_ids))
    if flt.flag is not None:
        clauses.append("flags @> jsonb_build_array(%s::text)")
        params.append(flt.flag)
    more, more_params = _rows.filter_clauses(kind, flt, mark="%s", false="false")
    return " AND ".join([*clauses, *more]), [*params, *more_params]
