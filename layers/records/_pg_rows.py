"""Rows of the record tables in PostGIS: the photos of records, and the WHERE clause
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

__all__ = ["photos_of", "point_sql", "where"]

Con = psycopg.Connection[Any]


def photos_of(con: Con, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[Photo, ...]]:
    """Photos (metadata) of these ``(campaign_id, record_id)`` records, in upload order."""
    if not keys:
        return {}
    wanted = set(keys)
    out: dict[tuple[str, str], list[Photo]] = {}
    rows = con.execute(
        f"SELECT campaign_id, {PHOTO_COLUMNS} FROM mzgis_photos WHERE record_id = ANY(%s) "
        "ORDER BY photo_no",
        (sorted({record_id for _, record_id in keys}),),
    )
    for row in rows:
        if (row[0], row[1]) in wanted:
            out.setdefault((row[0], row[1]), []).append(Photo(*row[1:]))
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
