"""Responsibility zones (责任片区) on a store: solve, edit and validate plans. Shared by
``/analyses/zones``, ``mzgis zones`` and ``/maps/zones``.

Names in a request (layers, columns, units, stations) are checked against the store first,
so a mistake is refused naming the field that holds it (:class:`api.errors.InvalidBodyError`,
HTTP 422). Closed stations (status 停业) get no zone.

Plans are kept in the record store by :class:`api.zones.plans.PlanRegistry` (one per app,
``app.state.zone_plans``), so they survive a restart. An edit names the version it was based
on; a stale one raises :class:`geo.zones.StalePlanError` (HTTP 412) and leaves the plan
unchanged.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import geopandas as gpd
import pandas as pd

from api.catalog import Catalog, require_column
from api.errors import InvalidBodyError
from api.network.service import NetworkSource
from api.tables import json_safe, records
from api.zones.schemas import EditRequest, ValidateRequest, ZoneRequest
from geo.zones import ZonePlan, ZoneProblem, ZoneReport, lock_units, move_units, solve
from geo.zones import unlock_units as _unlock
from layers.schema import SCHEMAS

__all__ = [
    "CLOSED",
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


def _bad(field: str, value: object, en: str, zh: str) -> InvalidBodyError:
    return InvalidBodyError(field, value, en, zh)


def _id_column(catalog: Catalog, name: str, frame: gpd.GeoDataFrame) -> str | None:
    schema = SCHEMAS.get(catalog.kind(name))
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
    catalog: Catalog, request: ZoneRequest, notes: list[str]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str | None, str | None]:
    units = catalog.read(request.units_layer, field="units_layer", nonempty=True)
    stations = catalog.read(request.stations_layer, field="stations_layer", nonempty=True)
    require_column(units, request.workload_col, field="workload_col", layer=request.units_layer)
    require_column(
        stations, request.capacity_col, field="capacity_col", layer=request.stations_layer
    )
    if request.street_col is not None:
        require_column(units, request.street_col, field="street_col", layer=request.units_layer)
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
    uid = _id_column(catalog, request.units_layer, units)
    sid = _id_column(catalog, request.stations_layer, stations)
    return units, stations, uid, sid


def build_problem(
    catalog: Catalog,
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
    units, stations, uid, sid = _inputs(catalog, request, notes)
    network = None
    if request.mode == "network":
        if network_source is None:
            raise _bad("mode", "network", "no walking network is available", "没有可用的步行路网")
        network = network_source(catalog.store)
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
    catalog: Catalog, request: ZoneRequest, *, network_source: NetworkSource | None = None
) -> tuple[ZonePlan, tuple[str, ...]]:
    """Build and solve: the plan (version 1) and notes on its inputs.

    Raises
    ------
    geo.zones.BandInfeasibleError
        Unless ``request.best_effort``: stations that cannot meet their band (HTTP 422).
    """
    problem, notes = build_problem(catalog, request, network_source=network_source)
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
    catalog: Catalog, request: ValidateRequest, *, network_source: NetworkSource | None = None
) -> ZoneReport:
    """The validation report of a hand-drawn assignment against the request's problem."""
    from geo.zones import validate_plan

    problem, _ = build_problem(catalog, request, network_source=network_source)
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
