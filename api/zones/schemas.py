"""Request bodies of the zones routes (责任片区): a zoning problem, hand edits, and a
hand-drawn assignment to validate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas import Id, Name, StrictModel

__all__ = ["AssignmentRow", "EditRequest", "Move", "ValidateRequest", "ZoneRequest"]


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


class AssignmentRow(StrictModel):
    """One row of a hand-drawn assignment."""

    unit: Id
    station: Id | None = None


class ValidateRequest(ZoneRequest):
    """A hand-drawn assignment (unit → station) to check against the problem."""

    assignment: list[AssignmentRow] = Field(min_length=1, max_length=100_000)
