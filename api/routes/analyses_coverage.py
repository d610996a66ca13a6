"""``POST /analyses/coverage``: who is within reach of a facility layer, at one radius or
at tiered standards, by walking distance or straight line, rolled up by community, street
and district, with the gaps ranked, service areas and 2SFCA accessibility on request.

Walking distances use the network of the store (:class:`api.coverage_service.NetworkCache`
on ``app.state.networks``: loaded from beside the GeoPackage, else built from its ``roads``
layer once per process). Like ``/collections`` and ``/analyses/siting``, the route is open
to every client of the service: this version has no sign-in on its read and analysis paths.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import read_access
from api.coverage_service import (
    MAX_RADIUS_M,
    CoverageRun,
    FcaSpec,
    NetworkCache,
    check_tiers,
    records,
    run_coverage,
)
from api.deps import StoreDep
from api.errors import ERROR_RESPONSES, ErrorBody, InvalidBodyError
from api.geojson import feature_collection
from geo.network import Network
from layers.store import Store

__all__ = [
    "CoverageRequest",
    "CoverageResponse",
    "FcaOptions",
    "app_network",
    "coverage_answer",
    "router",
]

router = APIRouter(
    prefix="/analyses",
    tags=["analyses"],
    dependencies=[Depends(read_access)],  # public unless MZGIS_PUBLIC_READ=false
)

Level = Literal["community", "street", "district"]
Radius = Annotated[float, Field(gt=0, le=MAX_RADIUS_M)]
Name = Annotated[str, Field(min_length=1, max_length=128)]


def _default_levels() -> list[Level]:
    return ["street", "district"]


class FcaOptions(BaseModel):
    """2SFCA: supply per unit of demand within reach (e.g. meals per day per elderly)."""

    model_config = ConfigDict(extra="forbid")

    supply: Name = Field(description="Supply column of the facilities / 设施供给字段")
    weight: Name = Field(
        "elderly_60_plus", description="Demand column of the demand layer / 需求人数字段"
    )
    radius_m: Radius | None = Field(
        None, description="Catchment radius (default: the service radius) / 服务半径（米）"
    )


class CoverageRequest(BaseModel):
    """What to measure: the facility layer, the demand layer, the radius or tiers, the
    mode, and which parts of the answer to send."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"facilities": "stations", "tiers_m": [300, 500, 1000]}]},
    )

    facilities: Name = Field(description="Facility layer, e.g. stations / 设施图层")
    demand: Name = Field("communities", description="Demand layer / 需求图层")
    radius_m: Radius | None = Field(None, description="One service radius (m) / 服务半径（米）")
    tiers_m: list[Radius] | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="Tiered radii, increasing (default: the kind's standard) / 分级服务半径",
    )
    mode: Literal["network", "euclidean"] = Field(
        "network", description="Walking distance or straight line / 步行距离或直线距离"
    )
    weights: list[Name] | None = Field(
        None, max_length=20, description="Demand counts to roll up / 汇总的人数字段"
    )
    status: list[Name] | None = Field(
        None, description="Keep facilities with these status values / 仅统计这些状态的设施"
    )
    levels: list[Level] = Field(
        default_factory=_default_levels,
        max_length=3,
        description="Roll-up levels / 汇总层级",
    )
    gaps: int = Field(20, ge=0, le=10_000, description="How many gaps to rank / 缺口排名条数")
    gap_level: Level = Field("community", description="Level of the gaps / 缺口层级")
    per_demand: Literal["none", "table", "geojson"] = Field(
        "table", description="Per-demand results: none, rows or GeoJSON / 逐单元结果格式"
    )
    service_areas: bool = Field(False, description="Include service areas / 附带服务范围")
    areas_how: Literal["each", "nearest"] = Field(
        "nearest", description="One area per facility, or tiled by nearest / 服务范围划分方式"
    )
    fca: FcaOptions | None = Field(None, description="2SFCA accessibility / 两步移动搜索法")

    def check(self) -> None:
        """The rules between fields (bilingual, naming the field; pydantic's own messages
        cover single fields)."""
        if self.radius_m is not None and self.tiers_m is not None:
            en = "give radius_m or tiers_m, not both"
            raise InvalidBodyError("radius_m", self.radius_m, en, "服务半径与分级半径只能给一个")
        if self.tiers_m is not None:
            check_tiers(self.tiers_m)


