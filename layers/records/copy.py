"""Copy inspection records between stores (GeoPackage ↔ PostGIS), losing nothing: users,
tokens, campaigns, members, both kinds of records (with their versions, review states and
creation hashes), photos with their bytes, reviews, zone plans with every version, and the
audit log entry for entry, so its hash chain verifies in the target and ends at the same
head.

Rows are copied table by table in one transaction on the target, which must hold no
records yet. A record's point is rebuilt from its ``computed`` position, as both stores
build it when a record is created. A zone plan version's stamp of an input layer that was
copied with it, and was current in the source, is translated to the layer's stamp in the
target (the layer gets a new version there), so a plan made on the current layers is still
seen as current after the copy; its audit entries keep the original stamps.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from layers._errors import ConflictError, StoreError
from layers.records import _pg_ddl
from layers.records._gpkg_rows import COMMON_INSERT, point_blob
from layers.records._plan_rows import HEAD_COLUMNS, VERSION_COLUMNS
from layers.records.base import RecordStore
from layers.records.gpkg import GeoPackageRecordStore
from layers.records.models import canonical_json
from layers.store.base import Store
from layers.store.copy import CopyResult, copy_store
from layers.store.gpkg import GeoPackageStore

__all__ = ["PLAN_TABLES", "TABLES", "copy_records", "copy_store_and_records", "has_records"]


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


_MARKER, _SEGMENT = _pg_ddl.KIND_TABLES["marker"][1], _pg_ddl.KIND_TABLES["segment"][1]
_CAMPAIGN = (
    "campaign_id line_code round_no year name left_code left_name right_code right_name "
    "created_by created_at estimated"
)
#: table → (columns in both backends, order of the rows)
TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "mzgis_users": (
        _columns("username role display_name password_hash active created_at"),
        "username",
    ),
    "mzgis_tokens": (
        _columns("token_hash username label created_at expires_at revoked_at"),
        "created_at, token_hash",
    ),
    "mzgis_campaigns": (_columns(_CAMPAIGN), "campaign_id"),
    "mzgis_campaign_members": (("campaign_id", "username", "side"), "campaign_id, username"),
    "mzgis_marker_inspections": ((*_MARKER, *COMMON_INSERT), "fid"),
    "mzgis_segment_checks": ((*_SEGMENT, *COMMON_INSERT), "fid"),
    "mzgis_photos": (
        _columns(
            "record_id campaign_id sha256 content_type size_bytes name data uploaded_by uploaded_at"
        ),
        "{photo_order}",
    ),
    "mzgis_reviews": (
        _columns("record_id campaign_id from_state to_state comment reviewer reviewed_at version"),
        "review_id",
    ),
    "mzgis_audit": (_columns("seq at actor action target detail prev_hash hash"), "seq"),
}
#: the zone-plan tables, copied after :data:`TABLES` (same shape)
PLAN_TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "mzgis_zone_plans": (HEAD_COLUMNS, "created_at, plan_id"),
    "mzgis_zone_plan_versions": (VERSION_COLUMNS, "plan_id, version"),
}
_BOOLEANS = ("active", "estimated")
Row = tuple[Any, ...]
_POINTS = "mzgis_marker_inspections"
#: a layer's stamp in the source → its stamp in the target, by layer name
Restamp = dict[str, tuple[dict[str, Any], dict[str, Any]]]


def has_records(store: Store) -> bool:
    """Whether ``store`` holds record tables (checked without creating them)."""
    if isinstance(store, GeoPackageStore):
        with store.connect() as con:
            row = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mzgis_audit'"
            ).fetchone()
        return row is not None
    from layers.store.postgis import PostGISStore

    if isinstance(store, PostGISStore):
        with store.pool.connection() as pg:
            found = pg.execute(
                "SELECT to_regclass(format('%%I.mzgis_audit', %s::text))", (store.schema,)
            ).fetchone()
        return found is not None and found[0] is not None
    return False


def copy_records(
    source: RecordStore, target: RecordStore, *, restamp: Restamp | None = None
) -> dict[str, int]:
    """Copy every record table of ``source`` into the empty ``target``.

    Parameters
    ----------
    source, target
        Record stores of either backend.
    restamp
        ``{layer: (source stamp, target stamp)}`` of layers copied with the records: plan
        versions stamped with the source stamp get the target one.

    Returns
    -------
    dict
        Rows copied per table.

    Raises
    ------
    ConflictError
        ``target`` already holds users, campaigns or audit entries.
    StoreError
        The copied audit log does not verify or ends elsewhere than the source's.
    """
    _require_empty(target)
    tables = {**TABLES, **PLAN_TABLES}
    with _reading(source) as read:
        rows = {table: read(table, *tables[table]) for table in tables}
    versions = rows["mzgis_zone_plan_versions"]
    rows["mzgis_zone_plan_versions"] = [_restamped(row, restamp or {}) for row in versions]
    with _writing(target) as write:
        for table, values in rows.items():
            write(table, tables[table][0], values)
    check, head = target.verify_audit(), source.audit_head()
    if not check.ok or target.audit_head() != head:
        msg = f"the copied audit log does not verify: {check.reason} / 复制后的审计日志校验失败"
        raise StoreError(msg)
    return {table: len(values) for table, values in rows.items()}


def copy_store_and_records(
    source: Store,
    target: Store,
    *,
    names: Sequence[str] | None = None,
    replace: bool = False,
    records: bool = True,
    progress: Callable[[str], None] | None = None,
) -> tuple[CopyResult, dict[str, int]]:
    """Copy layers (:func:`layers.store.copy.copy_store`) and then, when ``records`` is true
    and the source has any, every inspection record table (:func:`copy_records`).

    The target's record tables are checked before any layer is written, so a refused copy
    writes nothing. Returns the layer result and the rows copied per record table (empty
    when no records were copied).
    """
    from layers.records import layer_stamps, open_record_store

    with_records = records and has_records(source)
    if with_records and has_records(target):
        with contextlib.closing(open_record_store(target)) as existing:
            _require_empty(existing)
    result = copy_store(source, target, names=names, replace=replace, progress=progress)
    if not with_records:
        return result, {}
    restamp = {
        name: (layer_stamps(source, [name])[name], layer_stamps(target, [name])[name])
        for name in result.counts
    }
    with (
        contextlib.closing(open_record_store(source)) as src,
        contextlib.closing(open_record_store(target)) as dst,
    ):
        rows = copy_records(src, dst, restamp=restamp)
    if progress is not None:
        audit = rows["mzgis_audit"]
        progress(f"records: {audit} audit entries / 联检记录：{audit} 条审计记录")
    return result, rows


def _require_empty(target: RecordStore) -> None:
    taken = (
        target.list_users()
        or target.list_campaigns()
        or target.list_plans(limit=1)
        or target.list_plans(limit=1, analysis="communities")
    )
    if target.audit_head()[0] or taken:
        msg = (
            f"{target.url} already holds inspection records or zone plans; records are copied"
            " only into a store without any"
            " / 目标存储已有联检记录或片区方案，只能复制到没有记录的存储"
        )
        raise ConflictError(msg)


@contextlib.contextmanager
def _reading(store: RecordStore) -> Iterator[Callable[[str, tuple[str, ...], str], list[Row]]]:
    """``read(table, columns, order)`` in one transaction on ``store``."""
    order_photos = "rowid" if isinstance(store, GeoPackageRecordStore) else "photo_no"
    with store._connection() as con:  # type: ignore[attr-defined]

        def read(table: str, columns: tuple[str, ...], order: str) -> list[Row]:
            order = order.replace("{photo_order}", order_photos)
            query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"
            return [_neutral(columns, tuple(r)) for r in con.execute(query)]

        yield read


@contextlib.contextmanager
def _writing(store: RecordStore) -> Iterator[Callable[[str, tuple[str, ...], list[Row]], None]]:
    """``write(table, columns, rows)`` in one writing transaction on ``store``."""
    gpkg = isinstance(store, GeoPackageRecordStore)
    with store._transaction() as con:  # type: ignore[attr-defined]

        def write(table: str, columns: tuple[str, ...], rows: list[Row]) -> None:
            names = list(columns)
            if gpkg:
                marks = ["?"] * len(columns)
                point, values = "?", [[_gpkg_value(v) for v in row] for row in rows]
            else:
                marks = ["%s::jsonb" if c == "flags" else "%s" for c in columns]
                point, values = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)", [list(r) for r in rows]
            if table == _POINTS:
                names, marks = ["geom", *names], [point, *marks]
                for row, value in zip(rows, values, strict=True):
                    lon, lat = _point(columns, row) or (None, None)
                    if gpkg:
                        value.insert(0, point_blob({"lon": lon, "lat": lat}))
                    else:
                        value[:0] = [lon, lat]
            query = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)})"
            if values:
                con.cursor().executemany(query, values)

        yield write


def _gpkg_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _neutral(columns: tuple[str, ...], row: Row) -> Row:
    """Values as both backends take them: booleans as bool, flags as JSON text, bytes."""
    out: list[Any] = []
    for column, value in zip(columns, row, strict=True):
        if column in _BOOLEANS:
            out.append(bool(value))
        elif column == "flags" and not isinstance(value, str):
            out.append(canonical_json(value))
        elif isinstance(value, memoryview):
            out.append(bytes(value))
        else:
            out.append(value)
    return tuple(out)


def _point(columns: tuple[str, ...], row: Row) -> tuple[float, float] | None:
    computed = json.loads(row[columns.index("computed")])
    lon, lat = computed.get("lon"), computed.get("lat")
    return None if lon is None or lat is None else (float(lon), float(lat))


def _restamped(row: Row, restamp: Restamp) -> Row:
    """A plan version row whose input stamps name the target's copies of its layers."""
    at = VERSION_COLUMNS.index("inputs")
    inputs = json.loads(row[at])
    moved = {
        name: restamp[name][1] if name in restamp and stamp == restamp[name][0] else stamp
        for name, stamp in inputs.items()
    }
    return row if moved == inputs else (*row[:at], canonical_json(moved), *row[at + 1 :])
