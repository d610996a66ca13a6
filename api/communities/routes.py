"""``/analyses/communities``: community size adjustment (社区规模调整) on the store's layers.

``POST`` flags communities over the thresholds and proposes a split of each along street
blocks: the summary, flagged communities, proposals (provisional codes, names, status,
reasons, LP-bound gap), the validation and before/after tables, and (``geometry``) the
proposed parts and their blocks as GeoJSON; ``save`` keeps every proposal with parts in the
record store (its ``proposal_id``, version 1). Open like the other analyses (while
``MZGIS_PUBLIC_READ`` is on, see :func:`api.auth.read_access`).

Stored proposals (``/analyses/communities/proposals``) are listed, read (any version; GeoJSON
of their parts), edited by hand (move blocks, rename parts) and accepted as the new
communities layer, by a signed-in planner with ``If-Match`` naming the version edited (428
without it, 412 when stale: nothing saved), as zone plans are.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from api.auth import Actor, Planner, get_records, read_access
from api.catalog import Catalog
from api.communities.proposals import ProposalRegistry, StoredProposal
from api.communities.schemas import (
    AcceptedPublic,
    AcceptRequest,
    ProposalEdit,
    ProposalHistoryPublic,
    ProposalListPublic,
    ResizePublic,
    ResizeRequest,
    StoredProposalPublic,
)
from api.communities.service import result_body, run_resize
from api.deps import CatalogDep, get_catalog
from api.errors import ERROR_RESPONSES, ErrorBody
from api.etags import based_on, etag
from api.geojson import feature_collection
from api.tables import json_safe

__all__ = ["proposals", "router"]

router = APIRouter(prefix="/analyses", tags=["analyses"], dependencies=[Depends(read_access)])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such proposal / 方案不存在"},
    409: {"model": ErrorBody, "description": "Layers changed, code taken / 图层已更新或代码被占用"},
    412: {"model": ErrorBody, "description": "Stale version / 版本已过期"},
    422: {
        "model": ErrorBody,
        "description": "Unknown layer, community, block or part; bad band / 名称不存在或区间无效",
    },
    503: ERROR_RESPONSES[503],
}
_EDIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_RESPONSES,
    401: {"model": ErrorBody, "description": "Not signed in / 未登录"},
    403: {"model": ErrorBody, "description": "Role may not plan / 角色无权编辑方案"},
    428: {"model": ErrorBody, "description": "If-Match missing / 缺少 If-Match"},
}
#: a version as JSON (the model) or its parts as GeoJSON (``format=geojson``)
_PROPOSAL_BODY: dict[int | str, dict[str, Any]] = {
    **_RESPONSES,
    200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}},
}
ProposalId = Annotated[str, Path(max_length=64, description="Proposal id / 方案编号")]
IfMatch = Annotated[str | None, Header(description="Version edited / 所依据的版本")]
Format = Annotated[Literal["json", "geojson"], Query(description="json / geojson (parts)")]


def proposals(request: Request) -> ProposalRegistry:
    """The app's registry of resize proposals (on the app's store and record store)."""
    catalog: Catalog = get_catalog(request)
    registry: ProposalRegistry | None = getattr(request.app.state, "community_proposals", None)
    if registry is None or registry.catalog is not catalog:
        registry = ProposalRegistry(catalog, get_records(request))
        request.app.state.community_proposals = registry
    return registry


Registry = Annotated[ProposalRegistry, Depends(proposals)]


@router.post(
    "/communities",
    summary="Community size adjustment / 社区规模调整",
    response_model=ResizePublic,
    response_model_exclude_unset=True,
    responses=_RESPONSES,
)
def resize(
    *,
    catalog: CatalogDep,
    registry: Registry,
    actor: Actor,
    body: ResizeRequest,
    geometry: Annotated[
        bool, Query(description="Add parts and blocks as GeoJSON / 附带分区与街区 GeoJSON")
    ] = False,
    save: Annotated[bool, Query(description="Keep the proposals / 保存方案")] = False,
) -> Any:
    """Flag communities over the split and resize thresholds and propose, for each, ``k``
    contiguous parts within the household band along street blocks, with provisional codes
    (infeasibility named per community)."""
    stamps = registry.stamps(body) if save else {}
    result = run_resize(catalog, body)
    out = result_body(result)
    if save:
        ids = registry.save(result, body, actor=actor, stamps=stamps)
        for entry, proposal_id in zip(out["proposals"], ids, strict=True):
            entry["proposal_id"] = proposal_id or None
    if geometry:
        out["parts"] = json.loads(feature_collection(result.parts_gdf()))
        out["blocks"] = json.loads(feature_collection(result.blocks_gdf()))
    return out


def _body(stored: StoredProposal, format: str) -> Response:
    tag = etag(stored.proposal.version)
    if format == "geojson":
        parts = stored.proposal.parts_gdf()
        members = {"proposal_id": stored.proposal_id, "version": stored.proposal.version}
        text = feature_collection(parts, members=members)
        return Response(text, media_type="application/geo+json", headers={"ETag": tag})
    text = json.dumps(stored.to_public(), ensure_ascii=False)
    return Response(text, media_type="application/json", headers={"ETag": tag})


@router.get(
    "/communities/proposals",
    summary="Saved resize proposals / 已保存的调整方案",
    response_model=ProposalListPublic,
    responses=_RESPONSES,
)
def list_proposals(
    registry: Registry,
    limit: Annotated[int, Query(ge=1, le=1000, description="Per page / 每页数量")] = 100,
    offset: Annotated[int, Query(ge=0, description="Skipped / 跳过数量")] = 0,
) -> Any:
    """Saved proposals, newest first, with who made and last changed them."""
    found = registry.list_proposals(limit=limit, offset=offset)
    return {
        "proposals": [json_safe(s.to_public()) for s in found],
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/communities/proposals/{proposal_id}",
    summary="A resize proposal / 调整方案",
    response_model=StoredProposalPublic,
    responses=_PROPOSAL_BODY,
)
def read_proposal(
    registry: Registry,
    proposal_id: ProposalId,
    version: Annotated[int | None, Query(ge=1, description="Version / 版本")] = None,
    format: Format = "json",
) -> Any:
    """A proposal (its current version, or ``version``), or its parts as GeoJSON."""
    return _body(registry.get(proposal_id, version=version), format)


@router.get(
    "/communities/proposals/{proposal_id}/versions",
    summary="A proposal's history / 调整方案历史",
    response_model=ProposalHistoryPublic,
    responses=_RESPONSES,
)
def proposal_versions(registry: Registry, proposal_id: ProposalId) -> Any:
    """Every version, oldest first: who saved it, when, the blocks it moved."""
    history = registry.history(proposal_id)
    return {"proposal_id": proposal_id, "versions": [json_safe(v.to_public()) for v in history]}


@router.post(
    "/communities/proposals/{proposal_id}/edits",
    summary="Edit a proposal (move blocks, rename) / 调整方案编辑",
    response_model=StoredProposalPublic,
    responses=_EDIT_RESPONSES,
)
def edit_proposal(
    *,
    registry: Registry,
    user: Planner,
    proposal_id: ProposalId,
    body: ProposalEdit,
    if_match: IfMatch = None,
) -> Any:
    """Move blocks to other parts (the parts touched and their neighbours rebalance to keep
    the band) and rename parts; saves and returns the next version (planners and admins)."""
    stored = registry.edit(proposal_id, body, based_on=based_on(if_match), actor=user.username)
    return _body(stored, "json")


@router.post(
    "/communities/proposals/{proposal_id}/accept",
    summary="Accept a proposal as the communities layer / 采纳调整方案",
    response_model=AcceptedPublic,
    responses=_EDIT_RESPONSES,
)
def accept_proposal(
    *,
    registry: Registry,
    user: Planner,
    proposal_id: ProposalId,
    body: AcceptRequest,
    if_match: IfMatch = None,
) -> Any:
    """Write the communities layer with the proposal's parts in place of the communities it
    replaces (send ``confirm: true``; without it the answer says what would be dropped)."""
    version = based_on(if_match)
    info, dropped = registry.accept(
        proposal_id, based_on=version, confirm=body.confirm, actor=user.username
    )
    registry.catalog.refresh()
    return {"layer": info.to_dict(), "dropped": dropped, "accepted_by": user.username}
