"""The record store in the PostGIS database that holds the layers (a department's server).

It keeps the guarantees of :class:`RecordStore` exactly as the GeoPackage store does, on the
same rules and messages: idempotent creation by client UUID, ETag/``If-Match`` versions,
all-or-nothing writes (record, audit entry and review commit in one transaction), and an
append-only audit log chained by SHA-256. Here the database enforces the log, not only the
API: triggers refuse changes to it, and the role the service connects as may only read and
append it (:func:`grant_app_role`). The tables are created by numbered migrations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from layers._errors import StoreError
from layers.records import _pg_ddl
from layers.records._pg_batch import GroupCommit
from layers.records._pg_people import Con, PgPeople
from layers.records._pg_rows import photos_of, point_sql, where
from layers.records._sql_people import now_iso
from layers.records._sql_store import SqlRecordStore
from layers.records.models import (
    GENESIS_HASH,
    AuditEntry,
    Photo,
    RecordFilter,
    RecordKind,
    canonical_json,
)
from layers.store import _pg_conn
from layers.store.postgis import PostGISStore

__all__ = ["APPEND_AUDIT", "PostGISRecordStore", "grant_app_role"]


#: the next audit entry, chained to the last one by the server: its hash is computed there
#: exactly as :func:`~layers.records.audit.entry_hash` computes it (SHA-256 of the canonical
#: JSON ``[prev_hash, seq, at, actor, action, target, detail]``, whose part after ``seq`` the
#: client sends), so appending needs no read of the head first (the chain trigger still
#: checks the link)
APPEND_AUDIT = """
INSERT INTO mzgis_audit (seq, at, actor, action, target, detail, prev_hash, hash)
SELECT h.seq + 1, %s, %s, %s, %s, %s, h.hash, encode(sha256(convert_to(
  '["' || h.hash || '",' || (h.seq + 1)::text || ',' || %s, 'UTF8')), 'hex')
FROM (SELECT m.seq, COALESCE(a.hash, %s) AS hash
      FROM (SELECT COALESCE(MAX(seq), 0) AS seq FROM mzgis_audit) AS m
      LEFT JOIN mzgis_audit AS a ON a.seq = m.seq) AS h
RETURNING seq, prev_hash, hash
"""


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
        self._group = GroupCommit(self._take_connection, self._join)

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

    def _append_audit(
        self, con: Con, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> AuditEntry:
        cursor, at, stored = self._send_audit(con, actor, action, target, detail)
        seq, prev, digest = cursor.fetchone() or (0, "", "")
        return AuditEntry(int(seq), at, actor, action, target, stored, prev, digest)

    def _queue_audit(
        self, con: Con, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> None:
        self._send_audit(con, actor, action, target, detail)

    def _send_audit(
        self, con: Con, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> tuple[psycopg.Cursor[Any], str, dict[str, Any]]:
        """Send the next audit entry (:data:`APPEND_AUDIT`); its cursor (answering ``seq,
        prev_hash, hash``), its time and its detail as stored."""
        stored = json.loads(canonical_json(detail))  # exactly what is stored and re-read
        at = now_iso()
        tail = canonical_json([at, actor, action, target, stored])[1:]
        values = (at, actor, action, target, canonical_json(stored), tail, GENESIS_HASH)
        return con.execute(APPEND_AUDIT, values), at, stored


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
