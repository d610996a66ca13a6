"""Layer versions in a PostGIS store: the statements of :mod:`layers.store._versions` run
on a psycopg connection, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import psycopg
from psycopg import sql

from layers.store import _versions, lineage

__all__ = ["keep", "record", "statement"]

Con = psycopg.Connection[Any]
Tables = Callable[[str], sql.Identifier]


def statement(key: str, t: Tables) -> sql.Composed:
    """A statement of ``_versions.SQL`` or ``lineage.SQL`` on the store's tables."""
    return sql.SQL({**_versions.SQL, **lineage.SQL}[key]).format(
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
    con.execute(statement("keep", t), (name, version, kind, data))
    con.execute(statement("prune", t), (name, name, versions_kept))


def record(con: Con, t: Tables, row: tuple[Any, ...]) -> None:
    """Add a history row: name, kind, version, updated_at, source, row_count."""
    con.execute(statement("record", t), row)
