"""Validate a layer once, where it enters: collect every problem in one error.

:func:`validate` returns a clean frame (typed columns, repaired geometries, lon/lat CRS) and
the warnings; it raises :class:`LayerValidationError` naming row, field, value and reason of
every error. Code downstream trusts validated frames.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from layers._errors import LayerValidationError, Problem
from layers.schema import CHINA_BOUNDS_LONLAT, STORE_CRS, Field, LayerSchema, get_schema

__all__ = ["ValidationReport", "validate"]

Bounds = tuple[float, float, float, float]
_EQUIVALENT_LONLAT = {4326, 4490}
_DTYPE_ZH = {
    "int": "整数",
    "float": "数字",
    "str": "文本",
    "bool": "是/否值",
    "datetime": "日期时间",
    "json": "JSON",
}


@dataclass
class ValidationReport:
    """What validation repaired or flagged without refusing the layer."""

    kind: str
    rows: int
    warnings: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "warnings": [w.to_dict() for w in self.warnings],
        }


def validate(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    region: Bounds = CHINA_BOUNDS_LONLAT,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Check ``gdf`` against the schema of ``kind`` and return ``(clean_frame, report)``.

    Parameters
    ----------
    gdf
        The layer. Must have a CRS; any CRS is accepted and converted to lon/lat.
    kind
        A layer kind from :data:`layers.schema.SCHEMAS`.
    region
        Expected lon/lat extent ``(min_lon, min_lat, max_lon, max_lat)``; features outside
        it are errors, and ones whose swapped coordinates fall inside are reported as swapped.

    Raises
    ------
    LayerValidationError
        Listing every error found (missing columns, bad values, duplicate ids, malformed
        division codes, bad geometries, features outside the region).
    """
    schema = get_schema(kind)
    problems: list[Problem] = []
    frame = _to_store_crs(gdf, problems)
    if frame is None:
        raise LayerValidationError(kind, problems)
    frame = frame.reset_index(drop=True)
    columns = {f.name: _check_field(frame, f, problems) for f in schema.all_fields}
    _check_ids(frame, schema, columns, problems)
    _check_codes(schema, columns, problems)
    geometry = _check_geometry(frame.geometry, schema, region, problems)
    if any(p.severity == "error" for p in problems):
        raise LayerValidationError(kind, problems)
    data = {name: col for name, col in columns.items() if col is not None}
    geometry_name = frame.geometry.name
    for extra in frame.columns:  # columns outside the schema travel along unchanged
        if extra not in data and extra != geometry_name:
            data[extra] = frame[extra]
    clean = gpd.GeoDataFrame(data, geometry=geometry, crs=STORE_CRS)
    warnings = [p for p in problems if p.severity == "warning"]
    return clean, ValidationReport(kind, len(clean), warnings)


def _to_store_crs(gdf: gpd.GeoDataFrame, problems: list[Problem]) -> gpd.GeoDataFrame | None:
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        problems.append(
            Problem(None, "geometry", None, "the layer has no geometry column / 图层没有几何列")
        )
        return None
    if gdf.crs is None:
        msg = (
            "the layer has no CRS; give one (EPSG code, wgs84, cgcs2000, gcj02, bd09)"
            " / 图层没有坐标系，请指定（EPSG 代码、wgs84、cgcs2000、gcj02、bd09）"
        )
        problems.append(Problem(None, "crs", None, msg))
        return None
    epsg = CRS.from_user_input(gdf.crs).to_epsg()
    if epsg in _EQUIVALENT_LONLAT:
        return gdf.set_crs(STORE_CRS, allow_override=True)
    return gdf.to_crs(STORE_CRS)


def _check_field(frame: pd.DataFrame, spec: Field, problems: list[Problem]) -> pd.Series | None:
    if spec.name not in frame.columns:
        if spec.required:
            problems.append(
                Problem(None, spec.name, None, "required column is missing / 缺少必填列")
            )
        return None
    raw = frame[spec.name]
    values, bad = _COERCE[spec.dtype](raw)
    for row in np.flatnonzero(bad):
        problems.append(
            Problem(
                int(row),
                spec.name,
                raw.iloc[row],
                f"not a valid {spec.dtype} / 不是有效的{_DTYPE_ZH[spec.dtype]}",
            )
        )
    missing = values.isna().to_numpy() & ~bad
    if spec.required:
        for row in np.flatnonzero(missing):
            problems.append(
                Problem(int(row), spec.name, None, "required value is missing / 必填值为空")
            )
    _check_ranges(values, spec, problems)
    return values


