"""What the zones commands print and write: the workload table, the validation summary,
and a plan written to a file (``mzgis zones solve --out``, ``mzgis zones export``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli_common import console

if TYPE_CHECKING:
    from geo.zones import ZonePlan, ZoneReport
    from layers.store import Store

__all__ = ["TABLE_SUFFIXES", "print_report", "print_workload", "write_plan"]

#: file suffixes written as plain tables (geometry as a representative point)
TABLE_SUFFIXES = (".csv", ".xlsx")

#: report fields listed in the summary: (attribute, English, Chinese)
_PROBLEMS = (
    ("unassigned", "unassigned units", "未分配单元"),
    ("duplicated", "units assigned twice", "重复分配单元"),
    ("unknown_units", "unknown units", "未知单元"),
    ("unknown_stations", "unknown stations", "未知驿站"),
    ("broken_locks", "locked units moved", "锁定单元被移动"),
    ("overloaded", "overloaded stations", "超负荷驿站"),
    ("underloaded", "underloaded stations", "欠负荷驿站"),
    ("fragmented", "zones in pieces", "片区不连通"),
    ("homes_outside", "stations outside their zone", "驿站不在本片区内"),
    ("crossing", "zones crossing streets", "片区跨街道"),
)
#: report fields printed for information only: (attribute, English, Chinese)
_FACTS = (("hosting", "zones hosting streets without a station", "接纳无驿站街道的片区"),)


def write_plan(
    plan: ZonePlan,
    out: Path,
    *,
    store: Store | None = None,
    layers: tuple[str, ...] = (),
    crs: str = "wgs84",
) -> list[Path]:
    """Write the zone polygons and the assignment (one row per unit). An XLSX is one
    workbook for people (:mod:`api.zones.workbook`, with names from ``layers`` of
    ``store``); a GeoPackage gets two layers (``zones``, ``assignment``); any other format
    gets the zones in ``out`` and the assignment beside it (``<stem>_assignment<suffix>``,
    at a point inside each unit for CSV). Coordinates in ``crs`` (``gcj02``/``bd09`` for
    高德/百度)."""
    import geopandas as gpd

    from api.zones.workbook import store_labels, write_zones
    from layers.coords import from_wgs84_frame
    from layers.io import write_file

    geometry = plan.problem.unit_geometry
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        names, estimated = ({}, False) if store is None else store_labels(store, layers)
        url = "" if store is None else store.url
        return [write_zones(plan, out, names=names, store=url, estimated=estimated, crs=crs)]
    if geometry is not None and suffix in TABLE_SUFFIXES:
        geometry = geometry.representative_point()
    assignment = gpd.GeoDataFrame(
        plan.assignment_table(),
        geometry=None if geometry is None else list(geometry.values),
        crs=None if geometry is None else geometry.crs,
    )
    zones = plan.zones_gdf()
    if crs != "wgs84":
        zones = from_wgs84_frame(zones, crs)
        if assignment.geometry.name in assignment and geometry is not None:
            assignment = from_wgs84_frame(assignment, crs)
    if suffix == ".gpkg":
        write_file(zones, out, layer="zones")
        write_file(assignment, out, layer="assignment")
        return [out]
    target = out.with_name(f"{out.stem}_assignment{out.suffix}")
    return [write_file(zones, out, layer="zones"), write_file(assignment, target)]


def _cell(value: float, spec: str = ",.0f") -> str:
    return format(value, spec) if math.isfinite(value) else "–"


def print_workload(report: ZoneReport, *, top: int | None = None) -> None:
    """A rich table of stations, the most overloaded first (workload / capacity)."""
    from rich.table import Table

    s = report.stations
    ratio = s["workload"] / s["capacity"].where(s["capacity"] > 0)
    order = s.assign(_ratio=ratio.fillna(0.0)).sort_values("_ratio", ascending=False)
    table = Table(title="workload by station / 各驿站工作量（超负荷在前）")
    for name, justify in (
        ("station\n驿站", "left"),
        ("capacity\n能力", "right"),
        ("band\n区间", "right"),
        ("workload\n工作量", "right"),
        ("load\n负荷", "right"),
        ("units\n单元", "right"),
        ("state\n状态", "left"),
        ("walk m\n最远步行", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    rows = order if top is None else order.head(top)
    for row in rows.to_dict(orient="records"):
        table.add_row(
            str(row["station_id"]),
            _cell(float(row["capacity"])),
            f"{_cell(float(row['lower']))}–{_cell(float(row['upper']))}",
            _cell(float(row["workload"])),
            _cell(float(row["_ratio"]), ".0%"),
            str(int(row["n_units"])),
            str(row["band"]),
            _cell(float(row["longest_walk_m"])),
        )
    console().print(table)


def print_report(report: ZoneReport) -> None:
    """One line per kind of problem (with up to ten ids), then OK or not."""
    out = console()
    for attr, en, zh in (*_PROBLEMS, *_FACTS):
        ids = getattr(report, attr)
        if not ids:
            continue
        shown = ", ".join(str(i) for i in list(ids)[:10]) + (" …" if len(ids) > 10 else "")
        out.print(f"{en} / {zh}: {len(ids)} ({shown})", markup=False)
    if report.ok:
        out.print("plan OK / 方案无问题", markup=False)
    else:
        out.print("plan has problems / 方案存在问题", markup=False)
