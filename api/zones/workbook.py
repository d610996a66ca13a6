"""The zones workbook (``mzgis zones solve --out plan.xlsx``, ``mzgis zones export``): one
file with the summary (stations, units, band, solve status and gap, validation, Beijing time,
store), the zones (each station's workload against its band, with its name and the zone's
centre) and the assignment of every unit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from layers.io.sheets import (
    Column,
    Lang,
    Sheet,
    add_lonlat,
    has_estimates,
    summary_sheet,
    write_workbook,
)

if TYPE_CHECKING:
    from geo.zones import ZonePlan, ZoneReport
    from layers.store import Store

__all__ = ["store_labels", "write_zones"]

_BAND = {"ok": "区间内 ok", "over": "超负荷 over", "under": "欠负荷 under"}


def write_zones(
    plan: ZonePlan,
    path: Path,
    *,
    names: dict[str, str] | None = None,
    store: str = "",
    estimated: bool = False,
    lang: Lang = "zh",
    crs: str = "wgs84",
) -> Path:
    """Write the plan as one workbook; ``names`` gives station and unit names by id,
    ``estimated`` whether its inputs hold estimated values (:func:`store_labels`)."""
    names = names or {}
    report = plan.validate()
    stations = report.stations.copy()
    stations["name"] = stations["station_id"].astype(str).map(names)
    stations["band"] = stations["band"].map(_BAND)
    stations["load"] = stations["workload"] / stations["capacity"].replace(0, np.nan)
    centres = shapely.points(_centres(plan, stations["station_id"]))
    lonlat = add_lonlat(stations, centres, crs=crs, zh="片区中心", en="zone centre ")
    units = plan.assignment_table()
    units["unit_name"] = units["unit_id"].astype(str).map(names)
    units["station_name"] = units["station_id"].astype(str).map(names)
    units["locked"] = units["locked"].map({True: "是 yes", False: ""})
    sheets = [
        _summary(plan, report, store, estimated=estimated),
        Sheet("片区", "zones", stations, [
            Column("station_id", "驿站编号", "station id"),
            Column("name", "驿站名称", "station name"),
            Column("street", "街道", "street"),
            Column("n_units", "单元数", "units", fmt="int"),
            Column("workload", "工作量", "workload", fmt="float"),
            Column("capacity", "服务能力", "capacity", fmt="float"),
            Column("load", "负荷率", "load", "%", fmt="percent"),
            Column("lower", "区间下限", "band lower", fmt="float"),
            Column("upper", "区间上限", "band upper", fmt="float"),
            Column("band", "区间", "band"),
            Column("pieces", "片数", "pieces", fmt="int"),
            Column("longest_walk_m", "最远距离", "longest walk", "m", fmt="metres"),
            Column("mean_walk_m", "平均距离", "mean walk", "m", fmt="metres"),
            *lonlat,
        ]),
        Sheet("分配", "assignment", units, [
            Column("unit_id", "单元编号", "unit id"),
            Column("unit_name", "单元名称", "unit name"),
            Column("station_id", "驿站编号", "station id"),
            Column("station_name", "驿站名称", "station name"),
            Column("street", "街道", "street"),
            Column("workload", "工作量", "workload", fmt="float"),
            Column("walk_m", "距离", "distance", "m", fmt="metres"),
            Column("locked", "锁定", "locked"),
        ]),
    ]  # fmt: skip
    return write_workbook(sheets, path, lang=lang)


def _centres(plan: ZonePlan, station_ids: pd.Series) -> np.ndarray:
    """Lon/lat of the centre of each station's zone (NaN without geometry or units)."""
    out = np.full((len(station_ids), 2), np.nan)
    geometry = plan.problem.unit_geometry
    if geometry is None:
        return out
    lonlat = geometry.to_crs(4326).to_numpy()
    index = {s: i for i, s in enumerate(plan.problem.station_ids)}
    for row, station in enumerate(station_ids):
        members = lonlat[plan.assignment == index[station]]
        if len(members):
            centre = shapely.centroid(shapely.union_all(members))
            out[row] = shapely.get_x(centre), shapely.get_y(centre)
    return out


def store_labels(store: Store, layers: tuple[str, ...]) -> tuple[dict[str, str], bool]:
    """Names by id of the features of ``layers`` (stations, units) and whether any of them
    holds estimated values."""
    from layers.schema import SCHEMAS

    names: dict[str, str] = {}
    estimated = False
    for info in (i for i in store.layers() if i.name in layers):
        frame = store.read(info.name)
        id_field = SCHEMAS[info.kind].id_field
        if {"name", id_field} <= set(frame.columns):
            names |= dict(zip(frame[id_field].astype(str), frame["name"].astype(str), strict=True))
        estimated |= has_estimates(frame)
    return names, estimated


def _summary(plan: ZonePlan, report: ZoneReport, store: str, *, estimated: bool) -> Sheet:
    p, info = plan.problem, plan.info
    stations = report.stations
    in_band = int((stations["band"] == "ok").sum())
    rows = [
        ("驿站数", "stations", len(p.station_ids)),
        ("单元数", "units", len(p.unit_ids)),
        ("区间内驿站", "stations in band", f"{in_band} / {len(stations)}"),
        ("跨街道", "crossing streets allowed", "是 yes" if p.allow_cross_street else "否 no"),
        ("方案版本", "plan version", plan.version),
    ]
    if info is not None:
        rows += [
            ("求解方法", "method", info.method),
            ("目标值", "objective", info.cost),
            ("最优性差距", "gap", f"{info.gap:.2%}" if np.isfinite(info.gap) else ""),
        ]
    return summary_sheet("责任片区 responsibility zones", rows, store=store, estimated=estimated)