def _check_ranges(values: pd.Series, spec: Field, problems: list[Problem]) -> None:
    present = values.notna()
    checks: list[tuple[pd.Series, str]] = []
    if spec.minimum is not None:
        checks.append(
            (
                present & (values < spec.minimum),
                f"must be ≥ {spec.minimum:g} / 须 ≥ {spec.minimum:g}",
            )
        )
    if spec.maximum is not None:
        checks.append(
            (
                present & (values > spec.maximum),
                f"must be ≤ {spec.maximum:g} / 须 ≤ {spec.maximum:g}",
            )
        )
    if spec.choices is not None:
        reason = (
            f"must be one of {', '.join(spec.choices)} / 须为其中之一：{'、'.join(spec.choices)}"
        )
        checks.append((present & ~values.isin(spec.choices), reason))
    if spec.pattern is not None:
        ok = values[present].astype(str).str.fullmatch(spec.pattern)
        reason = f"must match {spec.pattern} / 格式应为 {spec.pattern}"
        checks.append((present & ~ok.reindex(values.index, fill_value=True), reason))
    for mask, reason in checks:
        for row in np.flatnonzero(mask.to_numpy(dtype=bool)):
            problems.append(Problem(int(row), spec.name, values.iloc[row], reason))


def _check_ids(
    frame: pd.DataFrame,
    schema: LayerSchema,
    columns: dict[str, pd.Series | None],
    problems: list[Problem],
) -> None:
    ids = columns.get(schema.id_field)
    if ids is None:
        return
    dup = ids.notna() & ids.duplicated(keep=False)
    for row in np.flatnonzero(dup.to_numpy()):
        problems.append(
            Problem(int(row), schema.id_field, ids.iloc[row], "duplicate id / 编号重复")
        )


def _check_codes(
    schema: LayerSchema, columns: dict[str, pd.Series | None], problems: list[Problem]
) -> None:
    if schema.parent_field is None:
        return
    codes, parents = columns.get(schema.id_field), columns.get(schema.parent_field)
    if codes is None or parents is None:
        return
    both = codes.notna() & parents.notna()
    mismatch = both & ~pd.Series(
        [str(c).startswith(str(p)) for c, p in zip(codes, parents, strict=True)],
        index=codes.index,
    )
    for row in np.flatnonzero(mismatch.to_numpy()):
        reason = (
            f"code must start with its parent code {parents.iloc[row]!r}"
            f" / 代码须以上级代码 {parents.iloc[row]!r} 开头"
        )
        problems.append(Problem(int(row), schema.id_field, codes.iloc[row], reason))


def _check_geometry(
    geoms: gpd.GeoSeries, schema: LayerSchema, region: Bounds, problems: list[Problem]
) -> gpd.GeoSeries:
    values = geoms.to_numpy()
    missing = shapely.is_missing(values) | shapely.is_empty(values)
    for row in np.flatnonzero(missing):
        problems.append(
            Problem(int(row), "geometry", None, "geometry is missing or empty / 几何为空")
        )
    invalid = ~missing & ~shapely.is_valid(values)
    if invalid.any():
        values = values.copy()
        for row in np.flatnonzero(invalid):
            why = shapely.is_valid_reason(values[row])
            values[row] = _repair(values[row], schema)
            problems.append(
                Problem(
                    int(row),
                    "geometry",
                    why,
                    "invalid geometry repaired / 无效几何已修复",
                    "warning",
                )
            )
    types = shapely.get_type_id(values)
    names = np.array(["Missing", *_TYPE_NAMES])[types + 1]
    wrong = ~missing & ~np.isin(names, schema.geometry_types)
    for row in np.flatnonzero(wrong):
        types = " or ".join(schema.geometry_types)
        reason = f"geometry type must be {types} / 几何类型须为 {types}"
        problems.append(Problem(int(row), "geometry", str(names[row]), reason))
    _check_region(values, missing, region, problems)
    return gpd.GeoSeries(values, crs=STORE_CRS)


_TYPE_NAMES = [
    "Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
    "MultiLineString", "MultiPolygon", "GeometryCollection",
]  # fmt: skip


def _repair(geom: shapely.Geometry, schema: LayerSchema) -> shapely.Geometry:
    fixed = shapely.make_valid(geom)
    if isinstance(fixed, shapely.GeometryCollection) and "Polygon" in schema.geometry_types:
        polys = [g for g in fixed.geoms if isinstance(g, shapely.Polygon | shapely.MultiPolygon)]
        fixed = shapely.union_all(polys) if polys else fixed
    return fixed


