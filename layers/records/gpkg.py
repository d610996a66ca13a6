"""The record store in the GeoPackage file that holds the layers (one file to file away).

Every method runs in one SQLite transaction (``BEGIN IMMEDIATE`` on the WAL-mode file, see
:meth:`GeoPackageStore.transaction`): the record, its audit entry and any review row commit
together or not at all, and concurrent writers queue rather than interleave. Photos are
stored as blobs in the same file. Users, tokens and campaigns live in
:mod:`layers.records._gpkg_people`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from layers._errors import ConflictError, PreconditionFailedError, Problem, StoreError
from layers.records import _ddl
from layers.records._gpkg_people import PeopleMixin, now_iso
from layers.records._gpkg_rows import (
    COMMON_INSERT,
    PHOTO_COLUMNS,
    RECORD_COLUMNS,
    find,
    has_table,
    load_row,
    photos_of,
    point_blob,
    search_text,
    to_record,
    where,
)
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
from layers.store.gpkg import GeoPackageStore

__all__ = ["GeoPackageRecordStore"]

_FINAL_STATES = ("approved", "rejected")


class GeoPackageRecordStore(PeopleMixin, RecordStore):
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
            if row is not None:
                if int(row[0]) != _ddl.SCHEMA_VERSION:
                    msg = f"record tables have schema {row[0]}, expected {_ddl.SCHEMA_VERSION}"
                    raise StoreError(f"{msg} / 记录表版本不符")
                return
            for statement in [*_ddl.statements(_ddl.TABLES), *_ddl.REGISTER_FEATURES]:
                con.execute(statement)
            con.execute(
                "INSERT INTO mzgis_records_meta VALUES ('schema', ?)", (str(_ddl.SCHEMA_VERSION),)
            )

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
            table, columns = _ddl.KIND_TABLES[kind]
            values = [body[c] for c in columns]
            common = [record_id, campaign_id, line_code, "received", 1, create_hash]
            common += [canonical_json(body), canonical_json(computed)]
            common += [canonical_json(computed.get("flags", [])), search_text(body)]
            common += [int(estimated), actor, now, now]
            names = [*columns, *COMMON_INSERT]
            if kind == "marker":
                names, values = ["geom", *names], [point_blob(computed), *values]
            marks = ", ".join("?" * len(names))
            con.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", [*values, *common]
            )
            detail = {"version": 1, "campaign_id": campaign_id, "body": body}
            self._append_audit(con, actor, "record.create", f"{kind}:{record_id}", detail)
            return self._record(con, kind, load_row(con, kind, record_id)), True

    def _replayed(
        self, con: sqlite3.Connection, kind: RecordKind, record_id: str, create_hash: str
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
        table, _ = _ddl.KIND_TABLES[kind]
        clause, params = where(kind, flt)
        with self._connection() as con:
            (total,) = con.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {clause}", params
            ).fetchone()
            rows = con.execute(
                f"SELECT {RECORD_COLUMNS} FROM {table} WHERE {clause} "
                "ORDER BY fid LIMIT ? OFFSET ?",
                [*params, -1 if limit is None else limit, offset],
            ).fetchall()
            photos = photos_of(con, [r[0] for r in rows])
        records = [to_record(kind, r, photos.get(r[0], ())) for r in rows]
        return records, int(total)

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
            table, columns = _ddl.KIND_TABLES[current.kind]
            sets = [f"{c} = ?" for c in columns]
            values: list[Any] = [body[c] for c in columns]
            if current.kind == "marker":
                sets.append("geom = ?")
                values.append(point_blob(computed))
            sets += ["body = ?", "computed = ?", "flags = ?", "search_text = ?"]
            values += [canonical_json(body), canonical_json(computed)]
            values += [canonical_json(computed.get("flags", [])), search_text(body)]
            version = current.version + 1
            sets += ["version = ?", "review_state = 'received'", "updated_at = ?"]
            values += [version, now_iso(), record_id]
            con.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE record_id = ?", values)
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
            table, _ = _ddl.KIND_TABLES[current.kind]
            version, now = current.version + 1, now_iso()
            con.execute(
                f"UPDATE {table} SET review_state = ?, version = ?, updated_at = ? "
                "WHERE record_id = ?",
                (state, version, now, record_id),
            )
            con.execute(
                "INSERT INTO mzgis_reviews (record_id, from_state, to_state, comment, reviewer, "
                "reviewed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
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
                "FROM mzgis_reviews WHERE record_id = ? ORDER BY review_id",
                (record_id,),
            ).fetchall()
        return [Review(*r) for r in rows]

    def _current(
        self, con: sqlite3.Connection, record_id: str, if_match: str, *, verb: str
    ) -> Record:
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

    def _record(self, con: sqlite3.Connection, kind: RecordKind, row: tuple[Any, ...]) -> Record:
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
                f"INSERT INTO mzgis_photos ({PHOTO_COLUMNS}, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*photo.__dict__.values(), data),
            )
            detail = {"sha256": sha256, "size_bytes": len(data), "content_type": content_type}
            self._append_audit(con, actor, "photo.add", f"{kind}:{record_id}", detail)
            return photo, True

    def photo_bytes(self, record_id: str, sha256: str) -> tuple[Photo, bytes]:
        with self._connection() as con:
            row = con.execute(
                f"SELECT {PHOTO_COLUMNS}, data FROM mzgis_photos "
                "WHERE record_id = ? AND sha256 = ?",
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
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, -1 if limit is None else limit),
            ).fetchall()
        return [
            AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows
        ]

    def audit_head(self) -> tuple[int, str]:
        with self._connection() as con:
            row = con.execute("SELECT seq, hash FROM mzgis_audit ORDER BY seq DESC LIMIT 1")
            last = row.fetchone()
        return (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)

    def verify_audit(self) -> AuditCheck:
        return verify_chain(self.audit_log())

    def _append_audit(
        self, con: sqlite3.Connection, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> AuditEntry:
        last = con.execute("SELECT seq, hash FROM mzgis_audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        at = now_iso()
        detail = json.loads(canonical_json(detail))  # exactly what is stored and re-read
        digest = entry_hash(
            prev, seq=seq, at=at, actor=actor, action=action, target=target, detail=detail
        )
        con.execute(
            "INSERT INTO mzgis_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, at, actor, action, target, canonical_json(detail), prev, digest),
        )
        return AuditEntry(seq, at, actor, action, target, detail, prev, digest)
