"""Request and response bodies of the zones routes (责任片区): a zoning problem, hand
edits, a hand-drawn assignment to validate; saved plans, their versions and history."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.schemas import Id, Name, PublicModel, StrictModel

__all__ = [
    "AssignmentRow",
    "EditRequest",
    "Move",
    "PlanAssignmentPublic",
    "PlanEditPublic",
    "PlanHistoryPublic",
    "PlanListPublic",
    "PlanSolvedPublic",
    "PlanStamp",
    "PlanSummaryPublic",
    "PlanVersionPublic",
    "ValidateRequest",
    "ZoneReportPublic",
    "ZoneRequest",
]


class ZoneRequest(StrictModel):
    """One zoning problem on the store's layers."""

    units_layer: Name = Field(default="communities", description="Units / 分区单元图层")
    workload_col: Name = Field(default="basic_recipients", description="Workload / 工作量字段")
    stations_layer: Name = Field(default="stations", description="Stations / 驿站图层")
    capacity_col: Name = Field(default="capacity_persons", description="Capacity / 服务能力字段")
    street_col: Name | None = Field(
        default="street_code", description="Street of each unit (null: one street) / 街道字段"
    )
    band: float = Field(default=0.15, gt=0, lt=1, description="±band of capacity / 工作量区间")
    mode: Literal["euclidean", "network"] = Field(
        default="euclidean", description="euclidean / network (walking) / 距离方式"
    )
    allow_cross_street: bool = Field(
        default=False, description="Zones may cross streets / 允许跨街道"
    )
    orphan_streets: Literal["adjacent", "refuse"] = Field(
        default="adjacent",
        description="Streets without a station: join a neighbouring street, or refuse"
        " / 无驿站街道：并入相邻街道或报错",
    )
    best_effort: bool = Field(
        default=False,
        description="Return a plan even when bands cannot be met / 区间无法满足时仍返回方案",
    )


class Move(StrictModel):
    """Move one unit to a station."""

    unit: Id = Field(description="Unit id (community code) / 单元编号")
    station: Id = Field(description="Station id / 驿站编号")


class EditRequest(StrictModel):
    """Hand edits, applied in order: moves (rebalancing locally), then locks, then unlocks."""

    moves: list[Move] = Field(default_factory=list, max_length=500)
    lock_moved: bool = Field(default=True, description="Lock moved units / 锁定被移动的单元")
    locks: list[Id] = Field(default_factory=list, max_length=5000)
    unlocks: list[Id] = Field(default_factory=list, max_length=5000)
    preview: bool = Field(
        default=False,
        description="Compute and explain the edit without saving it (the editor shows it "
        "before the person confirms) / 仅预览：计算并说明结果，不保存",
    )


class AssignmentRow(StrictModel):
    """One row of a hand-drawn assignment."""

    unit: Id
    station: Id | None = None


class ValidateRequest(ZoneRequest):
    """A hand-drawn assignment (unit → station) to check against the problem."""

    assignment: list[AssignmentRow] = Field(min_length=1, max_length=100_000)


# -- the XPublic family: what the routes answer ----------------------------------------------


class ZoneReportPublic(PublicModel):
    """A validation report: what breaks the rules, by unit or station, and each station's
    workload against its band."""

    ok: bool
    unassigned: list[str]
    duplicated: dict[str, list[str]]
    unknown_units: list[str]
    unknown_stations: list[str]
    broken_locks: list[str]
    overloaded: list[str]
    underloaded: list[str]
    fragmented: list[str]
    homes_outside: list[str]
    crossing: list[str]
    hosting: list[str]
    cross_street_allowed: bool
    stations: list[dict[str, Any]]


class PlanStamp(PublicModel):
    """A saved version: its plan, number and who made and last changed the plan."""

    plan_id: str
    version: int = Field(description="Send as If-Match to edit it / 编辑时作为 If-Match 提交")
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str


class _PlanMeta(PlanStamp):
    notes: list[str] = Field(description="E.g. input layers changed since / 说明")


class PlanSummaryPublic(_PlanMeta):
    """A plan's current version: how it was solved, per-station workload, validation."""

    info: dict[str, Any] | None = Field(description="Method, objective, LP bound, gap / 求解信息")
    workload: list[dict[str, Any]] = Field(description="Per station / 各驿站工作量")
    report: ZoneReportPublic = Field(description="Validation report / 校验报告")


class EditChangePublic(PublicModel):
    """One community whose station an edit changes, and why."""

    unit: str
    unit_name: str
    from_station: str | None
    from_name: str
    to_station: str | None
    to_name: str
    reason: Literal["requested", "contiguity", "band", "rebalance"]
    why: str = Field(description="The reason in English and Chinese / 原因（中英文）")


class BandStatePublic(PublicModel):
    """A station's workload and band state at one moment."""

    workload: float
    band: Literal["ok", "over", "under"]


class StationTouchedPublic(PublicModel):
    """A station an edit touches: its band, and its workload before and after."""

    station_id: str
    name: str
    capacity: float
    lower: float
    upper: float
    before: BandStatePublic
    after: BandStatePublic


class BandWarningPublic(PublicModel):
    """A station the edit leaves outside its band, said in English and Chinese."""

    station_id: str
    band: Literal["over", "under"]
    message: str


class PlanSolvedPublic(PlanSummaryPublic):
    """A solve: saved as a plan for a signed-in planner or admin, else answered unsaved
    (no ``plan_id``)."""

    plan_id: str | None  # type: ignore[assignment]
    saved: bool = Field(description="Saved as a plan / 是否已保存为方案")


class PlanEditPublic(PlanSummaryPublic):
    """The version an edit saved (or, previewed, would save), the version it was based on,
    the units it moved, each change with its reason, the touched stations before and after,
    and a warning for every touched station left outside its band."""

    based_on: int
    changed: list[str]
    preview: bool = False
    changes: list[EditChangePublic] = Field(default_factory=list)
    locked: list[str] = Field(default_factory=list)
    unlocked: list[str] = Field(default_factory=list)
    stations_touched: list[StationTouchedPublic] = Field(default_factory=list)
    band_warnings: list[BandWarningPublic] = Field(default_factory=list)
    stations_out_of_band: list[str] = Field(default_factory=list)
    out_of_band: bool = False


class PlanAssignmentPublic(_PlanMeta):
    """One version's assignment table (unit → station)."""

    assignment: list[dict[str, Any]]


class PlanVersionPublic(PlanStamp):
    """A plan, or one version in its history, without its assignment."""

    summary: dict[str, Any]
    changed: list[str]


class PlanListPublic(PublicModel):
    """Saved plans, newest first."""

    plans: list[PlanVersionPublic]
    limit: int
    offset: int


class PlanHistoryPublic(PublicModel):
    """Every version of a plan, oldest first."""

    plan_id: str
    versions: list[PlanVersionPublic]