def _check_region(
    values: np.ndarray, missing: np.ndarray, region: Bounds, problems: list[Problem]
) -> None:
    bounds = shapely.bounds(values)
    ok = ~missing
    x0, y0, x1, y1 = region
    inside = (
        (bounds[:, 0] >= x0) & (bounds[:, 2] <= x1) & (bounds[:, 1] >= y0) & (bounds[:, 3] <= y1)
    )
    swapped = (
        (bounds[:, 1] >= x0) & (bounds[:, 3] <= x1) & (bounds[:, 0] >= y0) & (bounds[:, 2] <= y1)
    )
    for row in np.flatnonzero(ok & ~inside):
        where = (round(float(bounds[row, 0]), 6), round(float(bounds[row, 1]), 6))
        if swapped[row]:
            reason = (
                "lon/lat look swapped (the point would be inside the region as lat, lon)"
                " / 经纬度疑似填反"
            )
        else:
            reason = f"outside the expected region {region} (lon/lat) / 超出预期范围"
        problems.append(Problem(int(row), "geometry", where, reason))


# --- coercion: each returns (values, bad_mask) -----------------------------------------


def _blank(raw: pd.Series) -> np.ndarray:
    text = raw.astype("string").str.strip()
    return (raw.isna() | (text == "")).to_numpy(dtype=bool)


def _numeric(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    blank = _blank(raw)
    num = pd.to_numeric(raw.where(~blank), errors="coerce")
    return num, (num.isna().to_numpy() & ~blank)


def _to_int(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    num, bad = _numeric(raw)
    frac = num.notna().to_numpy() & (np.mod(num.fillna(0).to_numpy(dtype=float), 1) != 0)
    return num.round().astype("Int64"), bad | frac


def _to_float(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    num, bad = _numeric(raw)
    return num.astype("float64"), bad


def _to_str(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    blank = _blank(raw)
    as_int = raw.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    text = as_int.astype("string").str.strip().where(~blank)
    return text.astype(object).where(~blank, None), np.zeros(len(raw), dtype=bool)


_TRUE = {"true", "1", "yes", "y", "t", "是", "是 yes"}
_FALSE = {"false", "0", "no", "n", "f", "否", "否 no"}


def _to_bool(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    blank = _blank(raw)
    text = raw.astype("string").str.strip().str.lower()
    value = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    value[text.isin(_TRUE).fillna(False).to_numpy()] = True
    value[text.isin(_FALSE).fillna(False).to_numpy()] = False
    number = pd.to_numeric(raw.where(~blank), errors="coerce")  # 1.0/0.0 from GDAL, Excel
    value[(number == 1).fillna(False).to_numpy(dtype=bool)] = True
    value[(number == 0).fillna(False).to_numpy(dtype=bool)] = False
    return value, (value.isna().to_numpy() & ~blank)


def _to_datetime(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    blank = _blank(raw)
    value = pd.to_datetime(raw.where(~blank), errors="coerce", utc=True, format="mixed")
    return value, (value.isna().to_numpy() & ~blank)


def _to_json(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    raw = raw.map(lambda v: v.tolist() if isinstance(v, np.ndarray) else v)  # GDAL lists
    blank = _blank(raw.map(lambda v: None if isinstance(v, list | dict) else v))
    blank &= ~raw.map(lambda v: isinstance(v, list | dict)).to_numpy(dtype=bool)
    parsed: list[Any] = []
    bad = np.zeros(len(raw), dtype=bool)
    for i, v in enumerate(raw):
        if blank[i]:
            parsed.append(None)
        elif isinstance(v, list | dict):
            parsed.append(v)
        else:
            try:
                parsed.append(json.loads(str(v)))
            except ValueError:
                parsed.append(None)
                bad[i] = True
    return pd.Series(parsed, index=raw.index, dtype=object), bad


_COERCE: dict[str, Callable[[pd.Series], tuple[pd.Series, np.ndarray]]] = {
    "int": _to_int,
    "float": _to_float,
    "str": _to_str,
    "bool": _to_bool,
    "datetime": _to_datetime,
    "json": _to_json,
}


def problems_text(problems: Iterable[Problem]) -> str:
    """Render problems one per line (for CLI output)."""
    return "\n".join(str(p) for p in problems)
