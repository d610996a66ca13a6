"""Writing layers to files, chosen by suffix: GeoPackage, GeoJSON, Shapefile, CSV, XLSX.

Values that a format cannot hold natively are written as text: JSON columns (lists and
dicts, e.g. markers' reference objects) as JSON, datetimes as ISO 8601 (kept native in
GeoPackage and GeoJSON, whose drivers write ISO 8601 themselves). Single-file formats and
shapefiles are written beside the target and moved into place, so a failed write leaves no
partial file.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from layers._errors import LayerWriteError
from layers.io._columns import shapefile_names
from layers.io.sheets import Sheet, neutralise, workbook_bytes

__all__ = ["WRITE_SUFFIXES", "XLSX_CELL_CHARS", "write_file"]

WRITE_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".csv", ".xlsx")
#: the most characters one Excel cell holds
XLSX_CELL_CHARS = 32_767
#: decimals of WKT coordinates in CSV/XLSX (1e-8 degree is about 1 mm)
WKT_DECIMALS = 8
_SHAPE_FAMILIES = {
    0: "point",
    1: "line",
    2: "line",
    3: "polygon",
    4: "multipoint",
    5: "line",
    6: "polygon",
}
#: RFC 7946 (lon/lat, 7 decimals); text that looks like JSON stays text
_GEOJSON_OPTIONS = {"RFC7946": "YES", "AUTODETECT_JSON_STRINGS": "NO"}
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def write_file(gdf: gpd.GeoDataFrame, path: str | Path, *, layer: str | None = None) -> Path:
    """Write a layer to a file whose suffix names the format.

    Parameters
    ----------
    gdf
        The layer. GeoJSON, CSV and XLSX are written in lon/lat (EPSG:4326) and need a CRS;
        GeoPackage and Shapefile keep the frame's CRS.
    path
        ``.gpkg`` (an existing GeoPackage keeps its other layers; ``layer`` is replaced),
        ``.geojson``/``.json`` (RFC 7946), ``.shp``, ``.csv`` (UTF-8 with BOM so Excel shows
        Chinese) or ``.xlsx``. CSV and XLSX carry ``lon``/``lat`` columns when every geometry
        is a point, else a WKT ``geometry`` column.
    layer
        Layer name (GeoPackage) or sheet name (XLSX); default: the file's stem.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    LayerWriteError
        Unknown suffix, no CRS where one is needed, geometries the format cannot hold
        (a shapefile holds one geometry family; an Excel cell at most 32,767 characters),
        or any error of the underlying writer.

    Notes
    -----
    CSV and XLSX written here are for data exchange (field names, WKT, ISO 8601 times);
    :func:`layers.io.export_layer` writes the workbook people read. Text that would start
    a formula is written as text in XLSX and prefixed with ``'`` in CSV (which
    :func:`layers.io.read_file` takes off again).

    Shapefile field names hold at most 10 bytes: longer names are cut predictably and never
    collide (see :func:`layers.io.shapefile_names`: ``capacity_persons`` → ``capacity_p``).
    :func:`layers.io.import_file` maps such names back to the schema's.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    writer = _WRITERS.get(suffix)
    if writer is None:
        known = ", ".join(WRITE_SUFFIXES)
        msg = (
            f"{path.name}: unknown file type {suffix or '(none)'!r}; use one of {known}"
            f" / 无法识别的导出文件类型 {suffix!r}，支持：{known}"
        )
        raise LayerWriteError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = layer or path.stem
    try:
        writer(gdf, path, name)
    except LayerWriteError:
        raise
    except Exception as exc:
        msg = f"cannot write {path.name}: {exc} / 无法写入文件 {path.name}"
        raise LayerWriteError(msg) from exc
    return path


# -- values ----------------------------------------------------------------------------


def _json_text(value: Any) -> Any:
    if isinstance(value, np.ndarray):  # a list as GDAL reads it
        value = value.tolist()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):  # datetime and pandas Timestamp too
        return None if pd.isna(value) else value.isoformat()
    return value


def _serialise(frame: pd.DataFrame, *, keep_datetimes: bool) -> pd.DataFrame:
    """Attribute columns as the format can hold them (JSON and datetimes as text)."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            if not keep_datetimes:
                values = values.map(lambda v: None if pd.isna(v) else v.isoformat()).astype(object)
        elif values.dtype == object:
            values = values.map(_json_text)
        out[col] = values
    return pd.DataFrame(out, index=frame.index)


def _attributes(gdf: gpd.GeoDataFrame, *, keep_datetimes: bool) -> pd.DataFrame:
    return _serialise(
        pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), keep_datetimes=keep_datetimes
    )


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as Python objects with ``None`` for missing (for CSV and XLSX)."""
    return frame.astype(object).where(frame.notna(), None)


