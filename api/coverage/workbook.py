"""The coverage workbook: what people read after ``mzgis coverage --out coverage.xlsx``.

Sheets: the summary (facilities, demand, mode, radius or tiers, date in Beijing time, store,
estimated-data notice), the totals per weight and tier, the roll-up by street (or district)
with names beside codes, every community with its nearest facility (id and name) and walk,
and the gaps ranked by uncovered elderly. Shares are formatted as percentages, distances as
whole metres; every table is written by :mod:`layers.io.sheets`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import shapely

from layers.io.sheets import (
    Column,
    Lang,
    Sheet,
    add_lonlat,
    has_estimates,
    summary_sheet,
    write_csv,
    write_workbook,
)
from layers.schema import SCHEMAS

if TYPE_CHECKING:
    from api.coverage.service import CoverageRun

__all__ = ["coverage_sheets", "write_coverage"]

#: the counts shown, in this order, when the run carried them
SHOWN_WEIGHTS = ("elderly_60_plus", "population", "elderly_80_plus", "basic_recipients")
_LEVELS = {"street": ("街道", "streets", "streets"), "district": ("区县", "districts", "districts")}


def write_coverage(
    run: CoverageRun,
    path: Path,
    *,
    level: str,
    names: dict[str, str],
    store: str,
    lang: Lang = "zh",
    crs: str = "wgs84",
) -> Path:
    """The workbook (``.xlsx``) or the per-community table (``.csv``); lon/lat in ``crs``."""
    sheets = coverage_sheets(run, level=level, names=names, store=store, crs=crs)
    if path.suffix.lower() == ".csv":
        return write_csv(sheets[3], path, lang=lang)
    return write_workbook(sheets, path, lang=lang)


def coverage_sheets(
    run: CoverageRun, *, level: str, names: dict[str, str], store: str, crs: str = "wgs84"
) -> list[Sheet]:
    """Summary, totals, roll-up, communities and gaps."""
    result = run.result
    weights = [w for w in SHOWN_WEIGHTS if w in result.weights] or ["count"]
    estimated = has_estimates(result.demand)
    facility_names = _facility_names(run)
    return [
        _summary(run, level=level, store=store, estimated=estimated),
        _totals(run, weights),
        _rollup(run, weights, level=level, names=names),
        _units(run, weights, facility_names, names, crs),
        _gaps(run, facility_names, names),
    ]


def _weight_label(weight: str) -> tuple[str, str]:
    spec = SCHEMAS["communities"].get_field(weight)
    return ("社区数", "communities") if spec is None else (spec.zh, spec.en)


def _tiers(run: CoverageRun) -> list[tuple[float, str]]:
    from geo.coverage import tier_label

    return [(r, tier_label(r)) for r in run.result.tiers_m]


def _summary(run: CoverageRun, *, level: str, store: str, estimated: bool) -> Sheet:
    result = run.result
    kind = SCHEMAS.get(result.kind or "")
    mode = "步行距离 walking network" if result.mode == "network" else "直线距离 straight line"
    tiers = "、".join(label for _, label in _tiers(run))
    rows = [
        ("设施图层", "facilities", f"{run.facilities_layer}（{kind.zh if kind else ''}）"),
        ("需求图层", "demand", run.demand_layer),
        ("距离", "distance", mode),
        ("服务半径 / 分级", "radius / tiers (m)", tiers),
        ("汇总层级", "roll-up level", level),
        ("设施数", "facilities", len(result.facilities)),
        ("需求单元数", "demand units", len(result.demand)),
        *((note, "note", "") for note in run.notes),
    ]
    return summary_sheet("设施覆盖分析 coverage", rows, store=store, estimated=estimated)


def _totals(run: CoverageRun, weights: list[str]) -> Sheet:
    summary = run.result.summary()["weights"]
    rows = []
    for w in weights:
        zh, en = _weight_label(w)
        for label, tier in summary[w]["tiers"].items():
            rows.append(
                {
                    "weight": f"{zh} {en}",
                    "tier": label,
                    "total": summary[w]["total"],
                    "covered": tier["covered"],
                    "share": tier["share"],
                }
            )
    columns = [
        Column("weight", "人群", "group"),
        Column("tier", "服务半径", "radius"),
        Column("total", "总数", "total", "人", "persons", fmt="int"),
        Column("covered", "覆盖人数", "covered", "人", "persons", fmt="int"),
        Column("share", "覆盖率", "covered share", "%", fmt="percent"),
    ]
    return Sheet("合计", "totals", pd.DataFrame(rows), columns)


def _share_columns(run: CoverageRun, weights: list[str]) -> list[Column]:
    columns = []
    for w in weights:
        zh, en = _weight_label(w)
        columns.append(Column(w, zh, en, "人" if w != "count" else "个", fmt="int"))
        for _, label in _tiers(run):
            key = f"{w}_covered_share_{label}"
            columns.append(Column(key, f"{zh}覆盖率 ≤{label}", f"{en} covered ≤ {label}", "%",
                                  fmt="percent"))  # fmt: skip
    return columns


def _rollup(run: CoverageRun, weights: list[str], *, level: str, names: dict[str, str]) -> Sheet:
    zh, en, _ = _LEVELS.get(level, _LEVELS["street"])
    table = run.result.rollup(level if level in _LEVELS else "street", geometry=False)
    code = table.columns[0]
    frame = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
    frame.insert(1, "division_name", frame[code].astype(str).map(names))
    columns = [
        Column(code, f"{zh}代码", f"{en[:-1]} code"),
        Column("division_name", f"{zh}名称", f"{en[:-1]} name"),
        Column("units", "社区数", "communities", fmt="int"),
        *_share_columns(run, weights),
    ]
    return Sheet(f"按{zh}", f"by {en[:-1]}", frame, columns)


def _units(
    run: CoverageRun,
    weights: list[str],
    facilities: dict[str, str],
    names: dict[str, str],
    crs: str,
) -> Sheet:
    demand = run.result.demand
    frame = pd.DataFrame(demand.drop(columns=demand.geometry.name))
    frame["street_name"] = frame.get("street_code", pd.Series(dtype=str)).astype(str).map(names)
    frame["facility_name"] = frame["facility_id"].astype(str).map(facilities)
    centres = shapely.centroid(demand.geometry.to_crs(4326).to_numpy())
    lonlat = add_lonlat(frame, centres, crs=crs, zh="中心", en="centre ")
    walk = "步行距离" if run.result.mode == "network" else "直线距离"
    columns = [
        Column("code", "社区代码", "community code"),
        Column("name", "社区名称", "community name"),
        Column("street_code", "街道代码", "street code"),
        Column("street_name", "街道名称", "street name"),
        Column("facility_id", "最近设施编号", "nearest facility id"),
        Column("facility_name", "最近设施名称", "nearest facility name"),
        Column("distance_m", f"{walk}", "distance", "m", fmt="metres"),
        *_share_columns(run, weights),
        *lonlat,
    ]
    present = [c for c in columns if c.key in frame.columns]
    return Sheet("社区", "communities", frame, present)


def _gaps(run: CoverageRun, facilities: dict[str, str], names: dict[str, str]) -> Sheet:
    from geo.coverage import tier_label

    weight = next(
        (w for w in ("elderly_60_plus", "population") if w in run.result.weights), "count"
    )
    gaps = pd.DataFrame(run.result.gaps(by=weight).drop(columns="geometry", errors="ignore"))
    gaps["street_name"] = gaps.get("street_code", pd.Series(dtype=str)).astype(str).map(names)
    gaps["facility_name"] = gaps["facility_id"].astype(str).map(facilities)
    label = tier_label(run.result.radius_m)
    zh, en = _weight_label(weight)
    columns = [
        Column("rank", "排名", "rank", fmt="int"),
        Column("code", "社区代码", "community code"),
        Column("name", "社区名称", "community name"),
        Column("street_name", "街道名称", "street name"),
        Column(
            f"{weight}_uncovered_{label}",
            f"{zh}未覆盖 >{label}",
            f"{en} uncovered > {label}",
            "人",
            "persons",
            fmt="int",
        ),
        Column("distance_m", "到最近设施", "to the nearest facility", "m", fmt="metres"),
        Column("facility_name", "最近设施名称", "nearest facility name"),
    ]
    present = [c for c in columns if c.key in gaps.columns]
    return Sheet("缺口", "gaps", gaps, present)


def _facility_names(run: CoverageRun) -> dict[str, str]:
    frame = run.result.facilities
    if "name" not in frame.columns:
        return {}
    ids = [str(i) for i in run.result.facility_ids]
    return dict(zip(ids, frame["name"].astype(str), strict=True))
