"""The record store in the PostGIS database that holds the layers (a department's server).

It keeps the guarantees of :class:`RecordStore` exactly as the GeoPackage store does, on the
same rules and messages: idempotent creation by client UUID, ETag/``If-Match`` versions,
all-or-nothing writes (record, audit entry and review commit in one transaction), and an
append-only audit log chained by SHA-256. Here the database enforces the log, not only the
API: triggers refuse changes to it, and the role the service connects as may only read and
append it (:func:`grant_app_role`). The tables are created by numbered migrations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psycopg import sql

from layers._errors import StoreError
from layers.records import _pg_ddl
from layers.records._pg_batch import GroupCommit
from layers.records._pg_people import Con, PgPeople
from layers.records._pg_rows import photos_of, point_sql, where
from layers.records._sql_store import SqlRecordStore
from layers.records.models import Photo, RecordFilter, RecordKind
from layers.store import _pg_conn
from layers.store.postgis import PostGISStore

__all__ = ["PostGISRecordStore", "grant_app_role"]


class PostGISRecordStore(PgPeople, SqlRecordStore):
    """Inspection records in the schema of a PostGIS store (tables created when missing).

    Parameters
    ----------
    location
        An open :class:`PostGISStore` (its connections are shared) or its URL.
    """

    def __init__(self, location: str | Path | PostGISStore) -> None:
        self._owned = not isinstance(location, PostGISStore)
        self.store = location if isinstance(location, PostGISStore) else PostGISStore(str(location))
        self.url, self.pool, self.schema = self.store.url, self.store.pool, self.store.schema
        try:
            with self.pool.connection() as con:
                _pg_conn.migrate(con, self.schema, "records", _pg_ddl.RECORD_MIGRATIONS)
                row = con.execute("SHOW search_path").fetchone()
        except Exception as exc:
            if self._owned:
                self.store.close()
            if isinstance(exc, StoreError):
                raise
            zh = "无法建立 PostGIS 记录表"
            raise _pg_conn.store_error(exc, f"cannot open records in {self.url}", zh) from exc
        rest = row[0] if row else "public"
        self._search_path = f'"{self.schema}", {rest}'
        self._group = GroupCommit(self._take_connection, self._begin_batch)

    def close(self) -> None:
        if self._owned:
            self.store.close()

    # -- backend hooks ------------------------------------------------------------------

    def _point(self, computed: dict[str, Any]) -> tuple[str, list[Any]]:
        return point_sql(computed)

    def _photos_of(
        self, con: Con, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[Photo, ...]]:
        return photos_of(con, keys)

    def _where(self, kind: RecordKind, flt: RecordFilter) -> tuple[str, list[Any]]:
        return where(kind, flt)

    def _audit_head_in(self, con: Any) -> tuple[int, str]:
        batch = self._group.batch_of(con)
        if batch is None:
            return super()._audit_head_in(con)
        return batch.audit_head()  # read once per batch, under the write lock

    def _audit_moved(self, con: Any, seq: int, digest: str) -> None:
        batch = self._group.batch_of(con)
        if batch is not None:
            batch.head = (seq, digest)


def grant_app_role(store: PostGISStore, role: str) -> None:
    """Let ``role`` (the role the service connects as) use the store: write layers and
    records, but only read and append the audit log. Run as the tables' owner; layers
    already stored are handed to ``role`` so that it can replace them.

    Raises
    ------
    StoreError
        When the role does not exist or the grants are refused.
    """
    PostGISRecordStore(store)  # the record tables exist before they are granted
    names = {"schema": sql.Identifier(store.schema), "role": sql.Identifier(role)}
    try:
        with store.pool.connection() as con, con.transaction():
            con.execute(sql.SQL(_pg_ddl.APP_GRANTS).format(**names))
            layers = con.execute(
                sql.SQL("SELECT name FROM {}.mzgis_layers").format(names["schema"])
            ).fetchall()
            for (name,) in layers:
                con.execute(
                    sql.SQL("ALTER TABLE {} OWNER TO {}").format(
                        sql.Identifier(store.schema, name), names["role"]
                    )
                )
    except Exception as exc:
        zh = f"无法为角色 {role} 授权"
        raise _pg_conn.store_error(exc, f"cannot grant the store to role {role!r}", zh) from exc