def _lonlat(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = (
            f"{path.name}: the layer has no CRS; cannot write lon/lat"
            " / 图层没有坐标系，无法导出经纬度"
        )
        raise LayerWriteError(msg)
    return gdf.to_crs(4326)


# -- formats ---------------------------------------------------------------------------


def _in_place_of(path: Path, write: Callable[[Path], None]) -> None:
    """Write into a temporary folder beside ``path``, then move every file produced."""
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.stem}.") as tmp:
        write(Path(tmp) / path.name)
        for produced in Path(tmp).iterdir():
            produced.replace(path.parent / produced.name)


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    frame = gpd.GeoDataFrame(
        _attributes(gdf, keep_datetimes=True), geometry=gdf.geometry, crs=gdf.crs
    )
    if path.exists():
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
        return
    _in_place_of(path, lambda p: pyogrio.write_dataframe(frame, p, layer=layer, driver="GPKG"))


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    lonlat = _lonlat(gdf, path)
    frame = gpd.GeoDataFrame(
        _attributes(lonlat, keep_datetimes=True), geometry=lonlat.geometry, crs=4326
    )
    _in_place_of(
        path,
        lambda p: pyogrio.write_dataframe(
            frame, p, layer=layer, driver="GeoJSON", layer_options=_GEOJSON_OPTIONS
        ),
    )


def _write_shp(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    geoms = gdf.geometry.to_numpy()
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    families = {_SHAPE_FAMILIES.get(int(t), "other") for t in shapely.get_type_id(present)}
    if len(families) > 1 or "other" in families:
        msg = (
            f"{path.name}: a shapefile holds one geometry type, this layer has"
            f" {sorted(families)}; use .gpkg / Shapefile 只能保存一种几何类型，请导出为 .gpkg"
        )
        raise LayerWriteError(msg)
    attrs = _attributes(gdf, keep_datetimes=False)
    attrs = attrs.rename(columns=shapefile_names(attrs.columns))
    frame = gpd.GeoDataFrame(attrs, geometry=gdf.geometry, crs=gdf.crs)
    _in_place_of(
        path,
        lambda p: pyogrio.write_dataframe(
            frame, p, driver="ESRI Shapefile", encoding="UTF-8", promote_to_multi=None
        ),
    )


def _table(gdf: gpd.GeoDataFrame, path: Path) -> pd.DataFrame:
    lonlat = _lonlat(gdf, path)
    attrs = _attributes(lonlat, keep_datetimes=False)
    geoms = lonlat.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    points = bool(present.any()) and bool((shapely.get_type_id(geoms[present]) == 0).all())
    added = ["lon", "lat"] if points else ["geometry"]
    clash = [c for c in added if c in attrs.columns]
    if clash:
        msg = (
            f"{path.name}: attribute column(s) {clash} would be overwritten by the geometry;"
            f" rename them first / 属性列 {clash} 与几何列重名，请先改名"
        )
        raise LayerWriteError(msg)
    if points:
        attrs["lon"] = np.where(present, shapely.get_x(geoms), np.nan)
        attrs["lat"] = np.where(present, shapely.get_y(geoms), np.nan)
    else:
        attrs["geometry"] = shapely.to_wkt(geoms, rounding_precision=WKT_DECIMALS)
    return _plain(attrs)


def _write_csv(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    table = _table(gdf, path).map(neutralise)  # text starting a formula gets a "'"
    _in_place_of(path, lambda p: table.to_csv(p, index=False, encoding="utf-8-sig"))


def _write_xlsx(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    table = _table(gdf, path)
    if "geometry" in table.columns:
        lengths = table["geometry"].map(lambda v: 0 if v is None else len(v)).to_numpy()
        too_long = np.flatnonzero(lengths > XLSX_CELL_CHARS)
        if too_long.size:
            msg = (
                f"{path.name}: the geometry of row(s) {too_long[:10].tolist()} needs more than"
                f" {XLSX_CELL_CHARS} characters, more than an Excel cell holds; use .gpkg or"
                f" .geojson / 第 {too_long[:10].tolist()} 行的几何超出 Excel 单元格长度上限"
            )
            raise LayerWriteError(msg)
    sheet = layer.translate(_SHEET_FORBIDDEN)[:31] or "layer"
    data = workbook_bytes([Sheet(sheet, sheet, table)])  # text stays text, never a formula
    _in_place_of(path, lambda p: _write_bytes(p, data))


def _write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


_WRITERS: dict[str, Callable[[gpd.GeoDataFrame, Path, str], None]] = {
    ".gpkg": _write_gpkg,
    ".geojson": _write_geojson,
    ".json": _write_geojson,
    ".shp": _write_shp,
    ".csv": _write_csv,
    ".xlsx": _write_xlsx,
}
