"""Exporting a stored layer for people and for GIS.

- ``.xlsx``: a workbook with the summary sheet and the layer as a table with Chinese
  headers and units (English with ``lang="en"``), formatted numbers, lon/lat columns
  (the centre of each feature for lines and polygons), datetimes in Beijing time;
  ``layers import`` reads such a workbook back (point layers).
- ``.csv``: the same table (no summary), text that looks like a formula neutralised.
- ``.gpkg``: the layer with its field aliases and descriptions in ``gpkg_data_columns``
  (the GeoPackage schema extension) so QGIS shows Chinese names.
- ``.geojson`` / ``.shp``: as :func:`layers.io.write_file` writes them.

``crs="gcj02"`` or ``"bd09"`` converts every coordinate for AMap/Tencent or Baidu maps.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from layers._errors import LayerWriteError
from layers.coords import from_wgs84_frame
from layers.io.sheets import (
    CRS_LABELS,
    Column,
    Lang,
    Sheet,
    add_lonlat,
    guess_format,
    has_estimates,
    summary_sheet,
    write_csv,
    write_workbook,
)
from layers.io.writers import write_file
from layers.schema import Field, get_schema
from layers.store.base import BBox, LayerInfo, Store

__all__ = ["EXPORT_CRS", "add_data_columns", "export_layer", "layer_sheet"]

#: what ``crs`` may say: stored lon/lat, or the Chinese web-map systems
EXPORT_CRS = ("wgs84", "gcj02", "bd09")
_UNITS_EN = {"人": "persons", "户": "households", "餐/日": "meals/day", "穴": "plots"}
_DATA_COLUMNS = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
  description TEXT, mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name))
"""
_SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"


def export_layer(
    store: Store,
    name: str,
    path: str | Path,
    *,
    bbox: BBox | None = None,
    lang: Lang = "zh",
    crs: str = "wgs84",
) -> Path:
    """Write a stored layer (the features intersecting ``bbox`` if given) to ``path``,
    the format chosen by suffix (see the module's description)."""
    if crs not in EXPORT_CRS:
        msg = (
            f"crs must be one of {', '.join(EXPORT_CRS)}, got {crs!r}"
            " / 导出坐标系须为 wgs84、gcj02 或 bd09"
        )
        raise LayerWriteError(msg)
    info = store.info(name)
    frame = store.read(name, bbox=bbox)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".csv"):
        sheet = layer_sheet(frame, info.kind, crs=crs, title=name)
        if suffix == ".csv":
            return write_csv(sheet, path, lang=lang)
        summary = _summary(store, info, frame, bbox=bbox, crs=crs)
        return write_workbook([summary, sheet], path, lang=lang)
    if crs != "wgs84":
        frame = from_wgs84_frame(frame, crs)
    written = write_file(frame, path, layer=name)
    if suffix == ".gpkg":
        add_data_columns(written, name, info.kind)
    return written


def layer_sheet(
    frame: gpd.GeoDataFrame, kind: str, *, crs: str = "wgs84", title: str | None = None
) -> Sheet:
    """A layer as a table people read: schema labels and units, lon/lat columns."""
    schema = get_schema(kind)
    data: dict[str, Any] = {}
    columns: list[Column] = []
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        spec = schema.get_field(str(column))
        data[column] = _values(frame[column])
        columns.append(_column(str(column), spec, frame[column]))
    geoms = frame.geometry.to_numpy()
    points = len(geoms) > 0 and bool((shapely.get_type_id(geoms) == 0).all())
    table = pd.DataFrame(data, index=range(len(frame)))
    centres = geoms if points else shapely.centroid(geoms)
    columns += add_lonlat(table, centres, crs=crs, zh="" if points else "中心",
                          en="" if points else "centre ")  # fmt: skip
    return Sheet(schema.zh, title or schema.en, table, columns)


def add_data_columns(path: Path, table: str, kind: str) -> None:
    """Give layer ``table`` of the GeoPackage ``path`` its field aliases (Chinese label)
    and descriptions (both labels and the unit), in ``gpkg_data_columns``."""
    schema = get_schema(kind)
    with sqlite3.connect(path) as con:
        present = {row[1] for row in con.execute(f'PRAGMA table_info("{table}")')}
        rows, seen = [], set()
        for spec in schema.all_fields:
            if spec.name not in present or spec.zh in seen:
                continue
            seen.add(spec.zh)
            unit = f" ({spec.unit})" if spec.unit else ""
            rows.append((table, spec.name, spec.zh, spec.zh, f"{spec.zh} / {spec.en}{unit}"))
        con.execute(_DATA_COLUMNS)
        con.executemany(
            "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title,"
            " description) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        for ext_table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            con.execute(
                "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?,"
                " 'read-write')",
                (ext_table, _SCHEMA_EXTENSION),
            )


def _column(name: str, spec: Field | None, values: pd.Series) -> Column:
    fmt = guess_format(values)
    if fmt == "float" and spec is not None and spec.unit == "m":
        fmt = "metres"
    if spec is None:
        return Column(name, name, name, fmt=fmt)
    if spec.dtype == "datetime":
        return Column(name, spec.zh, spec.en, "北京时间", "Beijing time")
    return Column(name, spec.zh, spec.en, spec.unit, _UNITS_EN.get(spec.unit, spec.unit), fmt)


def _values(values: pd.Series) -> pd.Series:
    """Datetimes as Beijing time with its offset (unambiguous when read back), JSON as
    text."""
    if pd.api.types.is_datetime64_any_dtype(values):
        local = pd.to_datetime(values, utc=True).dt.tz_convert("Asia/Shanghai")
        return local.map(lambda v: None if pd.isna(v) else v.isoformat(sep=" "))
    if values.dtype == object:
        return values.map(
            lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
        )
    return values


def _summary(
    store: Store, info: LayerInfo, frame: gpd.GeoDataFrame, *, bbox: BBox | None, crs: str
) -> Sheet:
    schema = get_schema(info.kind)
    estimated = has_estimates(frame)
    rows = [
        ("图层", "layer", f"{info.name}（{schema.zh} {schema.en}）"),
        ("版本", "version", info.version),
        ("要素数", "features", len(frame)),
        ("范围", "bbox", "全部 all" if bbox is None else ", ".join(f"{v:g}" for v in bbox)),
        ("坐标系", "coordinates", CRS_LABELS[crs]),
    ]
    return summary_sheet("图层导出 layer export", rows, store=store.url, estimated=estimated)
