"""The table of one layer in a PostGIS store: built under a reserved temporary name
(filled with ``COPY``, indexed, analysed), swapped in under the layer's name, entered in
the catalog, and dropped.

Every function runs on the caller's connection, inside the write's transaction
(:meth:`layers.store.postgis.PostGISStore.write`), so a failed write changes nothing.
``t`` names a table of the store's schema, as in :mod:`layers.store._pg_versions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from layers.store import _pg_sql, _pg_versions, _sql
from layers.store._gpkg_tables import collision, extent
from layers.store._pg_versions import Tables
from layers.store.lineage import Lineage

__all__ = ["GEOM", "build", "check_collision", "drop", "register", "swap"]

GEOM = "geom"
Con = psycopg.Connection[Any]


def build(
    con: Con,
    t: Tables,
    name: str,
    rows: Iterable[Sequence[Any]],
    *,
    columns: Sequence[tuple[str, str]],
    gtype: str,
    id_field: str | None,
) -> None:
    """Create and fill the new table of layer ``name`` under its temporary name, with its
    indexes; ``rows`` hold the fid, the geometry as EWKB and the values of ``columns``
    (given as ``(name, SQL type)``)."""
    tmp, idx = t(f"mzgis_tmp_{name}"), _pg_sql.index_names(name, temporary=True)
    defs: list[sql.Composable] = [
        sql.SQL("fid bigint NOT NULL"),
        sql.SQL(f"{GEOM} geometry({gtype}, 4326)"),
    ]
    defs += [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(k)) for c, k in columns]
    con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(tmp))
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(tmp, sql.SQL(", ").join(defs)))
    names = sql.SQL(", ").join(sql.Identifier(c) for c in ["fid", GEOM, *(c for c, _ in columns)])
    with (
        con.cursor() as cur,
        cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(tmp, names)) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    con.execute(
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY (fid)").format(
            tmp, sql.Identifier(idx["pk"])
        )
    )
    con.execute(
        sql.SQL("CREATE INDEX {} ON {} USING gist ({})").format(
            sql.Identifier(idx["gix"]), tmp, sql.Identifier(GEOM)
        )
    )
    if id_field is not None:
        con.execute(
            sql.SQL("CREATE UNIQUE INDEX {} ON {} ({})").format(
                sql.Identifier(idx["uid"]), tmp, sql.Identifier(id_field)
            )
        )
    con.execute(sql.SQL("ANALYZE {}").format(tmp))


def swap(con: Con, t: Tables, name: str) -> None:
    """Give the new table (and its indexes) the layer's name."""
    con.execute(
        sql.SQL("ALTER TABLE {} RENAME TO {}").format(t(f"mzgis_tmp_{name}"), sql.Identifier(name))
    )
    old = _pg_sql.index_names(name, temporary=True)
    new = _pg_sql.index_names(name, temporary=False)
    for part, tmp_index in old.items():
        con.execute(
            sql.SQL("ALTER INDEX IF EXISTS {} RENAME TO {}").format(
                t(tmp_index), sql.Identifier(new[part])
            )
        )


def register(
    con: Con,
    t: Tables,
    name: str,
    *,
    kind: str,
    geoms: np.ndarray,
    gtype: str,
    history: tuple[str, int],
    stamp: Lineage | None,
) -> None:
    """Catalog the new version; ``history`` is its source and count (a copied lineage
    brings its version, time and history rows instead)."""
    bounds = extent(geoms)
    if stamp is not None and stamp.current is not None:
        version, now = stamp.current
    else:
        now = _sql.now()
        row = con.execute(
            sql.SQL("SELECT COALESCE(MAX(version), 0) + 1 FROM {} WHERE name = %s").format(
                t("mzgis_layers_history")
            ),
            (name,),
        ).fetchone()
        version = int(row[0]) if row else 1
        _pg_versions.record(con, t, (name, kind, version, now, *history))
    con.execute(
        sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)").format(
            t("mzgis_layers")
        ),
        (name, kind, version, now, gtype, *bounds),
    )


def check_collision(con: Con, t: Tables, name: str) -> None:
    """Names differing only in case are refused, as in a GeoPackage (where SQLite names
    are case-insensitive), so that a store can be copied to either backend."""
    row = con.execute(
        sql.SQL("SELECT name FROM {} WHERE lower(name) = lower(%s) AND name <> %s").format(
            t("mzgis_layers")
        ),
        (name, name),
    ).fetchone()
    if row is not None:
        raise collision(name, row[0])


def drop(con: Con, t: Tables, name: str) -> None:
    """Drop layer ``name``'s table and its catalog entry."""
    con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(t(name)))
    con.execute(sql.SQL("DELETE FROM {} WHERE name = %s").format(t("mzgis_layers")), (name,))
