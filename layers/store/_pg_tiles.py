"""Vector tiles of a PostGIS layer, made by the database (``ST_AsMVT``) with the rules of
:mod:`layers.tiles`: the tile's square plus a margin, lines and polygons smaller than half a
tile pixel left out, numbers and booleans kept as such and every other column as text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from layers.tiles import min_size_m

__all__ = ["tile_query"]

_NATIVE = {"smallint", "integer", "bigint", "real", "double precision", "numeric", "boolean"}


def _column_types(con: psycopg.Connection[Any], schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s",
        (schema, table),
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def tile_query(
    con: psycopg.Connection[Any],
    schema: str,
    table: str,
    *,
    z: int,
    x: int,
    y: int,
    columns: Sequence[str],
    extent: int,
    buffer: int,
) -> bytes:
    """The MVT tile ``z/x/y`` of ``schema.table`` as one layer named ``table``."""
    types = _column_types(con, schema, table)
    picked = []
    for name in columns:
        kind = types.get(name)
        if kind is None or name in ("fid", "geom"):
            continue
        ident = sql.Identifier(name)
        cast = ident if kind in _NATIVE else sql.SQL("{}::text").format(ident)
        picked.append(sql.SQL("{} AS {}").format(cast, ident))
    attrs = sql.SQL("").join(sql.SQL(", ") + p for p in picked)
    names = [n for n in columns if n in types and n not in ("fid", "geom")]
    query = sql.SQL(
        "WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile, "
        "ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s) AS outer_box), "
        "src AS (SELECT ST_Transform(t.geom, 3857) AS g{attrs} FROM {table} t, env "
        "WHERE t.geom && ST_Transform(env.outer_box, 4326)), "
        "q AS (SELECT ST_AsMVTGeom(src.g, env.tile, %(extent)s, %(buffer)s, true) AS geom"
        "{names} FROM src, env WHERE GeometryType(src.g) IN ('POINT', 'MULTIPOINT') "
        "OR ST_Length(ST_BoundingDiagonal(src.g)) >= %(min_size)s) "
        "SELECT ST_AsMVT(q, %(layer)s, %(extent)s, 'geom') FROM q WHERE geom IS NOT NULL"
    ).format(
        attrs=attrs,
        names=sql.SQL("").join(sql.SQL(", ") + sql.Identifier(n) for n in names),
        table=sql.Identifier(schema, table),
    )
    params = {
        "z": z, "x": x, "y": y, "margin": buffer / extent, "extent": extent, "buffer": buffer,
        "min_size": min_size_m(z), "layer": table,
    }  # fmt: skip
    row = con.execute(query, params).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""
