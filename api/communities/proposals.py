"""Resize proposals (社区规模调整方案) kept in the record store, shared by
``/analyses/communities/proposals`` and the map page.

A proposal is kept like a zone plan (the same versioned tables, its request marked
``"analysis": "communities"`` so that the zones routes never show it): version 1 when a run
is saved, one version per hand edit, written with a compare-and-swap on the version (a stale
edit raises :class:`geo.zones.StalePlanError` or :class:`layers.PreconditionFailedError`,
HTTP 412, and saves nothing). The head row keeps what never changes (the run's request, the
community, the communities it replaces, the provisional codes and the parts' centres); each
version its block → part assignment, locks and names. A proposal is rebuilt on its blocks,
cut again from the current layers.

Accepting writes the communities layer with the proposal's parts in place of the
communities it replaces; it is refused (409) when the input layers changed since the
proposal was saved, or when one of its provisional codes is taken meanwhile.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from api.catalog import Catalog
from api.communities.schemas import ProposalEdit, ResizeRequest
from api.communities.service import layer_names, resize_inputs
from api.errors import InvalidBodyError, PlanNotFoundError
from api.tables import json_safe
from api.zones.stored import Saved, saved_by
from geo._errors import AnalysisError
from geo.communities import (
    Proposal,
    ResizeResult,
    community_blocks,
    move_blocks,
    rename_parts,
    restore_proposal,
)
from geo.zones import StalePlanError
from layers._errors import ConflictError
from layers.records import (
    RecordNotFoundError,
    RecordStore,
    ZonePlanSummary,
    ZonePlanVersion,
    layer_stamps,
)
from layers.store.base import LayerInfo, Written

__all__ = ["ANALYSIS", "ProposalNotFoundError", "ProposalRegistry", "StoredProposal"]

#: the ``analysis`` of a proposal's stored request
ANALYSIS = "communities"
_CHANGED = (
    "the layers changed since this proposal was made; run the analysis again"
    " / 方案生成后图层已更新，请重新分析"
)


class ProposalNotFoundError(PlanNotFoundError):
    """No resize proposal has this id (HTTP 404)."""

    def __init__(self, proposal_id: str) -> None:
        self.plan_id = proposal_id
        en = f"no resize proposal {proposal_id!r} in this store"
        LookupError.__init__(self, f"{en} / 本存储中没有社区调整方案 {proposal_id}")


@dataclasses.dataclass(frozen=True)
class StoredProposal(Saved):
    """One version of a stored proposal, rebuilt on the current layers."""

    proposal_id: str
    proposal: Proposal
    request: ResizeRequest

    def to_public(self) -> dict[str, Any]:
        """What the API answers (without geometries): the proposal, its block → part
        ``assignment`` and who made and changed it."""
        meta = {
            "proposal_id": self.proposal_id,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
            "inputs_changed": self.inputs_changed,
            "notes": list(self.notes),
        }
        body = {**meta, **self.proposal.to_dict(), "assignment": self.proposal.assignment()}
        return json_safe(body)


def _head(p: Proposal, request: ResizeRequest) -> dict[str, Any]:
    """The stored request of a proposal (what never changes between versions)."""
    return {
        "analysis": ANALYSIS,  # sorts first in the stored JSON: how plans are told apart
        "community_code": p.community_code,
        "replaces": list(p.replaces),
        "street_code": p.street_code,
        "flag": p.flag,
        "codes": list(p.codes),
        "centres": p.centre_ids(),
        "resize": request.model_dump(mode="json"),
    }


def _version_info(p: Proposal) -> dict[str, Any]:
    return json_safe(
        {
            "names": list(p.names),
            "status": p.status,
            "reasons": list(p.reasons),
            "cost": p.split.cost,
            "bound": p.split.bound,
            "gap": p.split.gap,
        }
    )


def _summary(p: Proposal) -> dict[str, Any]:
    parts = p.parts_gdf()
    return json_safe(
        {
            "community_code": p.community_code,
            "replaces": list(p.replaces),
            "parts": p.parts,
            "households": [int(h) for h in parts["households"]],
            "status": p.status,
        }
    )


class ProposalRegistry:
    """Resize proposals of a store, kept in its record store (see the module docstring)."""

    def __init__(self, catalog: Catalog, records: RecordStore) -> None:
        self.catalog, self.store, self.records = catalog, catalog.store, records

    def stamps(self, request: ResizeRequest) -> dict[str, Any]:
        """Stamps (version, ``updated_at``) of the layers a request reads."""
        return layer_stamps(self.store, layer_names(request))

    def save(
        self, result: ResizeResult, request: ResizeRequest, *, actor: str, stamps: dict[str, Any]
    ) -> list[str]:
        """Keep every proposal of a run that has parts as version 1; their ids in order
        (``""`` for a proposal without parts)."""
        ids = []
        for p in result.proposals:
            if p.split.plan is None:
                ids.append("")
                continue
            proposal_id = str(uuid.uuid4())
            self.records.create_plan(
                plan_id=proposal_id,
                request=_head(p, request),
                assignment=p.assignment(),
                locked=p.locked(),
                info=_version_info(p),
                inputs=stamps,
                summary=_summary(p),
                actor=actor,
            )
            ids.append(proposal_id)
        return ids

    def get(self, proposal_id: str, *, version: int | None = None) -> StoredProposal:
        """The current version of a proposal, or ``version`` (404 when either is absent)."""
        return self._rebuilt(self._read(proposal_id, version))

    def list_proposals(self, *, limit: int | None = None, offset: int = 0) -> list[ZonePlanSummary]:
        """Every proposal at its current version, newest first."""
        return self.records.list_plans(limit=limit, offset=offset, analysis=ANALYSIS)

    def history(self, proposal_id: str) -> list[ZonePlanSummary]:
        """Every version of a proposal, oldest first."""
        self._read(proposal_id, None)
        return self.records.plan_history(proposal_id)

    def edit(
        self, proposal_id: str, edit: ProposalEdit, *, based_on: int, actor: str
    ) -> StoredProposal:
        """Move blocks (rebalancing nearby parts) and rename parts on version ``based_on``;
        save the result as the next version.

        Raises
        ------
        geo.zones.StalePlanError, layers.PreconditionFailedError
            ``based_on`` is not (or, by the time of saving, no longer) the current version.
        api.errors.InvalidBodyError
            An empty edit, or unknown blocks or part codes.
        """
        current = self._read(proposal_id, None)
        if current.version != based_on:
            raise StalePlanError(based_on=based_on, current=current.version)
        if not (edit.moves or edit.names):
            raise InvalidBodyError("moves", [], "the edit is empty", "编辑内容为空")
        stored = self._rebuilt(current)
        p = _edited(stored.proposal, edit)
        self.records.save_plan_version(
            proposal_id,
            based_on=based_on,
            assignment=p.assignment(),
            locked=p.locked(),
            info=_version_info(p),
            inputs=current.inputs,
            summary=_summary(p),
            actor=actor,
        )
        return self.get(proposal_id)

    def accept(
        self, proposal_id: str, *, based_on: int, confirm: bool, actor: str
    ) -> tuple[LayerInfo, list[str]]:
        """Write the communities layer with version ``based_on`` of the proposal in place of
        the communities it replaces (audit action ``community_proposal.accept``); the new
        layer's info and the codes dropped.

        Raises
        ------
        api.errors.InvalidBodyError
            Without ``confirm`` (the message names what would be dropped), or an infeasible
            proposal.
        layers.ConflictError
            The input layers changed since the proposal was saved, or a provisional code is
            taken (HTTP 409).
        """
        current = self._read(proposal_id, None)
        if current.version != based_on:
            raise StalePlanError(based_on=based_on, current=current.version)
        request = ResizeRequest.model_validate(current.request["resize"])
        if current.inputs != self.stamps(request):
            raise ConflictError(_CHANGED)
        p = self._rebuilt(current).proposal
        dropped = list(p.replaces)
        if not confirm:
            shown = ", ".join(dropped)
            raise InvalidBodyError(
                "confirm",
                False,
                f"accepting replaces communities {shown} with {p.parts} parts; send confirm=true",
                f"采纳将以 {p.parts} 个分区替换社区 {shown}，请确认（confirm=true）",
            )
        layer = self.catalog.read(request.communities_layer, field="communities_layer")
        taken = sorted(set(p.codes) & set(layer["code"].astype(str)))
        if taken:
            msg = f"provisional codes already in use: {', '.join(taken)} / 暂定代码已被占用"
            raise ConflictError(msg)
        accepted = ResizeResult.of_proposal(p, layer).accepted([p.community_code])

        def audit(written: Written) -> None:  # in the layer write's transaction
            detail = {
                "version": based_on,
                "layer": written.info.name,
                "layer_version": written.info.version,
                "dropped": dropped,
                "added": list(p.codes),
            }
            target = f"zone_plan:{proposal_id}"
            self.records.audit_within(
                written.connection, "community_proposal.accept", target, detail, actor=actor
            )

        name = request.communities_layer
        self.store.import_frame(
            accepted, name=name, kind="communities",
            source=f"accept of resize proposal {proposal_id} ({actor})",
            expected_version=int(current.inputs[name]["version"]), within=audit,
        )  # fmt: skip
        return self.store.info(name), dropped

    # -- helpers -------------------------------------------------------------------------

    def _read(self, proposal_id: str, version: int | None) -> ZonePlanVersion:
        try:
            saved = self.records.get_plan(proposal_id, version=version)
        except RecordNotFoundError:
            raise ProposalNotFoundError(proposal_id) from None
        if saved.request.get("analysis") != ANALYSIS:
            raise ProposalNotFoundError(proposal_id)
        return saved

    def _rebuilt(self, saved: ZonePlanVersion) -> StoredProposal:
        head = saved.request
        request = ResizeRequest.model_validate(head["resize"])
        stamps = self.stamps(request)
        inputs = resize_inputs(self.catalog, request)
        band = (request.band_lower_households, request.band_upper_households)
        blocks = community_blocks(
            inputs.pop("communities"),
            head["replaces"],
            **inputs,
            band_households=band if request.cut_oversize_blocks else None,
        )
        info = saved.info or {}
        changed = saved.inputs != stamps
        try:
            proposal = restore_proposal(
                blocks.reset_index(drop=True),
                community_code=head["community_code"], replaces=head["replaces"],
                street_code=head["street_code"], flag=head["flag"], band=band,
                anchored=bool(request.anchors_layers), codes=head["codes"],
                names=info.get("names", head["codes"]), centres=head["centres"],
                assignment=saved.assignment, locked=saved.locked, version=saved.version,
            )  # fmt: skip
        except AnalysisError:
            if changed:  # its blocks are gone with the layers it was made on
                raise ConflictError(_CHANGED) from None
            raise
        note = "the input layers changed since this version was made / 该版本生成后输入图层已更新"
        return StoredProposal(
            saved.plan_id, proposal, request,
            notes=(*saved.notes, *((note,) if changed else ())), **saved_by(saved),
            inputs_changed=changed,
        )  # fmt: skip


def _edited(p: Proposal, edit: ProposalEdit) -> Proposal:
    """``p`` after the moves, then the names (each a version; the result is one more than
    ``p``'s version per step, stored as one)."""
    version = p.version
    if edit.moves:
        known = set(p.blocks["block_id"].astype(str))
        for i, move in enumerate(edit.moves):
            if move.block not in known:
                raise InvalidBodyError(f"moves.{i}.block", move.block, "unknown block", "未知街区")
            if move.part not in p.codes:
                raise InvalidBodyError(f"moves.{i}.part", move.part, "unknown part", "未知分区")
        p = move_blocks(p, {m.block: m.part for m in edit.moves}, based_on=p.version)
    if edit.names:
        for code in edit.names:
            if code not in p.codes:
                raise InvalidBodyError(f"names.{code}", code, "unknown part", "未知分区")
        p = rename_parts(p, edit.names, based_on=p.version)
    return dataclasses.replace(p, version=version + 1)
