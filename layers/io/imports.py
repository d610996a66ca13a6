"""Importing a file into a store: read, validate, check for shifted points, write — all or
nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from pyproj import CRS

from layers._errors import LayerValidationError, Problem
from layers.coords import parse_crs
from layers.io._columns import shapefile_names
from layers.io.readers import read_with_problems
from layers.io.shift import looks_shifted
from layers.schema import CHINA_BOUNDS_LONLAT, get_schema
from layers.store.base import BBox, Store
from layers.validate import ValidationReport, validate

__all__ = ["ROADS_KIND", "import_file", "rename_columns"]

ROADS_KIND = "roads"
#: how far around the points roads are read for the shift check (GCJ-02 moves ~600 m)
_ROADS_MARGIN_DEG = 0.02


def import_file(
    store: Store,
    path: str | Path,
    *,
    name: str,
    kind: str,
    region: BBox = CHINA_BOUNDS_LONLAT,
    column_map: Mapping[str, str] | None = None,
    **read_options: Any,
) -> ValidationReport:
    """Read a file, validate it as ``kind`` and store it as layer ``name``: all or nothing.

    Parameters
    ----------
    store
        Where the layer goes; it replaces a layer of the same name.
    path
        Any file :func:`layers.io.read_file` reads.
    name
        The layer's name in the store.
    kind
        Its schema (:data:`layers.schema.SCHEMAS`).
    region
        Expected lon/lat extent; features outside it are errors.
    column_map
        Header → field: columns renamed before validation (a person's column mapping); a
        file column already named like a mapped field is dropped.
    **read_options
        Passed to :func:`layers.io.read_file` (``layer``, ``sheet``, ``crs``, ``lon``,
        ``lat``, ``x``, ``y``).

    Returns
    -------
    ValidationReport
        Warnings included: repaired geometries, and points declared as WGS84 that look like
        GCJ-02/BD-09 (when the store has a ``roads`` layer around them; see
        :func:`layers.io.looks_shifted`).

    Raises
    ------
    LayerValidationError
        When any row is bad, listing every problem (unreadable coordinates included) by
        0-based data row, field and value; the store is left byte-for-byte unchanged.
    LayerReadError
        When the file cannot be read at all.
    """
    schema = get_schema(kind)
    frame, read_problems = read_with_problems(path, **read_options)
    if column_map:
        frame = rename_columns(frame, column_map)
    if Path(path).suffix.lower() in (".shp", ".zip"):
        frame = _restore_shapefile_names(frame, schema.field_names)
    try:
        clean, report = validate(frame, kind, region=region)
    except LayerValidationError as exc:
        raise LayerValidationError(kind, _merge(read_problems, exc.problems)) from None
    if read_problems:  # unreachable in practice: a row without geometry fails validation
        raise LayerValidationError(kind, read_problems)
    crs = read_options.get("crs")
    if crs is None or isinstance(parse_crs(crs), CRS):  # declared WGS84 or another CRS
        report.warnings.extend(_shift_warnings(store, clean))
    store.write(name, clean, kind=kind)
    return report


def rename_columns(frame: gpd.GeoDataFrame, columns: Mapping[str, str]) -> gpd.GeoDataFrame:
    """``frame`` with columns renamed by ``columns`` (``{old: new}``, missing ones ignored);
    an unmapped column already called like a new name is dropped first."""
    renames = {old: new for old, new in columns.items() if old in frame.columns and old != new}
    shadowed = [c for c in renames.values() if c in frame.columns and c not in renames]
    return frame.drop(columns=shadowed).rename(columns=renames)


def _restore_shapefile_names(frame: gpd.GeoDataFrame, fields: list[str]) -> gpd.GeoDataFrame:
    """Rename shapefile-truncated columns back to the schema's names."""
    cut = shapefile_names(fields)
    renames = {
        short: full
        for full, short in cut.items()
        if short != full and short in frame.columns and full not in frame.columns
    }
    return frame.rename(columns=renames)


def _merge(read_problems: list[Problem], problems: list[Problem]) -> list[Problem]:
    """Coordinate problems replace the 'geometry is missing' problem of the same row."""
    bad_rows = {p.row for p in read_problems}
    kept = [p for p in problems if not (p.field == "geometry" and p.row in bad_rows)]
    return [*read_problems, *kept]


def _shift_warnings(store: Store, clean: gpd.GeoDataFrame) -> list[Problem]:
    geoms = clean.geometry.to_numpy()
    points = geoms[(shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)]
    if len(points) == 0:
        return []
    roads_layers = sorted(
        (info.name for info in store.layers() if info.kind == ROADS_KIND),
        key=lambda n: (n != ROADS_KIND, n),
    )
    if not roads_layers:
        return []
    x0, y0, x1, y1 = shapely.total_bounds(points).tolist()
    m = _ROADS_MARGIN_DEG
    roads = store.read(roads_layers[0], bbox=(x0 - m, y0 - m, x1 + m, y1 + m))
    report = looks_shifted(clean, roads)
    return [] if report is None else [report.to_problem()]
