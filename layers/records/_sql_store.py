"""The record, photo and audit logic both record stores share (GeoPackage and PostGIS).

:class:`SqlRecordStore` keeps the guarantees of :class:`RecordStore` once: idempotent
creation by client UUID, ETag/``If-Match`` versions, review transitions and the SHA-256
audit chain, each write in one ``_transaction``. A backend supplies its placeholder and
connections (see :class:`~layers.records._sql_people.SqlPeople`) and the few statements
that differ: :meth:`SqlRecordStore._point` (a marker's geometry),
:meth:`SqlRecordStore._photos_of` and :meth:`SqlRecordStore._where`. Zone plans come from
:class:`~layers.records._sql_plans.SqlZonePlans`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from layers._errors import ConflictError, Problem
from layers.records import _rows
from layers.records._ddl import KIND_TABLES
from layers.records._rows import COMMON_INSERT, PHOTO_COLUMNS, RECORD_COLUMNS
from layers.records._sql_people import now_iso
from layers.records._sql_plans import SqlZonePlans
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
    require_version,
    sha256_hex,
)

__all__ = ["SqlRecordStore"]

_FINAL_STATES = ("approved", "rejected")
_LAST_AUDIT = "SELECT seq, hash FROM mzgis_audit ORDER BY seq DESC LIMIT 1"


class SqlRecordStore(SqlZonePlans, RecordStore):
    """A :class:`RecordStore` on SQL tables; backends add connections and a few hooks."""

    #: the ``LIMIT`` value that means "no limit"
    _NO_LIMIT: ClassVar[int | None] = None

    def _point(self, computed: dict[str, Any]) -> tuple[str, list[Any]]:
        """SQL of a marker's point (from ``lon``/``lat`` in ``computed``) and its values."""
        raise NotImplementedError

    def _photos_of(self, con: Any, record_ids: list[str]) -> dict[str, tuple[Photo, ...]]:
        """Photos (metadata) of these records, in upload order."""
        raise NotImplementedError

    def _where(self, kind: RecordKind, flt: RecordFilter) -> tuple[str, list[Any]]:
        """The WHERE clause (without ``WHERE``) selecting the records of ``flt``."""
        raise NotImplementedError

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
            table, columns = KIND_TABLES[kind]
            values: list[Any] = [body[c] for c in columns]
            common = [record_id, campaign_id, line_code, "received", 1, create_hash]
            common += [canonical_json(body), canonical_json(computed)]
            common += [canonical_json(computed.get("flags", [])), _rows.search_text(body)]
            common += [self._flag(estimated), actor, now, now]
            names = [*columns, *COMMON_INSERT]
            marks = [self._MARK] * (len(columns) + len(common))
            if kind == "marker":
                point, coords = self._point(computed)
                names, marks, values = ["geom", *names], [point, *marks], [*coords, *values]
            con.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)})",
                [*values, *common],
            )
            detail = {"version": 1, "campaign_id": campaign_id, "body": body}
            self._append_audit(con, actor, "record.create", f"{kind}:{record_id}", detail)
            return self._reload(con, kind, record_id), True

    def _replayed(
        self, con: Any, kind: RecordKind, record_id: str, create_hash: str
    ) -> Record | None:
        """The stored record when this is a replay of its creation; ``None`` when there is
        no such record; :class:`ConflictError` when the id is taken by another body."""
        found = _rows.find(con, record_id, mark=self._MARK)
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
            found = _rows.find(con, record_id, mark=self._MARK)
            if found is None or (kind is not None and found[0] != kind):
                raise RecordNotFoundError("record", record_id)
            return self._record(con, *found)

    def list_records(
        self, kind: RecordKind, flt: RecordFilter, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Record], int]:
        table, _ = KIND_TABLES[kind]
        clause, params = self._where(kind, flt)
        with self._connection() as con:
            total = con.execute(f"SELECT COUNT(*) FROM {table} WHERE {clause}", params).fetchone()
            mark = self._MARK
            rows = con.execute(
                f"SELECT {RECORD_COLUMNS} FROM {table} WHERE {clause} "
                f"ORDER BY fid LIMIT {mark} OFFSET {mark}",
                [*params, self._NO_LIMIT if limit is None else limit, offset],
            ).fetchall()
            photos = self._photos_of(con, [r[0] for r in rows])
        records = [_rows.to_record(kind, tuple(r), photos.get(r[0], ())) for r in rows]
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
            table, columns = KIND_TABLES[current.kind]
            sets = [f"{c} = ?" for c in columns]
            values: list[Any] = [body[c] for c in columns]
            if current.kind == "marker":
                point, coords = self._point(computed)
                sets.append(f"geom = {point}")
                values += coords
            sets += ["body = ?", "computed = ?", "flags = ?", "search_text = ?"]
            values += [canonical_json(body), canonical_json(computed)]
            values += [canonical_json(computed.get("flags", [])), _rows.search_text(body)]
            version = current.version + 1
            sets += ["version = ?", "review_state = 'received'", "updated_at = ?"]
            values += [version, now_iso(), record_id]
            sets = [s.replace("?", self._MARK) for s in sets]
            query = f"UPDATE {table} SET {', '.join(sets)} WHERE record_id = {self._MARK}"
            con.execute(query, values)
            detail = {"version": version, "from_state": current.review_state, "body": body}
            self._append_audit(con, actor, "record.update", f"{current.kind}:{record_id}", detail)
            return self._reload(con, current.kind, record_id)

    def review_record(
        self, record_id: str, *, state: str, comment: str, if_match: str, actor: str
    ) -> Record:
        if state not in REVIEW_TARGETS:
            problem = Problem(None, "state", state, f"must be one of {REVIEW_TARGETS}")
            raise RecordValidationError("review", [problem])
        with self._transaction() as con:
            current = self._current(con, record_id, if_match, verb="reviewed")
            table, _ = KIND_TABLES[current.kind]
            version, now = current.version + 1, now_iso()
            con.execute(
                self._sql(
                    f"UPDATE {table} SET review_state = ?, version = ?, updated_at = ? "
                    "WHERE record_id = ?"
                ),
                (state, version, now, record_id),
            )
            con.execute(
                self._sql(
                    "INSERT INTO mzgis_reviews (record_id, from_state, to_state, comment, "
                    "reviewer, reviewed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                (record_id, current.review_state, state, comment, actor, now, current.version),
            )
            detail = {"version": version, "from_state": current.review_state, "to_state": state}
            detail["comment"] = comment
            self._append_audit(con, actor, "record.review", f"{current.kind}:{record_id}", detail)
            return self._reload(con, current.kind, record_id)

    def reviews(self, record_id: str) -> list[Review]:
        with self._connection() as con:
            rows = con.execute(
                self._sql(
                    "SELECT record_id, from_state, to_state, comment, reviewer, reviewed_at, "
                    "version FROM mzgis_reviews WHERE record_id = ? ORDER BY review_id"
                ),
                (record_id,),
            ).fetchall()
        return [Review(*r) for r in rows]

    def _current(self, con: Any, record_id: str, if_match: str, *, verb: str) -> Record:
        """The record about to change, after the version and review-state rules."""
        found = _rows.find(con, record_id, mark=self._MARK)
        if found is None:
            raise RecordNotFoundError("record", record_id)
        current = self._record(con, *found)
        require_version(record_id, if_match, current.etag)
        if current.review_state in _FINAL_STATES:
            zh = "通过审核" if current.review_state == "approved" else "被退回"
            msg = f"record {record_id} is {current.review_state} and cannot be {verb}"
            msg += f" / 记录已{zh}，不能再修改"
            raise ConflictError(msg)
        return current

    def _record(self, con: Any, kind: RecordKind, row: tuple[Any, ...]) -> Record:
        photos = self._photos_of(con, [row[0]])
        return _rows.to_record(kind, row, photos.get(row[0], ()))

    def _reload(self, con: Any, kind: RecordKind, record_id: str) -> Record:
        return self._record(con, kind, _rows.load_row(con, kind, record_id, mark=self._MARK))

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
            found = _rows.find(con, record_id, mark=self._MARK)
            if found is None:
                raise RecordNotFoundError("record", record_id)
            kind, row = found
            if row[3] in _FINAL_STATES:
                msg = f"record {record_id} is {row[3]}: no more photos"
                msg += " / 记录已审核完毕，不能再上传照片"
                raise ConflictError(msg)
            stored = self._photos_of(con, [record_id]).get(record_id, ())
            existing = next((p for p in stored if p.sha256 == sha256), None)
            if existing is not None:
                return existing, False
            photo = Photo(record_id, sha256, content_type, len(data), name, actor, now_iso())
            marks = ", ".join([self._MARK] * 8)
            con.execute(
                f"INSERT INTO mzgis_photos ({PHOTO_COLUMNS}, data) VALUES ({marks})",
                (*photo.__dict__.values(), data),
            )
            detail = {"sha256": sha256, "size_bytes": len(data), "content_type": content_type}
            self._append_audit(con, actor, "photo.add", f"{kind}:{record_id}", detail)
            return photo, True

    def photo_bytes(self, record_id: str, sha256: str) -> tuple[Photo, bytes]:
        with self._connection() as con:
            row = con.execute(
                self._sql(
                    f"SELECT {PHOTO_COLUMNS}, data FROM mzgis_photos "
                    "WHERE record_id = ? AND sha256 = ?"
                ),
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
                self._sql(
                    "SELECT seq, at, actor, action, target, detail, prev_hash, hash "
                    "FROM mzgis_audit WHERE seq > ? ORDER BY seq LIMIT ?"
                ),
                (after_seq, self._NO_LIMIT if limit is None else limit),
            ).fetchall()
        return [
            AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows
        ]

    def audit_head(self) -> tuple[int, str]:
        with self._connection() as con:
            last = con.execute(_LAST_AUDIT).fetchone()
        return (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)

    def verify_audit(self) -> AuditCheck:
        return verify_chain(self.audit_log())

    def _append_audit(
        self, con: Any, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> AuditEntry:
        last = con.execute(_LAST_AUDIT).fetchone()
        seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS_HASH)
        at = now_iso()
        detail = json.loads(canonical_json(detail))  # exactly what is stored and re-read
        digest = entry_hash(
            prev, seq=seq, at=at, actor=actor, action=action, target=target, detail=detail
        )
        con.execute(
            self._sql("INSERT INTO mzgis_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            (seq, at, actor, action, target, canonical_json(detail), prev, digest),
        )
        return AuditEntry(seq, at, actor, action, target, detail, prev, digest)
