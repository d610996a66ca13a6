"""SQL of the GeoPackage 1.4 core tables, the R-tree extension and mzgis's own metadata."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from layers.schema import SCHEMAS

__all__ = [
    "CORE_TABLES",
    "FROM_SQL",
    "column_type",
    "from_sql",
    "geometry_type_name",
    "now",
    "quote",
    "rtree_statements",
    "sql_type",
    "srs_rows",
    "text_from_sql",
    "to_sql",
    "upgrade_mzgis_tables",
]

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10200  # GeoPackage 1.2 (GDAL 3.6 reads it without warnings)

CORE_TABLES = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
"""

#: mzgis's own catalog: the kind and version of every layer it wrote (added to any
#: GeoPackage it opens; other tools ignore these tables)
MZGIS_TABLES = """
CREATE TABLE IF NOT EXISTS mzgis_layers (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, version INTEGER NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mzgis_layers_history (
  name TEXT NOT NULL, kind TEXT NOT NULL, version INTEGER NOT NULL,
  updated_at TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', row_count INTEGER,
  PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS mzgis_layer_versions (
  name TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (name, version));
"""
#: columns added to the history table since its first release (older files get them)
_HISTORY_COLUMNS = {"source": "TEXT NOT NULL DEFAULT ''", "row_count": "INTEGER"}

_TYPES = {
    "int": "INTEGER",
    "float": "REAL",
    "str": "TEXT",
    "bool": "BOOLEAN",
    "datetime": "DATETIME",
    "json": "TEXT",
}


def upgrade_mzgis_tables(con: Any) -> None:
    """Give a GeoPackage mzgis's own tables, and older ones their newer columns (one
    transaction, so two processes opening an old file at once do not both upgrade it)."""
    query = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'mzgis_layer_versions'"
    if con.execute(query).fetchone()[0]:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        if not con.execute(query).fetchone()[0]:
            have = {row[1] for row in con.execute("PRAGMA table_info(mzgis_layers_history)")}
            for column, decl in _HISTORY_COLUMNS.items():
                if have and column not in have:
                    con.execute(f"ALTER TABLE mzgis_layers_history ADD COLUMN {column} {decl}")
            for statement in MZGIS_TABLES.split(";"):
                if statement.strip():
                    con.execute(statement)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def srs_rows() -> list[tuple[Any, ...]]:
    """The rows of ``gpkg_spatial_ref_sys`` every GeoPackage holds (and EPSG:4326)."""
    wkt = CRS.from_epsg(4326).to_wkt("WKT1_GDAL")
    return [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),  # noqa: E501
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),  # noqa: E501
        ("WGS 84 geodetic", 4326, "EPSG", 4326, wkt, "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),  # noqa: E501
    ]  # fmt: skip


def now() -> str:
    """The current time as the store writes it (ISO 8601, UTC, microseconds)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def geometry_type_name(geoms: np.ndarray) -> str:
    """The one geometry type of a layer (``POINT``, ``MULTIPOLYGON`` …) or ``GEOMETRY``."""
    present = geoms[~shapely.is_missing(geoms)]
    kinds = {g.geom_type.upper() for g in present[: min(len(present), 100_000)]}
    return kinds.pop() if len(kinds) == 1 else "GEOMETRY"


def column_type(dtype: str) -> str:
    return _TYPES[dtype]


def quote(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def rtree_statements(table: str, geom: str = "geom", fid: str = "fid") -> list[str]:
    """The R-tree triggers of the GeoPackage spec (as GDAL writes them)."""
    t, g, r = quote(table), quote(geom), quote(f"rtree_{table}_{geom}")
    vals = f"(NEW.{fid}, ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}), ST_MinY(NEW.{g}), ST_MaxY(NEW.{g}))"
    has = f"(NEW.{g} NOT NULL AND NOT ST_IsEmpty(NEW.{g}))"
    hasnt = f"(NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g}))"
    name = f"rtree_{table}_{geom}"
    return [
        f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON {t} WHEN {has} '
        f"BEGIN INSERT OR REPLACE INTO {r} VALUES {vals}; END",
        f'CREATE TRIGGER "{name}_update1" AFTER UPDATE OF {g} ON {t} '
        f"WHEN OLD.{fid} = NEW.{fid} AND {has} "
        f"BEGIN INSERT OR REPLACE INTO {r} VALUES {vals}; END",
        f'CREATE TRIGGER "{name}_update2" AFTER UPDATE OF {g} ON {t} '
        f"WHEN OLD.{fid} = NEW.{fid} AND {hasnt} "
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{fid}; END",
        f'CREATE TRIGGER "{name}_update3" AFTER UPDATE ON {t} '
        f"WHEN OLD.{fid} != NEW.{fid} AND {has} "
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{fid}; "
        f"INSERT OR REPLACE INTO {r} VALUES {vals}; END",
        f'CREATE TRIGGER "{name}_update4" AFTER UPDATE ON {t} '
        f"WHEN OLD.{fid} != NEW.{fid} AND {hasnt} "
        f"BEGIN DELETE FROM {r} WHERE id IN (OLD.{fid}, NEW.{fid}); END",
        f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON {t} WHEN OLD.{g} NOT NULL '
        f"BEGIN DELETE FROM {r} WHERE id = OLD.{fid}; END",
    ]


# -- values: pandas columns to SQLite values and back -------------------------------


def sql_type(col: pd.Series, spec: Any) -> str:
    if spec is not None:
        return column_type(spec.dtype)
    if pd.api.types.is_bool_dtype(col):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(col):
        return "INTEGER"
    if pd.api.types.is_float_dtype(col):
        return "REAL"
    if pd.api.types.is_datetime64_any_dtype(col):
        return "DATETIME"
    return "TEXT"


def to_sql(col: pd.Series, sql_type: str) -> list[Any]:
    if sql_type == "DATETIME":
        stamps = pd.to_datetime(col, utc=True)
        return [
            None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z" for v in stamps
        ]
    out: list[Any] = []
    for v in col.astype(object):
        if v is None or (not isinstance(v, list | dict) and pd.isna(v)):
            out.append(None)
        elif isinstance(v, list | dict):
            out.append(json.dumps(v, ensure_ascii=False))
        elif sql_type == "BOOLEAN":
            out.append(int(bool(v)))
        elif isinstance(v, np.generic):
            out.append(v.item())
        elif sql_type == "TEXT" and not isinstance(v, str):
            out.append(str(v))
        else:
            out.append(v)
    return out


def text_from_sql(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None)


FROM_SQL: dict[str, Callable[[pd.Series], pd.Series]] = {
    "int": lambda v: pd.Series(pd.array(v.tolist(), dtype="Int64"), index=v.index),
    "float": lambda v: pd.to_numeric(v, errors="coerce").astype("float64"),
    "bool": lambda v: v.map(lambda b: None if pd.isna(b) else bool(b)).astype("boolean"),
    "datetime": lambda v: pd.to_datetime(v, utc=True, format="ISO8601"),
    "json": lambda v: v.map(lambda t: None if pd.isna(t) else json.loads(t)).astype(object),
}


def from_sql(values: pd.Series, kind: str, column: str) -> pd.Series:
    spec = SCHEMAS[kind].get_field(column)
    if spec is None:  # a column outside the schema: keep what SQLite returns
        return values.infer_objects()
    return FROM_SQL.get(spec.dtype, text_from_sql)(values)
