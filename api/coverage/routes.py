"""``POST /analyses/coverage``: who is within reach of a facility layer, at one radius or
at tiered standards, by walking distance or straight line, rolled up by community, street
and district, with the gaps ranked, service areas and 2SFCA accessibility on request.

Like ``/collections`` and ``/analyses/siting``, the route is open to every client of the
service unless ``MZGIS_PUBLIC_READ=false``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from api.auth import read_access
from api.coverage.schemas import CoverageRequest, CoverageResponse
from api.coverage.service import FcaSpec, coverage_answer, run_coverage
from api.deps import CatalogDep, NetworkDep
from api.errors import ERROR_RESPONSES, ErrorBody

__all__ = ["router"]

router = APIRouter(
    prefix="/analyses",
    tags=["analyses"],
    dependencies=[Depends(read_access)],  # public unless MZGIS_PUBLIC_READ=false
)

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


@router.post(
    "/coverage",
    response_model=CoverageResponse,
    summary="Coverage: who is within reach of a facility / 覆盖分析",
    responses=_RESPONSES,
)
def coverage_analysis(
    catalog: CatalogDep, network_source: NetworkDep, body: CoverageRequest
) -> CoverageResponse:
    """Coverage of the demand layer by the facility layer: totals per tier, roll-ups by
    level (covered + uncovered = total), gaps ranked by uncovered elderly, per-demand
    results, and on request service areas (GeoJSON) and 2SFCA accessibility."""
    fca = body.fca
    run = run_coverage(
        catalog,
        facilities=body.facilities,
        demand=body.demand,
        radius_m=body.radius_m,
        tiers_m=body.tiers_m,
        mode=body.mode,
        weights=body.weights,
        status=body.status,
        fca=FcaSpec(fca.supply, fca.weight, fca.radius_m) if fca is not None else None,
        network_source=network_source,
    )
    return coverage_answer(run, body)
