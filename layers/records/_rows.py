"""Row helpers shared by the GeoPackage and PostGIS record stores: finding a record in the
table of its kind and the backend-independent clauses of a :class:`RecordFilter`.

SQL is written with ``?`` placeholders; ``mark`` is the backend's placeholder (``?`` for
SQLite, ``%s`` for psycopg).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from layers.records._ddl import KIND_TABLES
from layers.records.models import KINDS, Photo, Record, RecordFilter, RecordKind

__all__ = [
    "COMMON_INSERT",
    "PHOTO_COLUMNS",
    "RECORD_COLUMNS",
    "RecordTarget",
    "filter_clauses",
    "find",
    "load_row",
    "parse_target",
    "search_text",
    "target",
    "to_record",
]

RECORD_COLUMNS = (
    "record_id, campaign_id, line_code, review_state, version, create_hash, body, computed, "
    "estimated, created_by, created_at, updated_at"
)
PHOTO_COLUMNS = "record_id, sha256, content_type, size_bytes, name, uploaded_by, uploaded_at"
COMMON_INSERT = [
    "record_id", "campaign_id", "line_code", "review_state", "version", "create_hash",
    "body", "computed", "flags", "search_text", "estimated", "created_by", "created_at",
    "updated_at",
]  # fmt: skip


def to_record(kind: RecordKind, row: tuple[Any, ...], photos: tuple[Photo, ...]) -> Record:
    rid, cid, line, state, version, _, body, computed, estimated, by, at, updated = row
    return Record(
        kind, rid, cid, line, json.loads(body), json.loads(computed), state, version, by, at,
        updated, bool(estimated), photos,
    )  # fmt: skip


def search_text(body: dict[str, Any]) -> str:
    parts = [body.get(k) for k in ("notes", "damage_detail", "description", "marker_no")]
    return " ".join(str(p) for p in parts if p)


def find(con: Any, record_id: str, *, mark: str) -> list[tuple[RecordKind, tuple[Any, ...]]]:
    """The kind and row of every record with this id (one per campaign at most, in either
    table), by campaign: one query."""
    selects = [
        f"SELECT '{kind}', {RECORD_COLUMNS} FROM {KIND_TABLES[kind][0]} WHERE record_id = {mark}"
        for kind in KINDS
    ]
    query = " UNION ALL ".join(selects) + " ORDER BY 3"
    rows = con.execute(query, [record_id] * len(KINDS)).fetchall()
    return [(row[0], tuple(row[1:])) for row in rows]


def load_row(
    con: Any, kind: RecordKind, record_id: str, campaign_id: str, *, mark: str
) -> tuple[Any, ...]:
    """The row of a record of ``kind`` (empty when absent)."""
    table, _ = KIND_TABLES[kind]
    query = (
        f"SELECT {RECORD_COLUMNS} FROM {table} WHERE record_id = {mark} AND campaign_id = {mark}"
    )
    row = con.execute(query, (record_id, campaign_id)).fetchone()
    return tuple(row) if row is not None else ()


def target(kind: str, campaign_id: str, record_id: str) -> str:
    """The audit target naming a record: ``kind:campaign/record`` (a record's identity is its
    campaign and its id; entries written before that name ``kind:record``); read back by
    :func:`parse_target`."""
    return f"{kind}:{campaign_id}/{record_id}"


@dataclass(frozen=True)
class RecordTarget:
    """A record as an audit entry names it (:func:`target`); ``campaign_id`` is ``None``
    in entries written before a record's id was unique only within its campaign."""

    kind: str
    record_id: str
    campaign_id: str | None = None

    @property
    def name(self) -> str:
        """What follows ``kind:`` in the target: ``campaign/record``, or ``record``."""
        if self.campaign_id is None:
            return self.record_id
        return f"{self.campaign_id}/{self.record_id}"


def parse_target(text: str) -> RecordTarget:
    """The record an audit target names, in either form (``kind:campaign/record`` or the
    older ``kind:record``); :class:`ValueError` when ``text`` is neither."""
    kind, colon, name = text.partition(":")
    campaign_id, _, record_id = name.rpartition("/")
    if not colon or not kind or not record_id or (campaign_id == "" and "/" in name):
        msg = (
            f"audit target {text!r} names no record (kind:campaign/record or kind:record)"
            f" / 审计对象 {text!r} 不是记录的标识"
        )
        raise ValueError(msg)
    return RecordTarget(kind, record_id, campaign_id or None)


def filter_clauses(
    kind: RecordKind, flt: RecordFilter, *, mark: str, false: str
) -> tuple[list[str], list[Any]]:
    """Clauses (and their parameters) of ``flt`` on columns, markers, condition, status and
    text; ``false`` is the backend's always-false clause. The campaign-set and flag
    clauses are the backend's own."""
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("campaign_id", "line_code", "review_state", "created_by"):
        value = getattr(flt, column)
        if value is not None:
            clauses.append(f"{column} = {mark}")
            params.append(value)
    if flt.marker_no is not None:
        if kind == "marker":
            clauses.append(f"marker_no = {mark}")
            params.append(flt.marker_no)
        else:
            clauses.append(f"(from_marker = {mark} OR to_marker = {mark})")
            params += [flt.marker_no, flt.marker_no]
    if flt.condition is not None:
        clauses.append(f"condition = {mark}" if kind == "marker" else false)
        params += [flt.condition] if kind == "marker" else []
    if flt.status is not None:
        clauses.append(f"status = {mark}" if kind == "segment" else false)
        params += [flt.status] if kind == "segment" else []
    if flt.text:
        clauses.append(f"search_text LIKE {mark} ESCAPE '\\'")
        escaped = flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    return clauses, params
