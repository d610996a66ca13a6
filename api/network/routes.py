"""``GET /analyses/network/quality``: how far the store's walking network can be trusted.

Open to every client of the service unless ``MZGIS_PUBLIC_READ=false``, like the other
analyses; ``/maps/network`` draws the same findings.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.auth import read_access
from api.deps import CatalogDep, NetworkDep
from api.errors import ERROR_RESPONSES, ErrorBody
from api.network.quality import quality_answer, store_quality
from api.network.schemas import NetworkQualityResponse
from geo.network.quality import QualityOptions

__all__ = ["QualityQuery", "quality_options", "router"]

router = APIRouter(prefix="/analyses", tags=["analyses"], dependencies=[Depends(read_access)])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": (
            "Unknown layer, a bad threshold, no walking network"
            " / 图层不存在、阈值无效、没有步行路网"
        ),
    },
    503: ERROR_RESPONSES[503],
}


class QualityQuery:
    """The query options of a quality report (also read by the map page)."""

    def __init__(
        self,
        demand: Annotated[
            str, Query(max_length=128, description="Demand layer ('' for none) / 需求图层")
        ] = "communities",
        targets: Annotated[
            str, Query(max_length=128, description="Facilities ('' for none) / 目标设施图层")
        ] = "stations",
        detour_ratio: Annotated[
            float, Query(ge=1.0, le=100.0, description="Walk / straight flagged / 绕行比阈值")
        ] = 3.0,
    ) -> None:
        self.demand, self.targets, self.detour_ratio = demand, targets, detour_ratio


def quality_options(query: QualityQuery) -> QualityOptions:
    """The thresholds of ``query``."""
    return QualityOptions(detour_ratio=query.detour_ratio)


@router.get(
    "/network/quality",
    response_model=NetworkQualityResponse,
    summary="Walking-network quality / 步行路网质量",
    responses=_RESPONSES,
)
def network_quality(
    catalog: CatalogDep,
    network_source: NetworkDep,
    query: Annotated[QualityQuery, Depends()],
    limit: Annotated[
        int, Query(ge=0, le=100_000, description="Findings returned / 返回的问题数")
    ] = 1000,
) -> NetworkQualityResponse:
    """Disconnected and cut-off parts, dead-end clusters, suspected missing links, chords
    and detour outliers of the demand units, each with its location, severity and an
    explanation in Chinese and English; the detour distribution."""
    quality = store_quality(
        catalog,
        network_source(catalog.store),
        demand=query.demand or None,
        targets=query.targets or None,
        options=quality_options(query),
    )
    return NetworkQualityResponse(**quality_answer(quality, limit=limit))