class CoverageResponse(BaseModel):
    """The answer: totals, roll-ups, ranked gaps, per-demand results, service areas."""

    facilities: str
    demand: str
    summary: dict[str, Any]
    network: dict[str, Any] | None = Field(description="Build report of the walking network")
    rollups: dict[str, list[dict[str, Any]]]
    gaps: list[dict[str, Any]]
    per_demand: list[dict[str, Any]] | dict[str, Any] | None
    service_areas: dict[str, Any] | None
    accessibility: dict[str, Any] | None
    notes: list[str]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": (
            "Unknown layer or column, bad radius or tiers, empty or non-point facility set, "
            "radius beyond the walking network / 图层或字段不存在、半径无效、设施为空或非点要素、"
            "半径超出路网范围"
        ),
    },
    503: ERROR_RESPONSES[503],
}


def app_network(request: Request, store: Store) -> Network:
    """The walking network of the app's store, from the app's :class:`NetworkCache`."""
    cache: NetworkCache | None = getattr(request.app.state, "networks", None)
    if cache is None:  # an app not made by create_app
        cache = request.app.state.networks = NetworkCache()
    return cache.get(store)


def _geojson(gdf: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(feature_collection(gdf))
    return parsed


def _accessibility(run: CoverageRun, levels: list[Level]) -> dict[str, Any] | None:
    access = run.accessibility
    if access is None:
        return None
    table = access.demand
    people = float(table[access.weight].fillna(0).sum())
    handed = float(table["supply_reached"].sum())
    summary = {
        "supply": access.supply,
        "weight": access.weight,
        "radius_m": access.radius_m,
        "supply_reached": handed,
        "accessibility": handed / people if people > 0 else None,
    }
    return {
        "summary": summary,
        "rollups": {level: records(access.rollup(level)) for level in levels},
        "per_demand": records(table),
    }


def coverage_answer(run: CoverageRun, body: CoverageRequest) -> CoverageResponse:
    """Shape a run into the response of ``body``."""
    result = run.result
    per_demand: list[dict[str, Any]] | dict[str, Any] | None = None
    if body.per_demand == "table":
        per_demand = records(result.demand)
    elif body.per_demand == "geojson":
        per_demand = _geojson(result.demand)
    areas = None
    notes = list(run.notes)
    if body.service_areas:
        how = body.areas_how
        if how == "nearest" and result.mode == "euclidean":  # circles: Voronoi split fails
            how = "each"  # on facilities sharing a position
            notes.append("straight-line service areas are whole circles / 直线模式服务范围为完整圆")
        areas = _geojson(result.service_areas(how=how))
    gaps = result.gaps(level=body.gap_level).head(body.gaps)
    return CoverageResponse(
        facilities=run.facilities_layer,
        demand=run.demand_layer,
        summary=result.summary(),
        network=run.network.report.to_dict() if run.network is not None else None,
        rollups={lv: records(result.rollup(lv, geometry=False)) for lv in body.levels},
        gaps=records(gaps),
        per_demand=per_demand,
        service_areas=areas,
        accessibility=_accessibility(run, body.levels),
        notes=notes,
    )


@router.post(
    "/coverage",
    response_model=CoverageResponse,
    summary="Coverage: who is within reach of a facility / 覆盖分析",
    responses=_RESPONSES,
)
def coverage_analysis(request: Request, store: StoreDep, body: CoverageRequest) -> CoverageResponse:
    """Coverage of the demand layer by the facility layer: totals per tier, roll-ups by
    level (covered + uncovered = total), gaps ranked by uncovered elderly, per-demand
    results, and on request service areas (GeoJSON) and 2SFCA accessibility."""
    body.check()
    fca = body.fca
    run = run_coverage(
        store,
        facilities=body.facilities,
        demand=body.demand,
        radius_m=body.radius_m,
        tiers_m=body.tiers_m,
        mode=body.mode,
        weights=body.weights,
        status=body.status,
        fca=FcaSpec(fca.supply, fca.weight, fca.radius_m) if fca is not None else None,
        network=lambda: app_network(request, store),
    )
    return coverage_answer(run, body)
