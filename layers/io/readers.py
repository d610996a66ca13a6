"""Reading layers from files: GeoPackage, GeoJSON, Shapefile (via pyogrio), CSV and XLSX.

Row numbers: every ``row`` (in :class:`~layers.Problem` and in messages) is the 0-based
position of the data row in the file, the same as ``Problem.row`` everywhere in
:mod:`layers`. Messages add the row a spreadsheet shows (``row + 2``: one header line, rows
counted from 1) so people can find it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from layers._errors import LayerReadError, Problem
from layers.coords import ChineseSystem, parse_crs, to_wgs84_frame
from layers.io._columns import CoordinateColumns, find_coordinates
from layers.io.sheets import SUMMARY_SHEET, unneutralise

__all__ = ["TABLE_SUFFIXES", "VECTOR_SUFFIXES", "read_file", "read_with_problems"]

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
WKT_COLUMNS = ("geometry", "wkt", "geom", "the_geom", "几何")
MAX_PROBLEMS_IN_MESSAGE = 50
_UNNAMED = re.compile(r"^Unnamed: \d+$")

CrsSpec = str | int | CRS
System = CRS | ChineseSystem


def read_file(
    path: str | Path,
    *,
    layer: str | None = None,
    sheet: str | int | None = None,
    crs: CrsSpec | None = None,
    lon: str | None = None,
    lat: str | None = None,
    x: str | None = None,
    y: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a layer from a file, chosen by suffix.

    Parameters
    ----------
    path
        ``.gpkg``, ``.geojson``/``.json``, ``.shp`` (or a zipped shapefile ``.zip``),
        ``.csv``/``.tsv``/``.txt`` (UTF-8, UTF-8 with BOM, or GBK/GB18030) or ``.xlsx``/``.xls``.
    layer
        The layer of a multi-layer file (GeoPackage); required when it has several.
    sheet
        The sheet of a workbook, by name or 0-based position (default: the first).
    crs
        What the coordinates are: anything :func:`layers.coords.parse_crs` takes (``wgs84``,
        ``cgcs2000``, an EPSG code, ``gcj02``, ``bd09``). GCJ-02 and BD-09 are converted to
        WGS84 (EPSG:4326). Default: the file's own CRS; CSV and XLSX are WGS84 unless their
        coordinate columns are x/y, which need ``crs``.
    lon, lat, x, y
        The coordinate columns of a table (``lon``/``lat`` or projected ``x``/``y``);
        detected from their names when not given (lon/lat, lng/lat, longitude/latitude,
        经度/纬度, lon_gcj02 …; x/y, easting/northing, 东坐标/北坐标). Without coordinate
        columns a ``geometry`` (WKT) column is read.

    Returns
    -------
    geopandas.GeoDataFrame
        In the file's or the given CRS (EPSG:4326 after a GCJ-02/BD-09 conversion).

    Raises
    ------
    LayerReadError
        Naming the file, and the column or rows at fault: missing or unreadable file,
        unknown suffix, missing layer or sheet, no coordinate columns, coordinates that are
        not numbers (every such row, 0-based data rows), no CRS.
    """
    frame, problems = read_with_problems(
        path, layer=layer, sheet=sheet, crs=crs, lon=lon, lat=lat, x=x, y=y
    )
    if problems:
        raise LayerReadError(problems_message(Path(path), problems))
    return frame


