"""The siting workbook (``mzgis site --out sites.xlsx``): one file with the summary (problem,
radius, layers, status and gap, coverage before and after, Beijing time, store), the open
sites with their names, the gain curve, the demand with its coverage, and the assignment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from api.siting.output import assignment_frame, demand_frame, gains_frame, sites_frame
from api.siting.service import SitingRun
from layers.io.sheets import (
    Column,
    Lang,
    Sheet,
    add_lonlat,
    has_estimates,
    summary_sheet,
    write_workbook,
)

__all__ = ["siting_sheets", "write_siting"]

_STATUS = {"existing": "现有 existing", "new": "新建 new"}
_COVERAGE = {"before": "原已覆盖 before", "new": "新增覆盖 new", "none": "未覆盖 none"}


def write_siting(
    run: SitingRun, path: Path, *, store: str, lang: Lang = "zh", crs: str = "wgs84"
) -> Path:
    return write_workbook(siting_sheets(run, store=store, crs=crs), path, lang=lang)


def siting_sheets(run: SitingRun, *, store: str, crs: str = "wgs84") -> list[Sheet]:
    """Summary, sites, gains, demand and assignment (lon/lat in ``crs``)."""
    sites, lonlat = _with_lonlat(sites_frame(run), crs)
    sites["site_status"] = sites["site_status"].map(_STATUS)
    names = dict(zip(sites["facility_id"], sites["name"].astype(str), strict=True))
    points = demand_frame(run).assign(geometry=lambda f: f.representative_point())
    demand, _ = _with_lonlat(points, crs)
    demand["coverage"] = demand["coverage"].map(_COVERAGE)
    demand["facility_name"] = demand["facility_id"].map(names)
    gains = gains_frame(run)
    gains["name"] = gains["facility_id"].map(names)
    assignment = pd.DataFrame(assignment_frame(run).drop(columns="geometry"))
    assignment["facility_name"] = assignment["facility_id"].map(names)
    weight = ("需求", "demand", "人", "persons")
    return [
        _summary(run, store),
        Sheet("选址结果", "sites", sites, [
            Column("facility_id", "设施编号", "site id"),
            Column("name", "名称", "name"),
            Column("site_status", "类型", "status"),
            Column("rank", "新建顺序", "order of gain", fmt="int"),
            Column("gain", "新增覆盖", "gain", *weight[2:], fmt="int"),
            Column("assigned_weight", "分配需求", "assigned demand", *weight[2:], fmt="int"),
            *lonlat,
        ]),
        Sheet("增益曲线", "gain curve", gains, [
            Column("rank", "顺序", "rank", fmt="int"),
            Column("facility_id", "设施编号", "site id"),
            Column("name", "名称", "name"),
            Column("gain", "新增覆盖", "gain", *weight[2:], fmt="int"),
            Column("covered", "累计覆盖", "covered", *weight[2:], fmt="int"),
            Column("covered_share", "累计覆盖率", "covered share", "%", fmt="percent"),
        ]),
        Sheet("需求", "demand", demand, [
            Column("demand_id", "需求编号", "demand id"),
            Column("name", "名称", "name"),
            Column("weight", "需求量", "demand", *weight[2:], fmt="int"),
            Column("facility_id", "服务设施编号", "serving site id"),
            Column("facility_name", "服务设施名称", "serving site name"),
            Column("distance_m", "距离", "distance", "m", fmt="metres"),
            Column("coverage", "覆盖情况", "coverage"),
            *lonlat,
        ]),
        Sheet("分配", "assignment", assignment, [
            Column("demand_id", "需求编号", "demand id"),
            Column("facility_id", "设施编号", "site id"),
            Column("facility_name", "设施名称", "site name"),
            Column("distance_m", "距离", "distance", "m", fmt="metres"),
            Column("weight", "需求量", "demand", *weight[2:], fmt="int"),
            Column("share", "分配比例", "share", "%", fmt="percent"),
        ]),
    ]  # fmt: skip


def _with_lonlat(frame: gpd.GeoDataFrame, crs: str) -> tuple[pd.DataFrame, list[Column]]:
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    columns = add_lonlat(out, frame.geometry.to_crs(4326).to_numpy(), crs=crs)
    return out, columns


def _summary(run: SitingRun, store: str) -> Sheet:
    r, req = run.result, run.request
    summary = r.summary()
    total = r.total_weight or 1.0
    gap = summary.get("gap")
    rows = [
        ("问题", "problem", req.problem),
        ("新建数 p", "new sites p", req.p if req.p is not None else r.n_new),
        ("服务半径（m）", "service radius (m)", req.service_radius_m),
        ("需求图层", "demand layer", req.demand_layer),
        ("需求权重", "demand weight", req.weight_col or "1"),
        ("现有设施图层", "existing layer", req.existing_layer or ""),
        ("距离", "distance", "步行 walking" if run.mode == "network" else "直线 straight line"),
        ("求解状态", "status", r.status),
        ("目标值", "objective", r.objective),
        ("最优性差距", "gap", "" if gap is None else f"{gap:.2%}"),
        ("覆盖率（原）", "covered before", f"{r.covered_before / total:.1%}"),
        ("覆盖率（新）", "covered after", f"{r.covered_after / total:.1%}"),
        *((note, "note", "") for note in run.notes),
    ]
    estimated = has_estimates(run.inputs.demand)
    return summary_sheet("设施选址 siting", rows, store=store, estimated=estimated)
