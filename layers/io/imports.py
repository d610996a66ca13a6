"""Importing a file into a store: read, map headers, validate, check for shifted points,
merge with the stored layer, write a new version — all or nothing.

An import into an existing layer must say how (``mode``): ``append`` (ids must be new),
``upsert`` (update by id, add the rest) or ``replace`` (which needs ``confirm``: the plan
lists what it drops). Every write keeps the replaced version (``mzgis layers restore``).
Problems of a table name the row as the spreadsheet shows it (header = row 1), the row's
id, the field and the file's header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from layers._errors import (
    ConfirmationRequiredError,
    ConflictError,
    ImportModeError,
    LayerValidationError,
    Problem,
)
from layers.coords import parse_crs
from layers.io._columns import shapefile_names
from layers.io.headers import HeaderMapping, map_headers
from layers.io.readers import TABLE_SUFFIXES, read_with_problems
from layers.io.shift import looks_shifted
from layers.merge import MODES, MergePlan, merge
from layers.schema import CHINA_BOUNDS_LONLAT, get_schema
from layers.store.base import BBox, LayerInfo, Store
from layers.validate import ValidationReport, validate

__all__ = ["PREVIEW_ROWS", "ROADS_KIND", "ImportReport", "import_file"]

ROADS_KIND = "roads"
#: how far around the points roads are read for the shift check (GCJ-02 moves ~600 m)
_ROADS_MARGIN_DEG = 0.02
#: rows a dry run shows
PREVIEW_ROWS = 5
#: a spreadsheet's first data row (row 1 is the header)
FIRST_DATA_LINE = 2


@dataclass
class ImportReport(ValidationReport):
    """What an import did (or, for a dry run, would do): the header mapping, the merge
    plan, the first rows, and the layer written (``None`` for a dry run)."""

    mapping: HeaderMapping | None = None
    plan: MergePlan | None = None
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    written: LayerInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["plan"] = None if self.plan is None else self.plan.to_dict()
        out["mapping"] = None if self.mapping is None else self.mapping.renames
        out["version"] = None if self.written is None else self.written.version
        return out


def import_file(
    store: Store,
    path: str | Path,
    *,
    name: str,
    kind: str,
    mode: str | None = None,
    confirm: bool = False,
    dry_run: bool = False,
    column_map: dict[str, str] | None = None,
    region: BBox = CHINA_BOUNDS_LONLAT,
    **read_options: Any,
) -> ImportReport:
    """Read a file, validate it as ``kind`` and store it as layer ``name``: all or nothing.

    Parameters
    ----------
    store
        Where the layer goes.
    path
        Any file :func:`layers.io.read_file` reads.
    name
        The layer's name in the store.
    kind
        Its schema (:data:`layers.schema.SCHEMAS`).
    mode
        ``append``, ``upsert`` or ``replace`` (:mod:`layers.merge`); required when the
        layer exists, ignored when it does not.
    confirm
        Needed by ``replace`` of an existing layer (see the plan of a dry run).
    dry_run
        Check everything, write nothing; the report has the mapping, plan and first rows.
    column_map
        Header → field, over the alias table (:mod:`layers.io.headers`).
    region
        Expected lon/lat extent; features outside it are errors.
    **read_options
        Passed to :func:`layers.io.read_file` (``layer``, ``sheet``, ``crs``, ``lon``,
        ``lat``, ``x``, ``y``).

    Returns
    -------
    ImportReport
        Warnings included: repaired geometries, and points declared as WGS84 that look like
        GCJ-02/BD-09 (when the store has a ``roads`` layer around them; see
        :func:`layers.io.looks_shifted`).

    Raises
    ------
    LayerValidationError
        When any row is bad, listing every problem (unreadable coordinates and, in append
        mode, ids already stored included); the store is left unchanged.
    ImportModeError
        The layer exists and no (or an unknown) mode was given.
    ConfirmationRequiredError
        ``replace`` of an existing layer without ``confirm``; carries the plan.
    ConflictError
        The layer exists with another kind.
    PreconditionFailedError
        The layer changed while the file was read (nothing written; try again).
    LayerReadError
        When the file cannot be read at all, or ``column_map`` does not fit it.
    """
    if mode is not None and mode not in MODES:
        msg = (
            f"mode must be one of {', '.join(MODES)}, got {mode!r}"
            f" / 导入模式须为 {'、'.join(MODES)}"
        )
        raise ImportModeError(msg)
    path = Path(path)
    clean, report, mapping = _read_valid(path, kind, column_map, region, read_options)
    current = _current(store, name, kind, mode)
    crs = read_options.get("crs")
    if crs is None or isinstance(parse_crs(crs), CRS):  # declared WGS84 or another CRS
        report.warnings.extend(_shift_warnings(store, clean))
    existing = None if current is None else store.read(name)
    try:
        merged, plan = merge(existing, clean, kind=kind, mode=mode or "append")
    except LayerValidationError as exc:  # append: ids already stored
        raise LayerValidationError(
            kind, _locate(exc.problems, clean, path, mapping, kind)
        ) from None
    out = ImportReport(kind, report.rows, report.warnings, mapping, plan, _preview(clean))
    if dry_run:
        return out
    if current is not None and mode == "replace" and not confirm:
        msg = "\n".join(
            [
                f"replacing layer {name!r} needs confirmation (--yes)"
                f" / 替换图层 {name!r} 需要确认（--yes）",
                *plan.lines(),
            ]
        )
        raise ConfirmationRequiredError(msg, plan)
    how = f"import {path.name} ({mode or 'new'}) / 导入"
    expected = 0 if current is None else current.version
    out.written = store.write(name, merged, kind=kind, source=how, expected_version=expected)
    return out


def _current(store: Store, name: str, kind: str, mode: str | None) -> LayerInfo | None:
    """The stored layer ``name`` (``None`` when absent), checked against kind and mode."""
    if name not in store:
        return None
    info = store.info(name)
    if info.kind != kind:
        msg = (
            f"layer {name!r} holds {info.kind}, not {kind}; import under another name"
            f" / 图层 {name!r} 的类型是 {info.kind}，不是 {kind}，请换一个图层名"
        )
        raise ConflictError(msg)
    if mode is None:
        msg = (
            f"layer {name!r} already has {info.count} features (version {info.version});"
            " choose --mode append (add new ids), upsert (update by id, add the rest) or"
            " replace (drop what the file lacks; needs --yes)"
            f" / 图层 {name!r} 已有 {info.count} 个要素，请选择导入模式：append（追加）、"
            "upsert（按编号更新）或 replace（替换，需 --yes 确认）"
        )
        raise ImportModeError(msg)
    return info


def _read_valid(
    path: Path,
    kind: str,
    column_map: dict[str, str] | None,
    region: BBox,
    read_options: dict[str, Any],
) -> tuple[gpd.GeoDataFrame, ValidationReport, HeaderMapping]:
    """The file read, its headers mapped and its rows validated (or every problem raised)."""
    schema = get_schema(kind)
    frame, read_problems = read_with_problems(path, **read_options)
    if path.suffix.lower() in (".shp", ".zip"):
        frame = _restore_shapefile_names(frame, schema.field_names)
    headers = [str(c) for c in frame.columns if c != frame.geometry.name]
    mapping = map_headers(headers, kind, column_map=column_map, source=path.name)
    frame = frame.rename(columns=mapping.renames)
    try:
        clean, report = validate(frame, kind, region=region)
    except LayerValidationError as exc:
        problems = _merge(read_problems, exc.problems)
        raise LayerValidationError(kind, _locate(problems, frame, path, mapping, kind)) from None
    if read_problems:  # unreachable in practice: a row without geometry fails validation
        raise LayerValidationError(kind, _locate(read_problems, frame, path, mapping, kind))
    return clean, report, mapping


def _locate(
    problems: list[Problem],
    frame: gpd.GeoDataFrame,
    path: Path,
    mapping: HeaderMapping,
    kind: str,
) -> list[Problem]:
    """Problems with the row as a spreadsheet shows it, the row's id and the header."""
    table = path.suffix.lower() in TABLE_SUFFIXES
    id_field = get_schema(kind).id_field
    ids = frame[id_field] if id_field in frame.columns else None
    out = []
    for p in problems:
        record_id = None
        if ids is not None and p.row is not None and not pd.isna(ids.iloc[p.row]):
            record_id = str(ids.iloc[p.row])
        out.append(
            Problem(
                p.row,
                p.field,
                p.value,
                p.reason,
                p.severity,
                line=p.row + FIRST_DATA_LINE if table and p.row is not None else None,
                record_id=record_id,
                column=mapping.header_of(p.field),
            )
        )
    return out


def _preview(clean: gpd.GeoDataFrame) -> pd.DataFrame:
    first = clean.head(PREVIEW_ROWS)
    table = pd.DataFrame(first.drop(columns=first.geometry.name))
    geoms = first.geometry.to_numpy()
    if len(geoms) and bool((shapely.get_type_id(geoms) == 0).all()):
        table["lon"], table["lat"] = shapely.get_x(geoms), shapely.get_y(geoms)
    return table


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
