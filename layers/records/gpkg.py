"""The record store in the GeoPackage file that holds the layers (one file to file away).

Every method runs in one SQLite transaction (``BEGIN IMMEDIATE`` on the WAL-mode file, see
:meth:`GeoPackageStore.transaction`): the record, its audit entry and any review row commit
together or not at all, and concurrent writers queue rather than interleave. Photos are
stored as blobs in the same file. The logic shared with the PostGIS store
(records, users, campaigns, audit) is :class:`~layers.records._sql_store.SqlRecordStore`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from layers._errors import StoreError
from layers.records import _ddl
from layers.records._gpkg_people import PeopleMixin
from layers.records._gpkg_rows import has_table, photos_of, point_blob, where
from layers.records._sql_store import SqlRecordStore
from layers.records.models import Photo, RecordFilter, RecordKind
from layers.store.gpkg import GeoPackageStore

__all__ = ["GeoPackageRecordStore"]


class GeoPackageRecordStore(PeopleMixin, SqlRecordStore):
    """Inspection records in a GeoPackage (created when missing), beside its layers."""

    def __init__(self, location: str | Path | GeoPackageStore) -> None:
        self.gpkg = location if isinstance(location, GeoPackageStore) else GeoPackageStore(location)
        self.url = self.gpkg.url
        self._init_connections()
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        with self._transaction() as con:
            row = None
            if has_table(con, "mzgis_records_meta"):
                sql = "SELECT value FROM mzgis_records_meta WHERE key = 'schema'"
                row = con.execute(sql).fetchone()
            if row is None:
                for statement in [*_ddl.statements(_ddl.TABLES), *_ddl.REGISTER_FEATURES]:
                    con.execute(statement)
                con.execute("INSERT INTO mzgis_records_meta VALUES ('schema', '1')")
            found = 1 if row is None else int(row[0])
            if found > _ddl.SCHEMA_VERSION:
                msg = f"record tables have schema {found}, expected {_ddl.SCHEMA_VERSION}"
                raise StoreError(f"{msg} (a newer mzgis made them) / 记录表版本高于本程序")
            for version in range(found + 1, _ddl.SCHEMA_VERSION + 1):
                for statement in _ddl.statements(_ddl.UPGRADES[version]):
                    con.execute(statement)
            if found != _ddl.SCHEMA_VERSION:
                con.execute(
                    "UPDATE mzgis_records_meta SET value = ? WHERE key = 'schema'",
                    (str(_ddl.SCHEMA_VERSION),),
                )

    # -- backend hooks ------------------------------------------------------------------

    _NO_LIMIT = -1

    def _point(self, computed: dict[str, Any]) -> tuple[str, list[Any]]:
        return "?", [point_blob(computed)]

    def _photos_of(
        self, con: sqlite3.Connection, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[Photo, ...]]:
        return photos_of(con, keys)

    def _where(self, kind: RecordKind, flt: RecordFilter) -> tuple[str, list[Any]]:
        return where(kind, flt)
