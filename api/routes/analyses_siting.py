"""``POST /analyses/siting``: where new facilities should go (LSCP, MCLP, p-median,
p-center) on the store's layers; see :mod:`api.siting_schemas` for the body.

Walking distances use the app's one walking network (``app.state.networks``, shared with
``/analyses/coverage``: loaded from beside the GeoPackage, else built from its ``roads``
layer); a store without roads falls back to straight-line distances, said in ``notes``.
Like ``/collections``, the route is open to every client of the service: this version has
no sign-in on its read and analysis paths.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from api.auth import read_access
from api.deps import StoreDep
from api.errors import ERROR_RESPONSES, ErrorBody
from api.network_service import NetworkCache
from api.siting_output import to_response
from api.siting_schemas import SitingRequest, SitingResponse
from api.siting_service import NetworkSource, run_siting

__all__ = ["network_source", "router"]

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


def network_source(request: Request) -> NetworkSource:
    """The app's shared walking network of a store (built or loaded once per roads
    version)."""
    cache: NetworkCache | None = getattr(request.app.state, "networks", None)
    if cache is None:  # an app not made by create_app
        cache = request.app.state.networks = NetworkCache()
    return cache.get


@router.post(
    "/siting",
    response_model=SitingResponse,
    summary="Siting: where new facilities should go / 设施选址",
    responses=_RESPONSES,
)
def siting(request: Request, store: StoreDep, body: SitingRequest) -> SitingResponse:
    """Solve a location-allocation problem on the store's layers: the open sites as GeoJSON
    (new ones ranked by gain), the assignment of demand to sites, and the demand weight
    covered before and after. Walking distances fall back to straight-line ones (said in
    ``notes``) when the store has no walking network."""
    run = run_siting(store, body, network_source=network_source(request))
    return to_response(run)
