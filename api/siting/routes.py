"""``POST /analyses/siting``: where new facilities should go (LSCP, MCLP, p-median,
p-center) on the store's layers; see :mod:`api.siting.schemas` for the body.

Walking distances use the app's one walking network (:data:`api.deps.NetworkDep`); a store
without roads falls back to straight-line distances, said in ``notes``. Like
``/collections``, the route is open to every client unless ``MZGIS_PUBLIC_READ=false``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from api.auth import read_access
from api.deps import CatalogDep, NetworkDep
from api.errors import ERROR_RESPONSES, ErrorBody
from api.siting.output import to_response
from api.siting.schemas import SitingRequest, SitingResponse
from api.siting.service import run_siting

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
            "Unknown layer or column, bad parameters, no candidates, infeasible problem, "
            "time limit before any solution / 图层或字段不存在、参数无效、无候选点、无可行解、超时"
        ),
    },
    503: ERROR_RESPONSES[503],
}


@router.post(
    "/siting",
    response_model=SitingResponse,
    summary="Siting: where new facilities should go / 设施选址",
    responses=_RESPONSES,
)
def siting(catalog: CatalogDep, network_source: NetworkDep, body: SitingRequest) -> SitingResponse:
    """Solve a location-allocation problem on the store's layers: the open sites as GeoJSON
    (new ones ranked by gain), the assignment of demand to sites, and the demand weight
    covered before and after. Walking distances fall back to straight-line ones (said in
    ``notes``) when the store has no walking network."""
    run = run_siting(catalog, body, network_source=network_source)
    return to_response(run)
