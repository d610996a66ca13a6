"""SQL and value conversions of the PostGIS layer store.

The catalog (``mzgis_layers``, ``mzgis_layers_history``) mirrors the GeoPackage store's,
with each layer's geometry type and extent kept beside its kind and version. Column types
follow the layer schema: ``int`` → bigint, ``float`` → double precision, ``str`` → text,
``bool`` → boolean, ``datetime`` → timestamptz, ``json`` → jsonb. Values go in through the
GeoPackage store's conversions (so both backends store the same values) and come out as the
same pandas dtypes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shapely

from layers._errors import StoreError
from layers.schema import SCHEMAS
from layers.store._gpkg_tables import check_name
from layers.store._sql import FROM_SQL, sql_type, text_from_sql, to_sql

__all__ = [
    "LAYER_MIGRATIONS",
    "check_pg_name",
    "column_values",
    "ewkb_hex",
    "from_pg",
    "geometry_type_name",
    "id_value",
    "index_names",
    "pg_type",
]

SRID = 4326
#: longest layer name: PostgreSQL identifiers have at most 63 bytes, and the store adds
#: ``mzgis_tmpuid_`` to name a layer's indexes while it is being replaced
MAX_NAME_BYTES = 48

#: migrations of the layer catalog (``{schema}`` is the store's schema); append, never edit
LAYER_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE {schema}.mzgis_layers (
      name text PRIMARY KEY, kind text NOT NULL, version integer NOT NULL,
      updated_at text NOT NULL, geometry_type text NOT NULL,
      min_x double precision, min_y double precision,
      max_x double precision, max_y double precision);
    CREATE UNIQUE INDEX mzgis_layers_lower_name ON {schema}.mzgis_layers (lower(name));
    CREATE TABLE {schema}.mzgis_layers_history (
      name text NOT NULL, kind text NOT NULL, version integer NOT NULL,
      updated_at text NOT NULL, PRIMARY KEY (name, version));
    """,
    # 2: artifacts, derived bytes keyed by their input (layers/store/_artifacts.py); kept
    # out of line uncompressed (EXTERNAL): with pglz, saving a 48 MB walking network took
    # 4x as long and loading it a third longer (bench/bench_network_store.py)
    """
    CREATE TABLE {schema}.mzgis_artifacts (
      name text NOT NULL, part integer NOT NULL, key text NOT NULL,
      size_bytes bigint NOT NULL, updated_at text NOT NULL, data bytea NOT NULL,
      PRIMARY KEY (name, part));
    ALTER TABLE {schema}.mzgis_artifacts ALTER COLUMN data SET STORAGE EXTERNAL;
    """,
    # 3: layer versions (layers/store/_versions.py): what wrote each version, its count,
    # and the data of replaced versions (already compressed, so kept uncompressed here)
    """
    ALTER TABLE {schema}.mzgis_layers_history
      ADD COLUMN source text NOT NULL DEFAULT '', ADD COLUMN row_count integer;
    CREATE TABLE {schema}.mzgis_layer_versions (
      name text NOT NULL, version integer NOT NULL, kind text NOT NULL,
      data bytea NOT NULL, PRIMARY KEY (name, version));
    ALTER TABLE {schema}.mzgis_layer_versions ALTER COLUMN data SET STORAGE EXTERNAL;
    """,
)

_PG_TYPES = {
    "INTEGER": "bigint",
    "REAL": "double precision",
    "TEXT": "text",
    "BOOLEAN": "boolean",
    "DATETIME": "timestamptz",
}


def check_pg_name(name: str) -> None:
    """The GeoPackage store's name rules, and a length PostgreSQL can index."""
    check_name(name)
    if len(name.encode()) > MAX_NAME_BYTES:
        msg = (
            f"layer name {name!r} is longer than {MAX_NAME_BYTES} characters"
            f" / 图层名 {name!r} 超过 {MAX_NAME_BYTES} 个字符"
        )
        raise StoreError(msg)


def index_names(name: str, *, temporary: bool) -> dict[str, str]:
    """Names of a layer's primary key, GiST index and id index (under a reserved prefix,
    so they never collide with a layer's name)."""
    tmp = "tmp" if temporary else ""
    return {part: f"mzgis_{tmp}{part}_{name}" for part in ("pk", "gix", "uid")}


def pg_type(col: pd.Series, spec: Any) -> tuple[str, str]:
    """``(PostgreSQL type, GeoPackage type)`` of a column; the second picks the conversion."""
    sqlite_type = sql_type(col, spec)
    if spec is not None and spec.dtype == "json":
        return "jsonb", sqlite_type
    return _PG_TYPES[sqlite_type], sqlite_type


_FAST_KINDS = {"INTEGER": "iu", "REAL": "iuf", "BOOLEAN": "b"}


def column_values(col: pd.Series, sqlite_type: str) -> list[Any]:
    """Python values of a column, as the GeoPackage store writes them (numbers and
    booleans of a typed column in one step, the rest value by value)."""
    kind = getattr(col.dtype, "kind", "O")
    if sqlite_type == "INTEGER" and kind == "f" and _integral(col):
        col, kind = col.round().astype("Int64"), "i"
    if kind in _FAST_KINDS.get(sqlite_type, ""):
        return col.astype(object).where(col.notna(), None).tolist()
    return to_sql(col, sqlite_type)


def _integral(col: pd.Series) -> bool:
    values = col.dropna().to_numpy(dtype="float64")
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def ewkb_hex(geoms: np.ndarray) -> list[str | None]:
    """Geometries as hex EWKB with SRID 4326 (2D; ``None`` for missing ones)."""
    with_srid = shapely.set_srid(geoms, SRID)
    out = shapely.to_wkb(with_srid, hex=True, output_dimension=2, include_srid=True)
    return [None if v is None else str(v) for v in out.tolist()]


def geometry_type_name(geoms: np.ndarray) -> str:
    """The one geometry type of a layer (``POINT``, ``MULTIPOLYGON`` …) or ``GEOMETRY``."""
    present = geoms[~shapely.is_missing(geoms)]
    kinds = {g.geom_type.upper() for g in present[: min(len(present), 100_000)]}
    kinds = {"LINESTRING" if k == "LINEARRING" else k for k in kinds}
    return kinds.pop() if len(kinds) == 1 else "GEOMETRY"


def _json_from_pg(values: pd.Series) -> pd.Series:
    return values.map(lambda v: None if v is None else v).astype(object)


_CONVERTERS: dict[str, Callable[[pd.Series], pd.Series]] = {**FROM_SQL, "json": _json_from_pg}


def from_pg(values: pd.Series, kind: str, column: str) -> pd.Series:
    """A column as read (psycopg values) in the dtype the schema declares."""
    spec = SCHEMAS[kind].get_field(column)
    if spec is None:  # a column outside the schema: keep what PostgreSQL returns
        return values.infer_objects()
    return _CONVERTERS.get(spec.dtype, text_from_sql)(values)


def id_value(fid: str | int, spec: Any) -> str | int | None:
    """``fid`` as the id column's type (``None`` when it cannot be one: no such feature)."""
    if spec is not None and spec.dtype == "int":
        try:
            return int(fid)
        except ValueError:
            return None
    return str(fid)
