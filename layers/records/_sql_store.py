"""The record and photo logic both record stores share (GeoPackage and PostGIS).

:class:`SqlRecordStore` keeps the guarantees of :class:`RecordStore` once: idempotent
creation by client UUID within a campaign (a record's identity is its campaign and its
id), ETag/``If-Match`` versions, review transitions and the SHA-256 audit chain
(:class:`~layers.records._sql_audit.SqlAudit`), each write in one ``_transaction``. A
backend supplies its placeholder and connections (see
:class:`~layers.records._sql_people.SqlPeople`) and the few statements that differ:
:meth:`SqlRecordStore._point` (a marker's geometry), :meth:`SqlRecordStore._photos_of`
and :meth:`SqlRecordStore._where`. Zone plans come from
:class:`~layers.records._sql_plans.SqlZonePlans`.
"""

from __future__ import annotations

from typing import Any

from layers._errors import ConflictError, Problem
from layers.records import _rows
from layers.records._ddl import KIND_TABLES
from layers.records._rows import COMMON_INSERT, PHOTO_COLUMNS, RECORD_COLUMNS
from layers.records._sql_access import SqlAccess
from layers.records._sql_audit import SqlAudit
from layers.records._sql_people import now_iso
from layers.records._sql_plans import SqlZonePlans
from layers.records.base import RecordStore
from layers.records.errors import (
    AccessChangedError,
    AmbiguousRecordError,
    RecordNotFoundError,
    RecordValidationError,
)
from layers.records.models import (
    REVIEW_TARGETS,
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


class _Taken(Exception):  # noqa: N818 - a signal, not an error a caller sees
    """The id is taken in its campaign: the optimistic insert is undone."""


class SqlRecordStore(SqlZonePlans, SqlAudit, SqlAccess, RecordStore):
    """A :class:`RecordStore` on SQL tables; backends add connections and a few hooks."""

    def _point(self, computed: dict[str, Any]) -> tuple[str, list[Any]]:
        """SQL of a marker's point (from ``lon``/``lat`` in ``computed``) and its values."""
        raise NotImplementedError

    def _photos_of(
        self, con: Any, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[Photo, ...]]:
        """Photos (metadata) of these ``(campaign_id, record_id)`` records, in upload order."""
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
        generation: int | None = None,
    ) -> tuple[Record, bool]:
        create_hash = sha256_hex(canonical_json(body))  # hashed and checked before the lock
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
        insert = (
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(marks)} "
            f"WHERE EXISTS (SELECT 1 FROM mzgis_campaigns WHERE campaign_id = {self._MARK}) "
            "ON CONFLICT (record_id, campaign_id) DO NOTHING RETURNING record_id"
        )
        row = [*values, *common, campaign_id]
        detail = {"version": 1, "campaign_id": campaign_id, "body": body}
        entry = (actor, "record.create", _rows.target(kind, campaign_id, record_id), detail)
        try:
            self._insert_new(kind, (record_id, campaign_id), (insert, row), entry, generation)
        except _Taken:  # a replay or a conflict: settled under the lock
            with self._transaction() as con:
                found = con.execute(f"SELECT {self._GENERATION}").fetchone()[0]
                if generation is not None and int(found) != generation:
                    raise AccessChangedError(generation, int(found)) from None
                replayed = self._replayed(con, kind, record_id, campaign_id, create_hash)
                if replayed is not None:
                    return replayed, False
                con.execute(insert, row)
                self._append_audit(con, *entry)
        stored = (*common[:8], estimated, actor, now, now)  # as the columns read back
        return _rows.to_record(kind, stored, ()), True

    def _insert_new(
        self,
        kind: RecordKind,
        key: tuple[str, str],
        insert: tuple[str, list[Any]],
        entry: tuple[str, str, str, dict[str, Any]],
        generation: int | None,
    ) -> None:
        """Insert a record (only into an existing campaign) and its audit entry, all sent
        before any answer is awaited: one round trip in a pipelined transaction. Raises,
        with nothing written, :class:`_Taken` when its campaign already holds the id
        ``key`` (record, campaign) in either table, :class:`RecordNotFoundError` when there
        is no such campaign, :class:`AccessChangedError` when ``generation`` is given and
        the store's security generation is another."""
        other, _ = KIND_TABLES["segment" if kind == "marker" else "marker"]
        with self._transaction() as con:
            state = con.execute(
                self._sql(
                    f"SELECT EXISTS (SELECT 1 FROM {other} WHERE record_id = ? AND "
                    "campaign_id = ?), EXISTS (SELECT 1 FROM mzgis_campaigns WHERE "
                    f"campaign_id = ?), {self._GENERATION}"
                ),
                (*key, key[1]),
            )
            fresh = con.execute(*insert)
            self._queue_audit(con, *entry)
            taken, campaign, found = state.fetchone()
            if generation is not None and int(found) != generation:
                raise AccessChangedError(generation, int(found))
            if not campaign:
                raise RecordNotFoundError("campaign", key[1])
            if taken or fresh.fetchone() is None:
                raise _Taken

    def _replayed(
        self, con: Any, kind: RecordKind, record_id: str, campaign_id: str, create_hash: str
    ) -> Record | None:
        """The stored record when this is a replay of its creation in its campaign; ``None``
        when the campaign has no such record; :class:`ConflictError` when the id is taken
        there by another body."""
        found = [f for f in _rows.find(con, record_id, mark=self._MARK) if f[1][1] == campaign_id]
        if not found:
            return None
        stored_kind, row = found[0]
        if stored_kind != kind or row[5] != create_hash:
            msg = (
                f"record {record_id} exists with a different body; use a new UUID for a new"
                f" record, or PATCH with If-Match to change it / 记录 {record_id}"
                " 已存在且内容不同：新记录请使用新的 UUID，修改请带 If-Match 提交"
            )
            raise ConflictError(msg)
        return self._record(con, stored_kind, row)

    def find_records(
        self,
        record_id: str,
        *,
        campaign_ids: tuple[str, ...] | None = None,
        kind: RecordKind | None = None,
    ) -> list[Record]:
        with self._connection() as con:
            return [
                self._record(con, k, row)
                for k, row in _rows.find(con, record_id, mark=self._MARK)
                if (kind is None or k == kind) and (campaign_ids is None or row[1] in campaign_ids)
            ]

    def get_record(
        self, record_id: str, *, campaign_id: str | None = None, kind: RecordKind | None = None
    ) -> Record:
        with self._connection() as con:
            return self._record(con, *self._locate(con, record_id, campaign_id, kind))

    def _locate(
        self, con: Any, record_id: str, campaign_id: str | None, kind: RecordKind | None = None
    ) -> tuple[RecordKind, tuple[Any, ...]]:
        """The kind and row of one record: in ``campaign_id``, or the only one with this id
        when ``None``. :class:`RecordNotFoundError` when there is none;
        :class:`ConflictError` when several campaigns hold one and none is named."""
        found = [
            (k, row)
            for k, row in _rows.find(con, record_id, mark=self._MARK)
            if (kind is None or k == kind) and (campaign_id is None or row[1] == campaign_id)
        ]
        if not found:
            raise RecordNotFoundError("record", record_id)
        if len(found) > 1:
            raise AmbiguousRecordError(record_id, tuple(row[1] for _, row in found))
        return found[0]

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
            photos = self._photos_of(con, [(r[1], r[0]) for r in rows])
        records = [_rows.to_record(kind, tuple(r), photos.get((r[1], r[0]), ())) for r in rows]
        return records, int(total[0]) if total else 0

    def update_record(
        self,
        record_id: str,
        *,
        body: dict[str, Any],
        computed: dict[str, Any],
        if_match: str,
        actor: str,
        campaign_id: str | None = None,
    ) -> Record:
        with self._transaction() as con:
            current = self._current(con, record_id, campaign_id, if_match, verb="changed")
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
            values += [version, now_iso(), record_id, current.campaign_id]
            sets = [s.replace("?", self._MARK) for s in sets]
            query = (
                f"UPDATE {table} SET {', '.join(sets)} WHERE record_id = {self._MARK} "
                f"AND campaign_id = {self._MARK} RETURNING {RECORD_COLUMNS}"
            )
            row = con.execute(query, values).fetchone()
            detail = {"version": version, "from_state": current.review_state, "body": body}
            self._append_audit(con, actor, "record.update", _target(current), detail)
            return self._record(con, current.kind, tuple(row))

    def review_record(
        self,
        record_id: str,
        *,
        state: str,
        comment: str,
        if_match: str,
        actor: str,
        campaign_id: str | None = None,
    ) -> Record:
        if state not in REVIEW_TARGETS:
            allowed = ", ".join(REVIEW_TARGETS)
            reason = f"must be one of {allowed} / 审核状态须为 {allowed} 之一"
            problem = Problem(None, "state", state, reason)
            raise RecordValidationError("review", [problem])
        with self._transaction() as con:
            current = self._current(con, record_id, campaign_id, if_match, verb="reviewed")
            table, _ = KIND_TABLES[current.kind]
            version, now, cid = current.version + 1, now_iso(), current.campaign_id
            row = con.execute(
                self._sql(
                    f"UPDATE {table} SET review_state = ?, version = ?, updated_at = ? "
                    f"WHERE record_id = ? AND campaign_id = ? RETURNING {RECORD_COLUMNS}"
                ),
                (state, version, now, record_id, cid),
            ).fetchone()
            con.execute(
                self._sql(
                    "INSERT INTO mzgis_reviews (record_id, campaign_id, from_state, to_state, "
                    "comment, reviewer, reviewed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (record_id, cid, current.review_state, state, comment, actor, now, current.version),
            )
            detail = {"version": version, "from_state": current.review_state, "to_state": state}
            detail["comment"] = comment
            self._append_audit(con, actor, "record.review", _target(current), detail)
            return self._record(con, current.kind, tuple(row))

    def reviews(self, record_id: str, *, campaign_id: str | None = None) -> list[Review]:
        with self._connection() as con:
            _, row = self._locate(con, record_id, campaign_id)
            rows = con.execute(
                self._sql(
                    "SELECT record_id, from_state, to_state, comment, reviewer, reviewed_at, "
                    "version FROM mzgis_reviews WHERE record_id = ? AND campaign_id = ? "
                    "ORDER BY review_id"
                ),
                (record_id, row[1]),
            ).fetchall()
        return [Review(*r) for r in rows]

    def _current(
        self, con: Any, record_id: str, campaign_id: str | None, if_match: str, *, verb: str
    ) -> Record:
        """The record about to change, after the version and review-state rules."""
        current = self._record(con, *self._locate(con, record_id, campaign_id))
        require_version(record_id, if_match, current.etag)
        if current.review_state in _FINAL_STATES:
            zh = "通过审核" if current.review_state == "approved" else "被退回"
            msg = f"record {record_id} is {current.review_state} and cannot be {verb}"
            msg += f" / 记录已{zh}，不能再修改"
            raise ConflictError(msg)
        return current

    def _record(self, con: Any, kind: RecordKind, row: tuple[Any, ...]) -> Record:
        key = (row[1], row[0])
        return _rows.to_record(kind, row, self._photos_of(con, [key]).get(key, ()))

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
        campaign_id: str | None = None,
    ) -> tuple[Photo, bool]:
        if sha256_hex(data) != sha256:
            reason = "does not match the photo's bytes / 与照片内容的 SHA-256 不符"
            problem = Problem(None, "sha256", sha256, reason)
            raise RecordValidationError("photo", [problem])
        with self._transaction() as con:
            kind, row = self._locate(con, record_id, campaign_id)
            if row[3] in _FINAL_STATES:
                msg = f"record {record_id} is {row[3]}: no more photos"
                msg += " / 记录已审核完毕，不能再上传照片"
                raise ConflictError(msg)
            key = (row[1], record_id)
            stored = self._photos_of(con, [key]).get(key, ())
            existing = next((p for p in stored if p.sha256 == sha256), None)
            if existing is not None:
                return existing, False
            photo = Photo(record_id, sha256, content_type, len(data), name, actor, now_iso())
            marks = ", ".join([self._MARK] * 9)
            con.execute(
                f"INSERT INTO mzgis_photos ({PHOTO_COLUMNS}, data, campaign_id) VALUES ({marks})",
                (*photo.__dict__.values(), data, row[1]),
            )
            detail = {"sha256": sha256, "size_bytes": len(data), "content_type": content_type}
            target = _rows.target(kind, row[1], record_id)
            self._append_audit(con, actor, "photo.add", target, detail)
            return photo, True

    def photo_bytes(
        self, record_id: str, sha256: str, *, campaign_id: str | None = None
    ) -> tuple[Photo, bytes]:
        with self._connection() as con:
            _, found = self._locate(con, record_id, campaign_id)
            row = con.execute(
                self._sql(
                    f"SELECT {PHOTO_COLUMNS}, data FROM mzgis_photos "
                    "WHERE record_id = ? AND campaign_id = ? AND sha256 = ?"
                ),
                (record_id, found[1], sha256),
            ).fetchone()
        if row is None:
            raise RecordNotFoundError("photo", sha256)
        return Photo(*row[:-1]), bytes(row[-1])


def _target(record: Record) -> str:
    return _rows.target(record.kind, record.campaign_id, record.record_id)
