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

from psycopg import sql

from layers._errors import ConflictError, PreconditionFailedError, Problem, StoreError
from layers.records import _pg_ddl
from layers.records._gpkg_people import now_iso
from layers.records._gpkg_rows import COMMON_INSERT, RECORD_COLUMNS, search_text, to_record
from layers.records._pg_people import Con, PgPeople
from layers.records._pg_rows import find, load_row, photos_of, point_sql, where
from layers.records.audit import entry_hash, verify_chain
from layers.records.base import RecordStore
from layers.records.errors import RecordNotFoundError, RecordValidationError
from layers.records.models import (
    GENESIS_HASH,
    REVIEW_TARGETS,
    AuditCheck,
    AuditEntry,
    Photo,
    Record,
    RecordFilter,
    RecordKind,
    Review,
    canonical_json,
    etag_matches,
    sha256_hex,
)
from layers.store import _pg_conn
from layers.store.postgis import PostGISStore

__all__ = ["PostGISRecordStore", "grant_app_role"]

_FINAL_STATES = ("approved", "rejected")


class PostGISRecordStore(PgPeople, RecordStore):
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

    def close(self) -> None:
        if self._owned:
            self.store.close()

    # -- records -----------------------------------------------------------------------

    def create_record(
        self,
        kind: RecordKind,
        *,
        record_id: str,
        campaign_id: str,
        line_code: str,
        body: dict[str, Any],
        computed: dict[str, Any],
        actor: str,
        estimated: bool = False,
    ) -> tuple[Record, bool]:
        create_hash = sha256_hex(canonical_json(body))
        with self._connection() as con:  # a replay needs no write lock
            replayed = self._replayed(con, kind, record_id, create_hash)
        if replayed is not None:
            return replayed, False
        with self._transaction() as con:
            replayed = self._replayed(con, kind, record_id, create_hash)  # raced in meanwhile
            if replayed is not None:
                return replayed, False
            self._require_campaign(con, campaign_id)
            now = now_iso()
            table, columns = _pg_ddl.KIND_TABLES[kind]
            values: list[Any] = [body[c] for c in columns]
            common = [record_id, campaign_id, line_code, "received", 1, create_hash]
            common += [canonical_json(body), canonical_json(computed)]
            common += [canonical_json(computed.get("flags", [])), search_text(body)]
            common += [bool(estimated), actor, now, now]
            names, marks = [*columns, *COMMON_INSERT], ["%s"] * (len(columns) + len(common))
            if kind == "marker":
                point, coords = point_sql(computed)
                names, marks, values = ["geom", *names], [point, *marks], [*coords, *values]
            con.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)})",
                [*values, *common],
            )
            detail = {"version": 1, "campaign_id": campaign_id, "body": body}
            self._append_audit(con, actor, "record.create", f"{kind}:{record_id}", detail)
            return self._record(con, kind, load_row(con, kind, record_id)), True

    def _replayed(
        self, con: Con, kind: RecordKind, record_id: str, create_hash: str
    ) -> Record | None:
        """The stored record when this is a replay of its creation; ``None`` when there is
        no such record; :class:`ConflictError` when the id is taken by another body."""
        found = find(con, record_id)
        if found is None:
            return None
        stored_kind, row = found
        if stored_kind != kind or row[5] != create_hash:
            msg = (
                f"record {record_id} exists with a different body; use a new UUID for a new"
                f" record, or PATCH with If-Match to change it / 记录 {record_id}"
                " 已存在且内容不同：新记录请使用新的 UUID，修改请带 If-Match 提交"
            )
            raise ConflictError(msg)
        return self._record(con, stored_kind, row)

    def get_record(self, record_id: str, *, kind: RecordKind | None = None) -> Record:
        with self._connection() as con:
            found = find(con, record_id)
            if found is None or (kind is not None and found[0] != kind):
                raise RecordNotFoundError("record", record_id)
            return self._record(con, *found)

    def list_records(
        self, kind: RecordKind, flt: RecordFilter, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Record], int]:
        table, _ = _pg_ddl.KIND_TABLES[kind]
        clause, params = where(kind, flt)
        with self._connection() as con:
            total = con.execute(f"SELECT COUNT(*) FROM {table} WHERE {clause}", params).fetchone()
            rows = con.execute(
                f"SELECT {RECORD_COLUMNS} FROM {table} WHERE {clause} "
                "ORDER BY fid LIMIT %s OFFSET %s",
                [*params, limit, offset],
            ).fetchall()
            photos = photos_of(con, [r[0] for r in rows])
        records = [to_record(kind, tuple(r), photos.get(r[0], ())) for r in rows]
        return records, int(total[0]) if total else 0

    def update_record(
        self,
        record_id: str,
        *,
        body: dict[str, Any],
        computed: dict[str, Any],
        if_match: str,
        actor: str,
    ) -> Record:
        with self._transaction() as con:
            current = self._current(con, record_id, if_match, verb="changed")
            table, columns = _pg_ddl.KIND_TABLES[current.kind]
            sets = [f"{c} = %s" for c in columns]
            values: list[Any] = [body[c] for c in columns]
            if current.kind == "marker":
                point, coords = point_sql(computed)
                sets.append(f"geom = {point}")
                values += coords
            sets += ["body = %s", "computed = %s", "flags = %s", "search_text = %s"]
            values += [canonical_json(body), canonical_json(computed)]
            values += [canonical_json(computed.get("flags", [])), search_text(body)]
            version = current.version + 1
            sets += ["version = %s", "review_state = 'received'", "updated_at = %s"]
            values += [version, now_iso(), record_id]
            con.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE record_id = %s", values)
            detail = {"version": version, "from_state": current.review_state, "body": body}
            self._append_audit(con, actor, "record.update", f"{current.kind}:{record_id}", detail)
            return self._record(con, current.kind, load_row(con, current.kind, record_id))

    def review_record(
        self, record_id: str, *, state: str, comment: str, if_match: str, actor: str
    ) -> Record:
        if state not in REVIEW_TARGETS:
            problem = Problem(None, "state", state, f"must be one of {REVIEW_TARGETS}")
            raise RecordValidationError("review", [problem])
        with self._transaction() as con:
            current = self._current(con, record_id, if_match, verb="reviewed")
            table, _ = _pg_ddl.KIND_TABLES[current.kind]
            version, now = current.version + 1, now_iso()
            con.execute(
                f"UPDATE {table} SET review_state = %s, version = %s, updated_at = %s "
                "WHERE record_id = %s",
                (state, version, now, record_id),
            )
            con.execute(
                "INSERT INTO mzgis_reviews (record_id, from_state, to_state, comment, reviewer, "
                "reviewed_at, version) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (record_id, current.review_state, state, comment, actor, now, current.version),
            )
            detail = {"version": version, "from_state": current.review_state, "to_state": state}
            detail["comment"] = comment
            self._append_audit(con, actor, "record.review", f"{current.kind}:{record_id}", detail)
            return self._record(con, current.kind, load_row(con, current.kind, record_id))

    def reviews(self, record_id: str) -> list[Review]:
        with self._connection() as con:
            rows = con.execute(
                "SELECT record_id, from_state, to_state, comment, reviewer, reviewed_at, version "
                "FROM mzgis_reviews WHERE record_id = %s ORDER BY review_id",
                (record_id,),
            ).fetchall()
        return [Review(*r) for r in rows]

    def _current(self, con: Con, record_id: str, if_match: str, *, verb: str) -> Record:
        """The record about to change, after the version and review-state rules."""
        found = find(con, record_id)
        if found is None:
            raise RecordNotFoundError("record", record_id)
        current = self._record(con, *found)
        if not etag_matches(if_match, current.etag):
            msg = (
                f"record {record_id} has changed since {if_match} (now {current.etag}); fetch"
                f" it again and re-apply your change / 记录已被他人修改，请重新获取后再提交"
            )
            raise PreconditionFailedError(msg)
        if current.review_state in _FINAL_STATES:
            zh = "通过审核" if current.review_state == "approved" else "被退回"
            msg = f"record {record_id} is {current.review_state} and cannot be {verb}"
            msg += f" / 记录已{zh}，不能再修改"
            raise ConflictError(msg)
        return current

    def _record(self, con: Con, kind: RecordKind, row: tuple[Any, ...]) -> Record:
        photos = photos_of(con, [row[0]])
        return to_record(kind, row, photos.get(row[0], ()))

    # -- photos ------------------------------------------------------------------------

    def add_photo(
        self,
        record_id: str,
        *,
        sha256: str,
        content_type: str,
        name: str,
        data: bytes,
        actor: str,
    ) -> tuple[Photo, bool]:
        if sha256_hex(data) != sha256:
            problem = Problem(None, "sha256", sha256, "does not match the photo's bytes")
            raise RecordValidationError("photo", [problem])
        with self._transaction() as con:
            found = find(con, record_id)
            if found is None:
                raise RecordNotFoundError("record", record_id)
            kind, row = found
            if row[3] in _FINAL_STATES:
                msg = f"record {record_id} is {row[3]}: no more photos"
                msg += " / 记录已审核完毕，不能再上传照片"
                raise ConflictError(msg)
            stored = photos_of(con, [record_id]).get(record_id, ())
            existing = next((p for p in stored if p.sha256 == sha256), None)
            if existing is not None:
                return existing, False
            photo = Photo(record_id, sha256, content_type, len(data), name, actor, now_iso())
            con.execute(
                "INSERT INTO mzgis_photos (record_id, sha256, content_type, size_bytes, name, "
                "uploaded_by, uploaded_at, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (*photo.__dict__.values(), data),
            )
            detail = {"sha256": sha256, "size_bytes": len(data), "content_type": content_type}
            self._append_audit(con, actor, "photo.add", f"{kind}:{record_id}", detail)
            return photo, True

    def photo_bytes(self, record_id: str, sha256: str) -> tuple[Photo, bytes]:
        with self._connection() as con:
            row = con.execute(
                "SELECT record_id, sha256, content_type, size_bytes, name, uploaded_by, "
                "uploaded_at, data FROM mzgis_photos WHERE record_id = %s AND sha256 = %s",
                (record_id, sha256),
            ).fetchone()
        if row is None:
            raise RecordNotFoundError("photo", sha256)
        return Photo(*row[:-1]), bytes(row[-1])

    # -- audit -------------------------------------------------------------------------

    def audit(self, action: str, target: str, detail: dict[str, Any], *, actor: str) -> AuditEntry:
        with self._transaction() as con:
            return self._append_audit(con, actor, action, target, detail)

    def audit_log(self, *, after_seq: int = 0, limit: int | None = None) -> list[AuditEntry]:
        with self._connection() as con:
            rows = con.execute(
                "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM mzgis_audit "
                "WHERE seq > %s ORDER BY seq LIMIT %s",
                (after_seq, limit),
            ).fetchall()
        return [
            AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows
        ]

    def audit_head(self) -> tuple[int, str]:
        with self._connection() as con:
            last = con.execute(
                "SELECT seq, hash FROM mzgis_audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)

    def verify_audit(self) -> AuditCheck:
        return verify_chain(self.audit_log())

    def _append_audit(
        self, con: Con, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> AuditEntry:
        last = con.execute("SELECT seq, hash FROM mzgis_audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS_HASH)
        at = now_iso()
        detail = json.loads(canonical_json(detail))  # exactly what is stored and re-read
        digest = entry_hash(
            prev, seq=seq, at=at, actor=actor, action=action, target=target, detail=detail
        )
        con.execute(
            "INSERT INTO mzgis_audit VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (seq, at, actor, action, target, canonical_json(detail), prev, digest),
        )
        return AuditEntry(seq, at, actor, action, target, detail, prev, digest)


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
