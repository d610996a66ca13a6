"""The tables of one layer in a GeoPackage: its name rules, its feature table, its entries
in ``gpkg_contents`` and ``gpkg_geometry_columns``, and its R-tree.

Every function runs on the caller's connection, inside the write's transaction
(:meth:`layers.store.gpkg.GeoPackageStore.write`), so a failure leaves the file as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely

from layers._errors import ConflictError, StoreError
from layers.store import _sql
from layers.store._sql import quote

__all__ = [
    "GEOM",
    "SRS_ID",
    "check_collision",
    "check_name",
    "collision",
    "create",
    "drop",
    "extent",
    "register",
]

SRS_ID = 4326
GEOM = "geom"


def check_name(name: str) -> None:
    """ASCII letters, digits and ``_``, not starting with a digit, no reserved prefix."""
    if not name or not name.replace("_", "").isalnum() or not name.isascii() or name[0].isdigit():
        msg = (
            f"layer name {name!r} must be ASCII letters, digits and _"
            " / 图层名只能包含英文字母、数字和下划线"
        )
        raise StoreError(msg)
    if name.lower().startswith(("gpkg_", "rtree_", "mzgis_", "sqlite_")):
        raise StoreError(f"layer name {name!r} is reserved / 图层名 {name!r} 为保留名")


def check_collision(con: sqlite3.Connection, name: str) -> None:
    """SQLite names are case-insensitive: ``Stations`` would replace the table ``stations``
    while the catalog kept both."""
    row = con.execute(
        "SELECT name FROM sqlite_master WHERE lower(name) = lower(?) AND name != ?", (name, name)
    ).fetchone()
    if row is not None:
        raise collision(name, row[0])


def collision(name: str, other: str) -> ConflictError:
    """The error of a layer name equal to another's but for case (either backend)."""
    msg = (
        f"layer name {name!r} collides with {other!r} (names are case-insensitive)"
        f" / 图层名 {name!r} 与 {other!r} 冲突（不区分大小写）"
    )
    return ConflictError(msg)


def extent(geoms: np.ndarray) -> list[float | None]:
    """``[xmin, ymin, xmax, ymax]`` of the present geometries, ``None`` four times when
    there are none (the catalog's extent of a layer, either backend)."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return [None] * 4
    return [float(v) for v in shapely.total_bounds(geoms[present])]


def create(
    con: sqlite3.Connection,
    name: str,
    rows: Iterable[Sequence[Any]],
    *,
    columns: Sequence[tuple[str, str]],
    gtype: str,
    id_field: str | None,
) -> None:
    """Create the feature table of layer ``name`` and fill it with ``rows`` (the geometry
    blob first, then the values of ``columns``, given as ``(name, SQL type)``); a unique
    index on ``id_field`` when given."""
    defs = ", ".join(f"{quote(c)} {t}" for c, t in columns)
    con.execute(
        f"CREATE TABLE {quote(name)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
        f"{GEOM} {gtype}{', ' + defs if defs else ''})"
    )
    marks = ", ".join("?" * (len(columns) + 1))
    names = ", ".join([GEOM, *(quote(c) for c, _ in columns)])
    con.executemany(f"INSERT INTO {quote(name)} ({names}) VALUES ({marks})", rows)
    if id_field is not None:
        con.execute(
            f"CREATE UNIQUE INDEX {quote(f'idx_{name}_{id_field}')} "
            f"ON {quote(name)} ({quote(id_field)})"
        )


def register(
    con: sqlite3.Connection, name: str, *, geoms: np.ndarray, gtype: str, title: str
) -> None:
    """Enter the new table in ``gpkg_contents`` (with its extent) and
    ``gpkg_geometry_columns``, and build its R-tree."""
    x0, y0, x1, y1 = extent(geoms)
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change, min_x, min_y, max_x, max_y, srs_id) "
        "VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, name, title, _sql.now(), x0, y0, x1, y1, SRS_ID),
    )
    con.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
        (name, GEOM, gtype, SRS_ID),
    )
    _create_rtree(con, name, geoms)


def _create_rtree(con: sqlite3.Connection, name: str, geoms: np.ndarray) -> None:
    """The R-tree of a new table, filled from the bounds of ``geoms`` (the table's rows
    in fid order) in one pass: decoding every blob in SQL took most of a write."""
    rtree = quote(f"rtree_{name}_{GEOM}")
    con.execute(f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy)")
    fids = [row[0] for row in con.execute(f"SELECT fid FROM {quote(name)} ORDER BY fid")]
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bounds = shapely.bounds(geoms).tolist()
    rows = [
        (fid, b[0], b[2], b[1], b[3])
        for fid, b, ok in zip(fids, bounds, present.tolist(), strict=True)
        if ok
    ]
    con.executemany(f"INSERT INTO {rtree} VALUES (?, ?, ?, ?, ?)", rows)
    for statement in _sql.rtree_statements(name, GEOM):
        con.execute(statement)
    con.execute(
        "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
        "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        (name, GEOM),
    )


def drop(con: sqlite3.Connection, name: str) -> None:
    """Remove layer ``name``'s tables and every catalog entry of it."""
    con.execute(f"DROP TABLE IF EXISTS {quote(f'rtree_{name}_{GEOM}')}")
    con.execute(f"DROP TABLE IF EXISTS {quote(name)}")
    for table in ("gpkg_extensions", "gpkg_geometry_columns", "gpkg_contents"):
        con.execute(f"DELETE FROM {table} WHERE table_name = ?", (name,))
    con.execute("DELETE FROM mzgis_layers WHERE name = ?", (name,))
