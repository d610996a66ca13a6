"""Artifacts: derived bytes kept in the store under a name and the key of their input.

Both backends keep them in one table, ``mzgis_artifacts``: one row per part of at most
:data:`PART_BYTES` (a city's walking network can pass the 1 GB that one SQLite blob or
one PostgreSQL ``bytea`` value may hold), each row carrying the artifact's key, its whole
size and when it was written. An artifact is replaced whole in one transaction, so a
reader sees the old parts or the new ones; one whose parts do not add up to its size is
treated as missing. This module holds the rules both backends share and the GeoPackage
(SQLite) side; the PostGIS side is in :mod:`layers.store.postgis`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

from layers._errors import StoreError
from layers.store._sql import now
from layers.store.base import ArtifactInfo

__all__ = [
    "PART_BYTES",
    "TABLE",
    "check",
    "gpkg_get",
    "gpkg_list",
    "gpkg_put",
    "joined",
    "parts",
]

TABLE = "mzgis_artifacts"
#: the largest part of an artifact kept in one row
PART_BYTES = 64 * 2**20
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MAX_KEY = 500

#: the GeoPackage table, registered as an extension with scope ``write-only`` (GDAL and
#: QGIS read the file without it; they list it as a plain table, as they list
#: ``mzgis_layers``)
GPKG_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  name TEXT NOT NULL, part INTEGER NOT NULL, key TEXT NOT NULL, size_bytes INTEGER NOT NULL,
  updated_at TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (name, part));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
SELECT '{TABLE}', NULL, 'mzgis_artifacts',
  'mzgis: data derived from the layers (the walking network), keyed by the version of the'
  || ' layer it was built from; rebuilt when missing', 'write-only'
WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = '{TABLE}');
"""


def check(name: str, key: str) -> None:
    """Refuse a name other than 1-64 ASCII letters, digits, ``_ . -``, or an empty key."""
    if not isinstance(name, str) or not _NAME.match(name):
        msg = (
            f"artifact name {name!r} must be 1-64 ASCII letters, digits, _ . -"
            " / 派生数据名只能包含 1-64 个英文字母、数字和 _ . -"
        )
        raise StoreError(msg)
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY:
        msg = (
            f"artifact key must be a non-empty text of at most {_MAX_KEY} characters"
            f" / 派生数据的版本键须为不超过 {_MAX_KEY} 个字符的非空文本"
        )
        raise StoreError(msg)


def parts(data: bytes, size: int | None = None) -> list[memoryview]:
    """``data`` cut into parts of at most ``size`` bytes (one empty part for no bytes);
    views, not copies."""
    step = PART_BYTES if size is None else size
    view = memoryview(data).cast("B")
    return [view[i : i + step] for i in range(0, max(len(view), 1), step)]


def joined(chunks: Iterable[bytes], size_bytes: int) -> bytes | None:
    """The parts put together, or ``None`` when they do not add up to ``size_bytes``."""
    data = b"".join(chunks)
    return data if len(data) == size_bytes else None


# -- the GeoPackage side ------------------------------------------------------------------


def _has_table(con: sqlite3.Connection) -> bool:
    row = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    return row is not None


def gpkg_put(con: sqlite3.Connection, name: str, data: bytes, *, key: str) -> ArtifactInfo:
    """Replace artifact ``name`` (inside the caller's transaction; the table is created in
    a file that has none yet)."""
    check(name, key)
    for statement in GPKG_TABLE.split(";\n"):
        if statement.strip():
            con.execute(statement)
    con.execute(f"DELETE FROM {TABLE} WHERE name = ?", (name,))
    stamp, size = now(), len(data)
    con.executemany(
        f"INSERT INTO {TABLE} (name, part, key, size_bytes, updated_at, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ((name, i, key, size, stamp, part) for i, part in enumerate(parts(data))),
    )
    return ArtifactInfo(name, key, size, stamp)


def gpkg_get(con: sqlite3.Connection, name: str, *, key: str) -> bytes | None:
    """The bytes of artifact ``name`` built from ``key``."""
    check(name, key)
    if not _has_table(con):
        return None
    rows = con.execute(  # one statement: one snapshot of every part
        f"SELECT size_bytes, data FROM {TABLE} WHERE name = ? AND key = ? ORDER BY part",
        (name, key),
    ).fetchall()
    if not rows:
        return None
    return joined((r[1] for r in rows), int(rows[0][0]))


def gpkg_list(con: sqlite3.Connection) -> list[ArtifactInfo]:
    """Every artifact of the file, by name."""
    if not _has_table(con):
        return []
    rows = con.execute(
        f"SELECT name, key, size_bytes, updated_at FROM {TABLE} WHERE part = 0 ORDER BY name"
    ).fetchall()
    return [ArtifactInfo(r[0], r[1], int(r[2]), r[3]) for r in rows]
