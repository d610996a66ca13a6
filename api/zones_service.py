"""Responsibility zones (责任片区) on a store: solve, edit and validate plans. Shared by
``/analyses/zones``, ``mzgis zones`` and ``/maps/zones``.

Names in a request (layers, columns, units, stations) are checked against the store first,
so a mistake is refused naming the field that holds it (:class:`api.errors.InvalidBodyError`,
HTTP 422). Closed stations (status 停业) get no zone.

Plans are kept in the record store by :class:`api.zone_plans.PlanRegistry` (one per app,
``app.state.zone_plans``), so they survive a restart. An edit names the version it was based
on; a stale one raises :class:`geo.zones.StalePlanError` (HTTP 412) and leaves the plan
unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated, Any, Literal

import geopandas as gpd
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from api.errors import InvalidBodyError
from api.tables import json_safe, records
from geo.network import Network
from geo.zones import ZonePlan, ZoneProblem, ZoneReport, lock_units, move_units, solve
from geo.zones import unlock_units as _unlock
from layers.schema import SCHEMAS
from layers.store import Store

__all__ = [
    "CLOSED",
    "AssignmentRow",
    "EditRequest",
    "Move",
    "NetworkSource",
    "ValidateRequest",
    "ZoneRequest",
    "apply_edit",
    "build_problem",
    "json_safe",
    "records",
    "solve_zones",
    "station_workload",
    "validate_table",
]

#: the status of a closed station, which gets no zone
CLOSED = "停业"
NetworkSource = Callable[[Store], Network]
Name = Annotated[str, Field(min_length=1, max_length=128)]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ZoneRequest(_Body):
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


class Move(_Body):
    """Move one unit to a station."""

    unit: Id = Field(description="Unit id (community code) / 单元编号")
    station: Id = Field(description="Station id / 驿站编号")


class EditRequest(_Body):
    """Hand edits, applied in order: moves (rebalancing locally), then locks, then unlocks."""

    moves: list[Move] = Field(default_factory=list, max_length=500)
    lock_moved: bool = Field(default=True, description="Lock moved units / 锁定被移动的单元")
    locks: list[Id] = Field(default_factory=list, max_length=5000)
    unlocks: list[Id] = Field(default_factory=list, max_length=5000)


class AssignmentRow(_Body):
    """One row of a hand-drawn assignment."""

    unit: Id
    station: Id | None = None


class ValidateRequest(ZoneRequest):
    """A hand-drawn assignment (unit → station) to check against the problem."""

    assignment: list[AssignmentRow] = Field(min_length=1, max_length=100_000)


def _bad(field: str, value: object, en: str, zh: str) -> InvalidBodyError:
    return InvalidBodyError(field, value, en, zh)


def _layer(store: Store, kinds: dict[str, str], name: str, field: str) -> gpd.GeoDataFrame:
    if name not in kinds:
        known = ", ".join(sorted(kinds)) or "(none)"
        raise _bad(
            field, name, f"no such layer; the store has: {known}", f"没有该图层，现有：{known}"
        )
    frame = store.read(name)
    if len(frame) == 0:
        raise _bad(field, name, "the layer is empty", "该图层没有要素")
    return frame


def _column(frame: gpd.GeoDataFrame, column: str, field: str, layer: str) -> None:
    if column not in frame.columns:
        cols = ", ".join(c for c in frame.columns if c != frame.geometry.name)
        raise _bad(
            field,
            column,
            f"layer {layer!r} has no such column ({cols})",
            f"图层 {layer} 没有该字段",
        )


def _id_column(kinds: dict[str, str], name: str, frame: gpd.GeoDataFrame) -> str | None:
    schema = SCHEMAS.get(kinds[name])
    col = schema.id_field if schema is not None else None
    return col if col in frame.columns and frame[col].is_unique else None


def _numeric(frame: gpd.GeoDataFrame, column: str, notes: list[str]) -> gpd.GeoDataFrame:
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    missing = int(values.isna().sum())
    if missing:
        notes.append(
            f"{missing} rows have no {column}: counted as 0 / {missing} 行缺少 {column}，按 0 计"
        )
    return frame.assign(**{column: values.fillna(0.0).clip(lower=0.0)})


def _inputs(
    store: Store, request: ZoneRequest, notes: list[str]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str | None, str | None]:
    kinds = {info.name: info.kind for info in store.layers()}
    units = _layer(store, kinds, request.units_layer, "units_layer")
    stations = _layer(store, kinds, request.stations_layer, "stations_layer")
    _column(units, request.workload_col, "workload_col", request.units_layer)
    _column(stations, request.capacity_col, "capacity_col", request.stations_layer)
    if request.street_col is not None:
        _column(units, request.street_col, "street_col", request.units_layer)
    if "status" in stations.columns:
        closed = (stations["status"] == CLOSED).to_numpy()
        if closed.any():
            notes.append(
                f"{int(closed.sum())} closed stations get no zone"
                f" / {int(closed.sum())} 处停业驿站不参与分区"
            )
            stations = stations[~closed]
    units = _numeric(units, request.workload_col, notes)
    stations = _numeric(stations, request.capacity_col, notes).to_crs(units.crs)
    uid = _id_column(kinds, request.units_layer, units)
    sid = _id_column(kinds, request.stations_layer, stations)
    return units, stations, uid, sid


def build_problem(
    store: Store,
    request: ZoneRequest,
    *,
    network_source: NetworkSource | None = None,
    locks: dict[str, str] | None = None,
) -> tuple[ZoneProblem, tuple[str, ...]]:
    """The zoning problem of ``request`` on the store's layers, and notes on its inputs.

    Raises
    ------
    api.errors.InvalidBodyError
        A layer or column the store does not have, or network mode with no network.
    """
    notes: list[str] = []
    units, stations, uid, sid = _inputs(store, request, notes)
    network = None
    if request.mode == "network":
        if network_source is None:
            raise _bad("mode", "network", "no walking network is available", "没有可用的步行路网")
        network = network_source(store)
    problem = ZoneProblem.from_geodataframes(
        units,
        stations,
        workload=request.workload_col,
        capacity=request.capacity_col,
        street=request.street_col,
        unit_id=uid,
        station_id=sid,
        network=network,
        band=request.band,
        allow_cross_street=request.allow_cross_street,
        orphan_streets=request.orphan_streets,
        locks=locks,
    )
    return problem, tuple(notes)


def solve_zones(
    store: Store, request: ZoneRequest, *, network_source: NetworkSource | None = None
) -> tuple[ZonePlan, tuple[str, ...]]:
    """Build and solve: the plan (version 1) and notes on its inputs.

    Raises
    ------
    geo.zones.BandInfeasibleError
        Unless ``request.best_effort``: stations that cannot meet their band (HTTP 422).
    """
    problem, notes = build_problem(store, request, network_source=network_source)
    return solve(problem, best_effort=request.best_effort), notes


def _check_ids(plan: ZonePlan, edit: EditRequest) -> None:
    p = plan.problem
    for field, ids in (("locks", edit.locks), ("unlocks", edit.unlocks)):
        bad = [u for u, i in zip(ids, p.unit_index(ids), strict=True) if i < 0] if ids else []
        if bad:
            raise _bad(field, bad[0], "unknown unit", "未知单元")
    for i, move in enumerate(edit.moves):
        if p.unit_index([move.unit])[0] < 0:
            raise _bad(f"moves.{i}.unit", move.unit, "unknown unit", "未知单元")
        if p.station_index([move.station])[0] < 0:
            raise _bad(f"moves.{i}.station", move.station, "unknown station", "未知驿站")


def apply_edit(plan: ZonePlan, edit: EditRequest, *, based_on: int) -> tuple[ZonePlan, list[str]]:
    """Apply ``edit`` to ``plan`` (made on version ``based_on``): the new plan and the ids of
    units whose station changed. Each step adds a version.

    Raises
    ------
    geo.zones.StalePlanError
        ``based_on`` is not the plan's version (HTTP 412).
    api.errors.InvalidBodyError
        An unknown unit or station, or an empty edit.
    """
    plan.check_version(based_on)
    if not (edit.moves or edit.locks or edit.unlocks):
        raise _bad("moves", [], "the edit is empty", "编辑内容为空")
    _check_ids(plan, edit)
    changed: list[str] = []
    if edit.moves:
        moves: dict[Hashable, Hashable] = {m.unit: m.station for m in edit.moves}
        plan = move_units(plan, moves, based_on=plan.version, lock=edit.lock_moved)
        changed = [str(u) for u in (plan.info.changed if plan.info else ())]
    if edit.locks:
        plan = lock_units(plan, edit.locks, based_on=plan.version)
    if edit.unlocks:
        plan = _unlock(plan, edit.unlocks, based_on=plan.version)
    return plan, changed


def validate_table(
    store: Store, request: ValidateRequest, *, network_source: NetworkSource | None = None
) -> ZoneReport:
    """The validation report of a hand-drawn assignment against the request's problem."""
    from geo.zones import validate_plan

    problem, _ = build_problem(store, request, network_source=network_source)
    table = pd.DataFrame(
        {
            "unit_id": [r.unit for r in request.assignment],
            "station_id": [r.station for r in request.assignment],
        }
    )
    return validate_plan(problem, table)


def station_workload(report: ZoneReport) -> list[dict[str, Any]]:
    """Per-station workload rows: id, capacity, band limits, workload, units, band state."""
    cols = ["station_id", "capacity", "lower", "upper", "workload", "n_units", "band"]
    return records(report.stations[cols])
