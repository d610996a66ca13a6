"""``/analyses/zones``: responsibility zones (责任片区) on the store's layers: solve a plan
(saved in the record store), list plans, read one (table or zone polygons, any version),
edit it by hand with a local rebalance, validate it or a hand-drawn assignment.

Solving, validating and reading are open like the other analyses (while
``MZGIS_PUBLIC_READ`` is on, see :func:`api.auth.read_access`); a solve is saved only for a
signed-in user with the ``plan`` permission (anyone else gets the answer unsaved), by bearer
token or the page's session. Editing a saved plan needs such a user too (401 without a
token, 403 for other roles).

A plan's version is its ETag; an edit must send ``If-Match`` with the version it was based
on (428 without it, 412 when it is stale or another edit is saved first: the plan is left
unchanged). Plans live in the record store (:class:`api.zones.plans.PlanRegistry` in
``app.state.zone_plans``) and survive a restart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer

from api.auth import (
    ANONYMOUS,
    COOKIE_NAME,
    PERMISSIONS,
    Planner,
    current_user,
    get_records,
    read_access,
)
from api.deps import CatalogDep, NetworkDep, get_catalog, get_network_source
from api.errors import ERROR_RESPONSES, ErrorBody
from api.etags import based_on, etag
from api.geojson import feature_collection
from api.schemas import MAX_OFFSET
from api.tables import json_safe, records
from api.zones.edits import edit_answer, layer_names
from api.zones.export import plan_workbook
from api.zones.plans import PlanRegistry, StoredPlan
from api.zones.schemas import (
    EditRequest,
    PlanAssignmentPublic,
    PlanEditPublic,
    PlanHistoryPublic,
    PlanListPublic,
    PlanSolvedPublic,
    PlanSummaryPublic,
    ValidateRequest,
    ZoneReportPublic,
    ZoneRequest,
)
from api.zones.service import station_workload, validate_table
from layers.records import User

__all__ = ["plans", "router"]

router = APIRouter(
    prefix="/analyses",
    tags=["analyses"],
    dependencies=[Depends(read_access)],  # public unless MZGIS_PUBLIC_READ=false
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
_EDIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_RESPONSES,
    401: {"model": ErrorBody, "description": "Not signed in / 未登录"},
    403: {"model": ErrorBody, "description": "Role may not plan / 角色无权编辑方案"},
    428: {"model": ErrorBody, "description": "If-Match missing / 缺少 If-Match"},
}
#: a version as JSON (the model), its zone polygons (``format=geojson``) or a workbook
_PLAN_BODY: dict[int | str, dict[str, Any]] = {
    **_RESPONSES,
    200: {
        "content": {
            "application/geo+json": {"schema": {"type": "object"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        }
    },
}
Format = Annotated[
    Literal["json", "geojson", "xlsx"],
    Query(description="json / geojson (zone polygons) / xlsx (assignment and stations)"),
]
PlanId = Annotated[str, Path(max_length=64, description="Plan id / 方案编号")]


def plans(request: Request) -> PlanRegistry:
    """The app's registry of zone plans (created on first use, on the app's store)."""
    catalog = get_catalog(request)
    registry: PlanRegistry | None = getattr(request.app.state, "zone_plans", None)
    if registry is None or registry.catalog is not catalog:
        source = get_network_source(request)
        registry = PlanRegistry(catalog, get_records(request), network_source=source)
        request.app.state.zone_plans = registry
    return registry


Registry = Annotated[PlanRegistry, Depends(plans)]
_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def planner_or_none(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> User | None:
    """The user of the bearer token or of the page's session when one is sent (a bad one is
    401, a session write without its CSRF token 403) and their role may plan; ``None``
    otherwise (the solve then answers without saving)."""
    if token is None and request.cookies.get(COOKIE_NAME) is None:
        return None
    user = current_user(request, get_records(request), token)
    return user if user.role in PERMISSIONS["plan"] else None


MaySave = Annotated[User | None, Depends(planner_or_none)]


def _meta(stored: StoredPlan) -> dict[str, Any]:
    return {
        "plan_id": stored.plan_id,
        "version": stored.plan.version,
        "created_by": stored.created_by,
        "created_at": stored.created_at,
        "updated_by": stored.updated_by,
        "updated_at": stored.updated_at,
        "notes": list(stored.notes),
    }


def _summary(stored: StoredPlan) -> dict[str, Any]:
    plan, report = stored.plan, stored.report
    return json_safe(
        {
            **_meta(stored),
            "info": plan.info.to_dict() if plan.info else None,
            "workload": station_workload(report),
            "report": report.to_dict(),
        }
    )


def _plan_body(registry: PlanRegistry, stored: StoredPlan, format: str) -> Any:
    """The assignment table (JSON), the zone polygons (GeoJSON) or a workbook (XLSX) of
    one version."""
    tag = etag(stored.plan.version)
    if format == "xlsx":
        request, catalog = stored.request, registry.catalog
        data = plan_workbook(
            stored,
            unit_names=layer_names(catalog, request.units_layer),
            station_names=layer_names(catalog, request.stations_layer),
        )
        name = f"zones-{stored.plan_id[:8]}-v{stored.plan.version}.xlsx"
        headers = {"ETag": tag, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type=XLSX, headers=headers)
    if format == "geojson":
        zones = stored.plan.zones_gdf().to_crs(4326)
        text = feature_collection(
            zones, members={"plan_id": stored.plan_id, "version": stored.plan.version}
        )
        return Response(text, media_type="application/geo+json", headers={"ETag": tag})
    body = {**_meta(stored), "assignment": records(stored.plan.assignment_table())}
    return JSONResponse(json_safe(body), headers={"ETag": tag})


@router.post(
    "/zones",
    response_model=PlanSolvedPublic,
    summary="Responsibility zones: solve / 责任片区划分",
    responses=_RESPONSES,
)
def solve_plan(response: Response, registry: Registry, user: MaySave, body: ZoneRequest) -> Any:
    """Assign every unit to one station within the workload band and return the solve info
    (method, objective, LP bound, gap), per-station workload and validation report. For a
    signed-in planner (or admin) the plan is saved as version 1 (``plan_id``, ETag); anyone
    else gets the same answer unsaved (``saved`` false, no ``plan_id``)."""
    if user is None:
        unsaved = _summary(registry.solve(body, actor=ANONYMOUS, save=False))
        return {**unsaved, "plan_id": None, "saved": False}
    stored = registry.solve(body, actor=user.username)
    response.headers["ETag"] = etag(stored.plan.version)
    return {**_summary(stored), "saved": True}


@router.get(
    "/zones",
    response_model=PlanListPublic,
    summary="Saved zone plans / 已保存的责任片区方案",
    responses=_RESPONSES,
)
def list_plans(
    registry: Registry,
    limit: Annotated[int, Query(ge=1, le=1000, description="Plans per page / 每页方案数")] = 100,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Plans skipped / 跳过的方案数")
    ] = 0,
) -> Any:
    """Saved plans, newest first: id, current version, who made and last changed it, and a
    summary (units, stations, overloaded and fragmented zones, total walk)."""
    found = registry.list_plans(limit=limit, offset=offset)
    return {"plans": [json_safe(s.to_public()) for s in found], "limit": limit, "offset": offset}


@router.post(
    "/zones/validate",
    response_model=ZoneReportPublic,
    summary="Validate a hand-drawn plan / 校验手绘片区",
    responses=_RESPONSES,
)
def validate_assignment(
    catalog: CatalogDep, network_source: NetworkDep, body: ValidateRequest
) -> Any:
    """The validation report of an assignment table (unit → station) drawn by hand."""
    report = validate_table(catalog, body, network_source=network_source)
    return json_safe(report.to_dict())


@router.get(
    "/zones/{plan_id}",
    response_model=PlanAssignmentPublic,
    summary="A zone plan / 责任片区方案",
    responses=_PLAN_BODY,
)
def read_plan(registry: Registry, plan_id: PlanId, format: Format = "json") -> Any:
    """The current version's assignment table, or (``format=geojson``) its dissolved zone
    polygons."""
    return _plan_body(registry, registry.get(plan_id), format)


@router.get(
    "/zones/{plan_id}/versions",
    response_model=PlanHistoryPublic,
    summary="A plan's history / 方案历史版本",
    responses=_RESPONSES,
)
def plan_versions(registry: Registry, plan_id: PlanId) -> Any:
    """Every version of the plan, oldest first: who saved it, when, the units it moved and
    its summary."""
    history = registry.history(plan_id)
    return {"plan_id": plan_id, "versions": [json_safe(v.to_public()) for v in history]}


@router.get(
    "/zones/{plan_id}/versions/{version}",
    response_model=PlanAssignmentPublic,
    summary="One version of a plan / 方案的某一版本",
    responses=_PLAN_BODY,
)
def read_version(
    registry: Registry,
    plan_id: PlanId,
    version: Annotated[int, Path(ge=1, description="Version / 版本")],
    format: Format = "json",
) -> Any:
    """An older (or the current) version's assignment table or zone polygons."""
    return _plan_body(registry, registry.get(plan_id, version=version), format)