def read_with_problems(
    path: str | Path,
    *,
    layer: str | None = None,
    sheet: str | int | None = None,
    crs: CrsSpec | None = None,
    lon: str | None = None,
    lat: str | None = None,
    x: str | None = None,
    y: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Like :func:`read_file`, but rows whose coordinates cannot be read get no geometry
    and are returned as problems instead of raising (so an import can report them together
    with every other problem)."""
    path = Path(path)
    if not path.is_file():
        raise LayerReadError(f"file not found: {path} / 找不到文件：{path}")
    suffix = path.suffix.lower()
    system = None if crs is None else parse_crs(crs)
    if suffix in VECTOR_SUFFIXES:
        return _apply_crs(_read_vector(path, layer), system, path), []
    if suffix in TABLE_SUFFIXES:
        table = _read_table(path, sheet)
        names = list(table.columns)
        columns = find_coordinates(names, lon=lon, lat=lat, x=x, y=y, source=path.name)
        return _table_to_frame(table, path, system, columns)
    known = ", ".join((*VECTOR_SUFFIXES, *TABLE_SUFFIXES))
    msg = (
        f"{path.name}: unknown file type {suffix or '(none)'!r}; use one of {known}"
        f" / 无法识别的文件类型 {suffix!r}，支持：{known}"
    )
    raise LayerReadError(msg)


def problems_message(path: Path, problems: list[Problem]) -> str:
    """A bilingual message listing coordinate problems row by row."""
    head = (
        f"{path.name}: {len(problems)} coordinate value(s) cannot be read (rows are 0-based"
        f" data rows) / 文件 {path.name} 中有 {len(problems)} 处坐标无法读取（行号从 0 起算）"
    )
    lines = [
        f"  - data row {p.row} (spreadsheet row {p.row + 2}), column {p.field!r},"
        f" value {p.value!r}: {p.reason}"
        for p in problems[:MAX_PROBLEMS_IN_MESSAGE]
        if p.row is not None
    ]
    if len(problems) > MAX_PROBLEMS_IN_MESSAGE:
        lines.append(f"  ... and {len(problems) - MAX_PROBLEMS_IN_MESSAGE} more")
    return "\n".join([head, *lines])


# -- vector files ------------------------------------------------------------------------


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:
        msg = f"{path.name}: cannot read the file ({exc}) / 无法读取文件 {path.name}"
        raise LayerReadError(msg) from exc
    spatial = [str(name) for name, gtype in listed if gtype is not None]
    names = [str(name) for name, _ in listed]
    if layer is None and len(spatial) > 1:
        msg = (
            f"{path.name} has several layers {spatial}; choose one with layer="
            f" / 文件 {path.name} 含多个图层 {spatial}，请用 layer= 指定"
        )
        raise LayerReadError(msg)
    if layer is not None and layer not in names:
        msg = f"{path.name} has no layer {layer!r}; layers are {names} / 文件中没有图层 {layer!r}"
        raise LayerReadError(msg)
    chosen = layer if layer is not None else (spatial[0] if spatial else None)
    try:
        frame = pyogrio.read_dataframe(path, layer=chosen)
    except Exception as exc:
        msg = f"{path.name}: cannot read the file ({exc}) / 无法读取文件 {path.name}"
        raise LayerReadError(msg) from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{path.name}: the layer has no geometry / 图层 {chosen!r} 没有几何字段"
        raise LayerReadError(msg)
    return frame


def _apply_crs(frame: gpd.GeoDataFrame, system: System | None, path: Path) -> gpd.GeoDataFrame:
    if system is None:
        if frame.crs is None:
            msg = (
                f"{path.name} does not say its coordinate system; give crs= (an EPSG code,"
                f" wgs84, cgcs2000, gcj02, bd09) / 文件 {path.name} 未声明坐标系，请指定 crs="
            )
            raise LayerReadError(msg)
        return frame
    if isinstance(system, CRS):
        return frame.set_crs(system, allow_override=True)
    if frame.crs is not None and not CRS.from_user_input(frame.crs).is_geographic:
        frame = frame.to_crs(4326)
    return to_wgs84_frame(frame, system)


# -- tables ------------------------------------------------------------------------------


def _read_table(path: Path, sheet: str | int | None) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xls"):
        table = _read_workbook(path, sheet)
    else:
        table = _read_csv(path)
    table.columns = [str(c).strip() for c in table.columns]
    empty_cols = [c for c in table.columns if _UNNAMED.match(c) and table[c].isna().all()]
    table = table.drop(columns=empty_cols)
    filled = table.notna().to_numpy().any(axis=1) if len(table.columns) else np.array([])
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return table.iloc[:last].reset_index(drop=True)  # drop trailing empty rows only


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    msg = (
        f"{path.name}: text is neither UTF-8 nor GBK/GB18030; save it as UTF-8"
        f" / 文件 {path.name} 既不是 UTF-8 也不是 GBK 编码，请另存为 UTF-8"
    )
    raise LayerReadError(msg)


def _read_csv(path: Path) -> pd.DataFrame:
    text = _decode(path)
    first = text.split("\n", 1)[0]
    try:
        sep = csv.Sniffer().sniff(first, delimiters=",\t;|").delimiter
    except csv.Error:
        sep = ","
    try:
        table = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""]
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        msg = (
            f"{path.name}: not a readable CSV table ({exc}) / 文件 {path.name} 不是有效的 CSV 表格"
        )
        raise LayerReadError(msg) from exc
    return table.map(unneutralise)


def _read_workbook(path: Path, sheet: str | int | None) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:
        msg = (
            f"{path.name}: not a readable workbook ({exc})"
            f" / 文件 {path.name} 不是有效的 Excel 工作簿"
        )
        raise LayerReadError(msg) from exc
    with book:
        names = [str(n) for n in book.sheet_names]
        chosen = _first_table(names) if sheet is None else sheet
        if (isinstance(chosen, str) and chosen not in names) or (
            isinstance(chosen, int) and not 0 <= chosen < len(names)
        ):
            msg = (
                f"{path.name} has no sheet {sheet!r}; sheets are {names}"
                f" / 工作簿中没有工作表 {sheet!r}"
            )
            raise LayerReadError(msg)
        return pd.read_excel(book, sheet_name=chosen, dtype=object)  # keep '0101' as text


def _first_table(names: list[str]) -> int:
    """The first sheet, or the second when the first is an mzgis summary sheet."""
    summary = names[0] in (SUMMARY_SHEET, SUMMARY_SHEET.split()[-1])
    return 1 if summary and len(names) > 1 else 0


def _table_to_frame(
    table: pd.DataFrame,
    path: Path,
    system: System | None,
    columns: CoordinateColumns | None,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    if columns is None:
        geoms, problems, used = _wkt_geometries(table, path)
    else:
        if columns.projected and system is None:
            msg = (
                f"{path.name}: columns {columns.x!r}/{columns.y!r} are projected coordinates;"
                f" give their crs= (an EPSG code such as 4548)"
                f" / 投影坐标列须指定 crs（如 EPSG 代码 4548）"
            )
            raise LayerReadError(msg)
        geoms, problems = _point_geometries(table, columns)
        used = [columns.x, columns.y]
    attrs = table.drop(columns=used)
    target = system if isinstance(system, CRS) else CRS.from_epsg(4326)
    frame = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index), crs=target)
    if system is not None and not isinstance(system, CRS):
        frame = to_wgs84_frame(frame, system)
    return frame, problems


def _numbers(values: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """(numbers, present mask, problems) of one coordinate column."""
    text = values.astype("string").str.strip()
    blank = (values.isna() | (text == "")).to_numpy(dtype=bool)
    num = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~blank & ~np.isfinite(num)
    reason = "coordinate is not a number / 坐标不是数字"
    problems = [Problem(int(i), column, values.iloc[i], reason) for i in np.flatnonzero(bad)]
    return num, ~blank & ~bad, problems


def _point_geometries(
    table: pd.DataFrame, columns: CoordinateColumns
) -> tuple[np.ndarray, list[Problem]]:
    xs, x_ok, x_problems = _numbers(table[columns.x], columns.x)
    ys, y_ok, y_problems = _numbers(table[columns.y], columns.y)
    ok = x_ok & y_ok
    geoms = np.full(len(table), None, dtype=object)
    geoms[ok] = shapely.points(xs[ok], ys[ok])
    problems = sorted([*x_problems, *y_problems], key=lambda p: (p.row, p.field))
    return geoms, problems


def _wkt_geometries(table: pd.DataFrame, path: Path) -> tuple[np.ndarray, list[Problem], list[str]]:
    found = [c for c in table.columns if c.strip().lower() in WKT_COLUMNS]
    if not found:
        msg = (
            f"{path.name}: no coordinate columns (lon/lat, 经度/纬度, x/y …) and no WKT"
            f" geometry column; columns are {list(table.columns)}; name them with lon=/lat="
            f" or x=/y= / 文件 {path.name} 中找不到坐标列（经度/纬度、x/y）或 WKT 几何列"
        )
        raise LayerReadError(msg)
    column = found[0]
    text = table[column].astype("string").str.strip()
    blank = (table[column].isna() | (text == "")).to_numpy(dtype=bool)
    wkt = np.array(text.astype(object), dtype=object)
    wkt[blank] = None
    geoms = shapely.from_wkt(wkt, on_invalid="ignore")
    bad = ~blank & shapely.is_missing(geoms)
    reason = "not a valid WKT geometry / 不是有效的 WKT 几何"
    problems = [Problem(int(i), column, table[column].iloc[i], reason) for i in np.flatnonzero(bad)]
    return geoms, problems, [column]
