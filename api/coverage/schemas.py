"""Request and response bodies of ``POST /analyses/coverage``.

Each field is checked here, once, at the edge: radii positive and at most
:data:`MAX_RADIUS_M`, tiers strictly increasing, one radius or tiers (not both). Names of
layers and columns are checked against the store by :mod:`api.coverage.service`.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from api.schemas import Name, StrictModel

__all__ = ["MAX_RADIUS_M", "CoverageRequest", "CoverageResponse", "FcaOptions", "Level"]

#: the largest radius an analysis accepts (a walk of about 4 hours)
MAX_RADIUS_M = 20_000.0

Level = Literal["community", "street", "district"]
Radius = Annotated[float, Field(gt=0, le=MAX_RADIUS_M)]


def _default_levels() -> list[Level]:
    return ["street", "district"]


class FcaOptions(StrictModel):
    """2SFCA: supply per unit of demand within reach (e.g. meals per day per elderly)."""

    supply: Name = Field(description="Supply column of the facilities / 设施供给字段")
    weight: Name = Field(
        "elderly_60_plus", description="Demand column of the demand layer / 需求人数字段"
    )
    radius_m: Radius | None = Field(
        None, description="Catchment radius (default: the service radius) / 服务半径（米）"
    )


class CoverageRequest(StrictModel):
    """What to measure: the facility layer, the demand layer, the radius or tiers, the
    mode, and which parts of the answer to send."""

    model_config = ConfigDict(
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

    @field_validator("tiers_m")
    @classmethod
    def _tiers(cls, tiers: list[float] | None, info: ValidationInfo) -> list[float] | None:
        if tiers is None:
            return tiers
        if info.data.get("radius_m") is not None:
            msg = "give radius_m or tiers_m, not both / 服务半径与分级半径只能给一个"
            raise ValueError(msg)
        if any(b <= a for a, b in itertools.pairwise(tiers)):
            msg = "tiers must be strictly increasing, e.g. 300,500,1000 / 分级服务半径须严格递增"
            raise ValueError(msg)
        return tiers


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
    network_suspects: list[dict[str, Any]] | None = Field(
        default=None,
        description=(
            "Walking runs: units within 1 km of a facility in straight line whose nearest"
            " facility on foot is more than 3× as far, likely across a gap in the walking"
            " network / 步行模式：距设施直线 1 公里内、步行最近设施距离超过直线 3 倍的单元，"
            "多因路网缺口"
        ),
    )
    notes: list[str]