@router.get(
    "/zones/{plan_id}/report",
    response_model=PlanSummaryPublic,
    summary="Plan report / 片区校验报告",
    responses=_RESPONSES,
)
def plan_report(response: Response, registry: Registry, plan_id: PlanId) -> Any:
    """The validation report and per-station workload of the plan's current version."""
    stored = registry.get(plan_id)
    response.headers["ETag"] = etag(stored.plan.version)
    return _summary(stored)


@router.post(
    "/zones/{plan_id}/edits",
    response_model=PlanEditPublic,
    summary="Edit a plan (move, lock) / 调整责任片区",
    responses=_EDIT_RESPONSES,
)
def edit_plan(
    *,
    response: Response,
    registry: Registry,
    user: Planner,
    plan_id: PlanId,
    body: EditRequest,
    if_match: Annotated[str | None, Header(description="Version edited / 所依据的版本")] = None,
) -> Any:
    """Move units and/or lock or unlock them; a move rebalances only the touched zones and
    their neighbours, with the fewest changes. Saves and returns the next version and the
    changed units (signed-in planners and admins only), each with its name and the reason
    it changed (``changes``: requested, contiguity, band, rebalance), the touched stations'
    workload against their band before and after, and ``band_warnings`` naming every
    touched station the edit leaves outside its band. ``preview``: the same answer, nothing
    saved (the ETag stays the version edited)."""
    version = based_on(if_match)
    result = registry.edit(plan_id, body, based_on=version, actor=user.username)
    stored = result.stored
    response.headers["ETag"] = etag(version if body.preview else stored.plan.version)
    explained = edit_answer(registry.catalog, result, body)
    return {**_summary(stored), "based_on": version, "changed": result.changed, **explained}
