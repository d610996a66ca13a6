"""Request and response bodies of ``POST /analyses/siting`` (also the options of
``mzgis site`` and of the ``/maps/siting`` page).

A request names layers of the store: the demand (communities weighted by elderly 60+ by
default), the candidate sites (a layer, or generated on a grid or along the roads and
thinned by exclusion rules) and the existing facilities (fixed open). Sizes are checked
here; the rules between fields (``p`` with the problem, the cutoff with the radius) and
whether the named layers and columns exist are checked by :mod:`api.siting.service`, which
names the field at fault.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from api.schemas import StrictModel

__all__ = [
    "MAX_TIME_LIMIT_S",
    "AssignmentRow",
    "CandidateSpec",
    "Coverage",
    "GainRow",
    "Problem",
    "Setback",
    "SitingRequest",
    "SitingResponse",
]

Problem = Literal["lscp", "mclp", "pmedian", "pcenter"]
Mode = Literal["euclidean", "network"]
LayerName = Annotated[str, Field(min_length=1, max_length=128, examples=["meal_points"])]
ColumnName = Annotated[str, Field(min_length=1, max_length=128)]
#: the longest a request may let the solver run
MAX_TIME_LIMIT_S = 120.0
#: the largest distance any request may measure (metres)
MAX_DISTANCE_M = 50_000.0
#: the default distance cutoff of p-median and p-center (they assign only within it)
DEFAULT_MEDIAN_CUTOFF_M = 5_000.0


class Setback(StrictModel):
    """Keep candidates at least ``setback_m`` away from every feature of ``layer``."""

    layer: LayerName = Field(description="Layer to keep away from / 需避让的图层")
    setback_m: float = Field(gt=0, le=MAX_DISTANCE_M, description="Setback, m / 避让距离（米）")


class CandidateSpec(StrictModel):
    """Where new sites may go: a layer, or points generated on a grid inside ``area_layer``
    or along ``roads_layer``; then the exclusion rules, in this order."""

    source: Literal["layer", "grid", "network"] = Field(
        default="grid", description="layer / grid / network (along roads) / 候选点来源"
    )
    layer: LayerName | None = Field(
        default=None, description="Candidate layer (source=layer) / 候选图层"
    )
    area_layer: LayerName = Field(
        default="districts", description="Area of the grid / 网格范围图层"
    )
    spacing_m: float = Field(
        default=400.0,
        ge=25,
        le=10_000,
        description="Grid spacing, m (source=grid) / 网格间距（米）",
    )
    roads_layer: LayerName = Field(
        default="roads", description="Road lines (source=network) / 道路图层"
    )
    every_m: float = Field(
        default=200.0,
        ge=10,
        le=10_000,
        description="Spacing along roads, m (source=network) / 沿路间距",
    )
    exclude_within: list[LayerName] = Field(
        default_factory=list,
        max_length=10,
        description="Drop candidates inside these layers' polygons / 排除落在这些面图层内的候选点",
    )
    setbacks: list[Setback] = Field(
        default_factory=list, max_length=10, description="Setback rules / 避让距离规则"
    )
    min_spacing_m: float | None = Field(
        default=None,
        gt=0,
        le=MAX_DISTANCE_M,
        description="Least spacing between candidates / 最小间距",
    )


class SitingRequest(StrictModel):
    """One siting analysis. ``p`` counts new sites only (existing ones are added, open)."""

    problem: Problem = Field(
        default="mclp",
        description="lscp / mclp / pmedian / pcenter / 模型：集合覆盖、最大覆盖、p-中值、p-中心",
    )
    demand_layer: LayerName = Field(default="communities", description="Demand layer / 需求图层")
    weight_col: ColumnName | None = Field(
        default="elderly_60_plus", description="Demand weight column (null: 1 each) / 需求权重字段"
    )
    candidates: CandidateSpec = Field(default_factory=CandidateSpec)
    existing_layer: LayerName | None = Field(
        default=None,
        description="Existing facilities, fixed open (e.g. stations) / 现有设施（固定开设）",
    )
    p: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="New sites (not for lscp) / 新增设施数（LSCP 不需要）",
    )
    service_radius_m: float = Field(
        default=1000.0, gt=0, le=MAX_DISTANCE_M, description="Service radius, m / 服务半径（米）"
    )
    cutoff_m: float | None = Field(
        default=None,
        gt=0,
        le=MAX_DISTANCE_M,
        description=(
            "Largest distance measured (default: the radius; 5,000 m for pmedian/pcenter, "
            "which assign only within it) / 最大计算距离"
        ),
    )
    capacity_col: ColumnName | None = Field(
        default=None, description="Capacity column of the existing/candidate layers / 容量字段"
    )
    new_site_capacity: float | None = Field(
        default=None, gt=0, description="Capacity of each generated candidate / 新增设施容量"
    )
    single_source: bool = Field(default=False, description="Each demand to one site / 单一来源分配")
    mode: Mode = Field(default="euclidean", description="euclidean / network (walking) / 距离模式")
    time_limit_s: float = Field(
        default=30.0,
        gt=0,
        le=MAX_TIME_LIMIT_S,
        description="Solver time limit, s / 求解时间上限（秒）",
    )
    mip_gap: float = Field(
        default=1e-4, ge=0, lt=1, description="Relative gap accepted / 可接受的相对间隙"
    )

    @property
    def effective_cutoff_m(self) -> float:
        """The distance cutoff used: as given, else the radius (LSCP, MCLP) or
        ``max(radius, 5000)`` (p-median, p-center)."""
        if self.cutoff_m is not None:
            return self.cutoff_m
        if self.problem in ("pmedian", "pcenter"):
            return max(self.service_radius_m, DEFAULT_MEDIAN_CUTOFF_M)
        return self.service_radius_m


class GainRow(BaseModel):
    """A new site and the demand weight it adds, in greedy order."""

    rank: int
    facility_id: str
    gain: float = Field(description="Weight newly covered / 新增覆盖需求")
    covered: float = Field(description="Cumulative weight covered / 累计覆盖需求")
    covered_share: float = Field(description="Cumulative share covered / 累计覆盖率")


class AssignmentRow(BaseModel):
    """The part of one demand row served by one site (``facility_id`` null: unserved)."""

    demand_id: str
    facility_id: str | None
    distance_m: float | None
    weight: float
    share: float


class Coverage(BaseModel):
    """Demand weight within the service radius before (existing sites) and after."""

    before: float
    after: float
    total: float
    share_before: float
    share_after: float


class SitingResponse(BaseModel):
    """The answer: how the solve ended, the sites, the assignment, coverage and gains."""

    problem: Problem
    status: Literal["optimal", "time_limit"]
    objective: float
    bound: float | None
    gap: float | None
    solve_s: float
    mode: Mode = Field(description="Distances used (after any fallback) / 实际距离模式")
    notes: list[str] = Field(description="Fallbacks and remarks / 说明")
    service_radius_m: float
    cutoff_m: float
    n_demand: int
    n_candidates: int
    n_existing: int
    n_new: int
    coverage: Coverage
    gains: list[GainRow]
    sites: dict[str, Any] = Field(
        description="Open sites (existing and new) as a GeoJSON FeatureCollection / 选址结果"
    )
    assignment: list[AssignmentRow]
