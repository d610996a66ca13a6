"""``/analyses/communities``: community size adjustment (社区规模调整) on the store's layers.

``POST`` flags communities over the thresholds and proposes a split of each along street
blocks: the summary, flagged communities, proposals (provisional codes, names, status,
reasons, LP-bound gap), the validation and before/after tables, and (``geometry``) the
proposed parts and their blocks as GeoJSON. Open like the other analyses (while
``MZGIS_PUBLIC_READ`` is on, see :func:`api.auth.read_access`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.auth import read_access
from api.communities.schemas import ResizeRequest
from api.communities.service import result_body, run_resize
from api.deps import CatalogDep
from api.errors import ERROR_RESPONSES, ErrorBody
from api.geojson import feature_collection

__all__ = ["router"]

router = APIRouter(prefix="/analyses", tags=["analyses"], dependencies=[Depends(read_access)])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": "Unknown layer or community, bad band / 图层或社区不存在，户数区间无效",
    },
    503: ERROR_RESPONSES[503],
}


@router.post(
    "/communities",
    summary="Community size adjustment / 社区规模调整",
    responses=_RESPONSES,
)
def resize(
    catalog: CatalogDep,
    body: ResizeRequest,
    geometry: Annotated[
        bool, Query(description="Add parts and blocks as GeoJSON / 附带分区与街区 GeoJSON")
    ] = False,
) -> Any:
    """Flag communities over the split and resize thresholds and propose, for each, ``k``
    contiguous parts within the household band along street blocks, with provisional codes
    (infeasibility named per community)."""
    result = run_resize(catalog, body)
    out = result_body(result)
    if geometry:
        out["parts"] = json.loads(feature_collection(result.parts_gdf()))
        out["blocks"] = json.loads(feature_collection(result.blocks_gdf()))
    return out
