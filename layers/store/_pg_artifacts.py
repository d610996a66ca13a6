"""Artifacts in a PostGIS store (:mod:`layers.store._artifacts` has the rules both
backends share): statements on a psycopg connection, ``table`` being the store's
``mzgis_artifacts``."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from layers.store import _artifacts
from layers.store.base import ArtifactInfo

__all__ = ["get", "listing", "put"]

Con = psycopg.Connection[Any]


def put(con: Con, table: sql.Identifier, name: str, data: bytes, *, key: str) -> ArtifactInfo:
    """Replace artifact ``name`` inside the caller's transaction (which holds its lock)."""
    stamp, size = _artifacts.now(), len(data)
    insert = sql.SQL(
        "INSERT INTO {} (name, part, key, size_bytes, updated_at, data) "
        "VALUES (%s, %s, %s, %s, %s, %b)"
    ).format(table)
    rows = [(name, i, key, size, stamp, p) for i, p in enumerate(_artifacts.parts(data))]
    with con.cursor() as cur:
        cur.execute(sql.SQL("DELETE FROM {} WHERE name = %s").format(table), (name,))
        cur.executemany(insert, rows)
    return ArtifactInfo(name, key, size, stamp)


def get(con: Con, table: sql.Identifier, name: str, *, key: str) -> bytes | None:
    """The bytes of artifact ``name`` built from ``key`` (one statement: one snapshot)."""
    query = sql.SQL(
        "SELECT size_bytes, data FROM {} WHERE name = %s AND key = %s ORDER BY part"
    ).format(table)
    with con.cursor(binary=True) as cur:
        rows = cur.execute(query, (name, key)).fetchall()
    if not rows:
        return None
    return _artifacts.joined((bytes(r[1]) for r in rows), int(rows[0][0]))


def listing(con: Con, table: sql.Identifier) -> list[ArtifactInfo]:
    """Every artifact, by name."""
    query = sql.SQL(
        "SELECT name, key, size_bytes, updated_at FROM {} WHERE part = 0 ORDER BY name"
    ).format(table)
    return [ArtifactInfo(r[0], r[1], int(r[2]), r[3]) for r in con.execute(query)]
