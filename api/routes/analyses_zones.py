"""``/analyses/zones``: responsibility zones (责任片区) on the store's layers: solve a plan,
read it (table or zone polygons), edit it by hand with a local rebalance, validate it or a
hand-drawn assignment.

A plan's version is its ETag; an edit must send ``If-Match`` with the version it was based
on (428 without it, 412 when it is stale: the plan is left unchanged). Plans are kept in
memory (:class:`api.zones_service.PlanRegistry` in ``app.state.zone_plans``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from api.deps import StoreDep
from api.errors import ERROR_RESPONSES, ErrorBody, InvalidParameterError, PreconditionRequiredError
from api.geojson import feature_collection
from api.routes.analyses_siting import network_source
from api.zones_service import (
    EditRequest,
    PlanRegistry,
    StoredPlan,
    ValidateRequest,
    ZoneRequest,
    json_safe,
    records,
    solve_zones,
    station_workload,
    validate_table,
)

__all__ = ["plans", "router"]

router = APIRouter(prefix="/analyses", tags=["analyses"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such plan / 方案不存在"},
    412: {"model": ErrorBody, "description": "Stale version / 版本已过期"},
    422: {
        "model": ErrorBody,
        "description": "Unknown layer, column, unit or station; band infeasible"
        " / 图层、字段、单元或驿站不存在；工作量区间无法满足",
    },
    503: ERROR_RESPONSES[503],
}


def plans(request: Request) -> PlanRegistry:
    """The app's registry of zone plans (created on first use)."""
    registry: PlanRegistry | None = getattr(request.app.state, "zone_plans", None)
    if registry is None:
        registry = request.app.state.zone_plans = PlanRegistry()
    return registry


def _etag(version: int) -> str:
    return f'"{version}"'


def _based_on(if_match: str | None) -> int:
    if if_match is None:
        raise PreconditionRequiredError()
    text = if_match.strip().removeprefix("W/").strip('"')
    try:
        return int(text)
    except ValueError:
        raise InvalidParameterError(
            "If-Match", if_match, "must be a plan version (ETag)", "应为方案版本（ETag）"
        ) from None


def _summary(stored: StoredPlan) -> dict[str, Any]:
    plan = stored.plan
    report = plan.validate()
    return json_safe(
        {
            "plan_id": stored.plan_id,
            "version": plan.version,
            "info": plan.info.to_dict() if plan.info else None,
            "workload": station_workload(report),
            "report": report.to_dict(),
            "notes": list(stored.notes),
        }
    )


@router.post("/zones", summary="Responsibility zones: solve / 责任片区划分", responses=_RESPONSES)
def solve_plan(request: Request, response: Response, store: StoreDep, body: ZoneRequest) -> Any:
    """Assign every unit to one station within the workload band; keep the plan (version 1)
    and return its id, solve info (method, objective, LP bound, gap), per-station workload
    and validation report."""
    plan, notes = solve_zones(store, body, network_source=network_source(request))
    stored = plans(request).add(plan, body, notes)
    response.headers["ETag"] = _etag(plan.version)
    return _summary(stored)


@router.post(
    "/zones/validate", summary="Validate a hand-drawn plan / 校验手绘片区", responses=_RESPONSES
)
def validate_assignment(request: Request, store: StoreDep, body: ValidateRequest) -> Any:
    """The validation report of an assignment table (unit → station) drawn by hand."""
    report = validate_table(store, body, network_source=network_source(request))
    return json_safe(report.to_dict())


@router.get("/zones/{plan_id}", summary="A zone plan / 责任片区方案", responses=_RESPONSES)
def read_plan(
    request: Request,
    response: Response,
    plan_id: str,
    format: Annotated[
        Literal["json", "geojson"], Query(description="json / geojson (zone polygons)")
    ] = "json",
) -> Any:
    """The plan's assignment table, or (``format=geojson``) its dissolved zone polygons."""
    stored = plans(request).get(plan_id)
    etag = _etag(stored.plan.version)
    if format == "geojson":
        zones = stored.plan.zones_gdf().to_crs(4326)
        text = feature_collection(zones, members={"plan_id": plan_id})
        return Response(text, media_type="application/geo+json", headers={"ETag": etag})
    response.headers["ETag"] = etag
    return {
        "plan_id": plan_id,
        "version": stored.plan.version,
        "assignment": records(stored.plan.assignment_table()),
    }


@router.get("/zones/{plan_id}/report", summary="Plan report / 片区校验报告", responses=_RESPONSES)
def plan_report(request: Request, response: Response, plan_id: str) -> Any:
    """The validation report and per-station workload of the plan's current version."""
    stored = plans(request).get(plan_id)
    response.headers["ETag"] = _etag(stored.plan.version)
    return _summary(stored)


@router.post(
    "/zones/{plan_id}/edits",
    summary="Edit a plan (move, lock) / 调整责任片区",
    responses={**_RESPONSES, 428: {"model": ErrorBody, "description": "If-Match missing"}},
)
def edit_plan(
    request: Request,
    response: Response,
    plan_id: str,
    body: EditRequest,
    if_match: Annotated[str | None, Header(description="Version edited / 所依据的版本")] = None,
) -> Any:
    """Move units and/or lock or unlock them; a move rebalances only the touched zones and
    their neighbours, with the fewest changes. Returns the new version and the changed units."""
    based_on = _based_on(if_match)
    stored, changed = plans(request).edit(plan_id, body, based_on=based_on)
    response.headers["ETag"] = _etag(stored.plan.version)
    return {**_summary(stored), "based_on": based_on, "changed": changed}
