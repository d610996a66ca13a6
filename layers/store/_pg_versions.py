"""Layer versions in a PostGIS store: the statements of :mod:`layers.store._versions` run
on a psycopg connection, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import psycopg
from psycopg import sql

from layers.store import _versions

__all__ = ["history", "keep", "kept", "record"]

Con = psycopg.Connection[Any]
Tables = Callable[[str], sql.Identifier]


def _statement(key: str, t: Tables) -> sql.Composed:
    return sql.SQL(_versions.SQL[key]).format(
        versions=t(_versions.VERSIONS_TABLE),
        history=t("mzgis_layers_history"),
        layers=t("mzgis_layers"),
    )


def keep(
    con: Con,
    t: Tables,
    name: str,
    *,
    expected: int | None,
    versions_kept: int,
    read: Callable[[str], gpd.GeoDataFrame],
) -> None:
    """Keep the current data of layer ``name`` (read by ``read(kind)``) as its version,
    after checking it is the ``expected`` version; prune beyond ``versions_kept``."""
    query = sql.SQL("SELECT kind, version FROM {} WHERE name = %s").format(t("mzgis_layers"))
    found = con.execute(query, (name,)).fetchone()
    _versions.check_expected(name, expected, 0 if found is None else int(found[1]))
    if found is None:
        return
    kind, version = found
    data = _versions.encode(read(kind))
    con.execute(_statement("keep", t), (name, version, kind, data))
    con.execute(_statement("prune", t), (name, name, versions_kept))


def record(con: Con, t: Tables, row: tuple[Any, ...]) -> None:
    """Add a history row: name, kind, version, updated_at, source, row_count."""
    con.execute(_statement("record", t), row)


def history(con: Con, t: Tables, name: str) -> list[tuple[Any, ...]]:
    return con.execute(_statement("history", t), (name,)).fetchall()


def kept(con: Con, t: Tables, name: str, version: int) -> tuple[str, bytes] | None:
    row = con.execute(_statement("kept", t), (name, version)).fetchone()
    return None if row is None else (row[0], bytes(row[1]))
