"""The steps every record route of ``/inspections`` takes, and the answers they declare.

Listing within the campaigns the caller may see, creating (idempotent by client UUID),
changing and reviewing (both need ``If-Match``), and the answer carrying the record's ETag.
The route declarations themselves are in :mod:`api.inspection.routes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Header, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth import require_campaign, visible_campaigns
from api.errors import ErrorBody
from api.inspection.deps import editable_record, visible_record
from api.inspection.schemas import (
    MarkerInspectionCreate,
    ReviewCreate,
    SegmentCheckCreate,
    canonical_body,
)
from api.inspection.service import record_public
from api.schemas import validated_body
from layers.records import (
    Campaign,
    Record,
    RecordFilter,
    RecordKind,
    RecordStore,
    User,
    require_version,
)

__all__ = [
    "CHANGE_RESPONSES",
    "ONE_RESPONSES",
    "SUBMIT_RESPONSES",
    "IfMatch",
    "Limit",
    "answer",
    "create",
    "list_page",
    "review",
    "update",
]

IfMatch = Annotated[
    str | None, Header(description="ETag of the version the change is based on / 版本标记")
]
Limit = Annotated[int, Query(ge=1, le=10_000)]
Created = TypeVar("Created", MarkerInspectionCreate, SegmentCheckCreate)
#: the errors of a submission and of a change, besides those every route may give
SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay: the record stored before / 重复提交：已保存的记录"},
    409: {
        "model": ErrorBody,
        "description": "Same record id in this campaign, other body / 本批次中编号相同而内容不同",
    },
}
#: a record named by id alone that the caller sees in several campaigns
_AMBIGUOUS = (
    "the id is used in several campaigns you may see: choose one with ?campaign_id="
    " / 您可见的多个批次中都有该编号：请用 ?campaign_id= 指明"
)
ONE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": _AMBIGUOUS}
}
CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": f"Approved or rejected / 记录已审核完毕; or {_AMBIGUOUS}",
    },
    412: {"model": ErrorBody, "description": "Stale If-Match / 记录已被修改"},
    428: {"model": ErrorBody, "description": "If-Match missing / 缺少 If-Match"},
}


# -- the steps --------------------------------------------------------------------------


def answer(
    record: Record, status: int = 200, *, reviews: RecordStore | None = None
) -> JSONResponse:
    """The record as the API shows it, with its ETag (and its reviews when ``reviews``)."""
    body = record_public(record)
    if reviews is not None:
        history = reviews.reviews(record.record_id, campaign_id=record.campaign_id)
        body["reviews"] = [r.to_public() for r in history]
    return JSONResponse(body, status_code=status, headers={"ETag": record.etag})


def _required(if_match: str | None) -> str:
    if not if_match:
        msg = (
            "send If-Match with the record's ETag (GET it first) / 请在 If-Match 中提交记录的 ETag"
        )
        raise HTTPException(428, msg)
    return if_match


def list_page(
    records: RecordStore,
    user: User,
    kind: RecordKind,
    flt: RecordFilter,
    *,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """One page of records of ``kind`` matching ``flt``, within the campaigns ``user`` may see."""
    if flt.campaign_id is not None:
        require_campaign(user, records, flt.campaign_id)
    scoped = RecordFilter(**{**flt.__dict__, "campaign_ids": visible_campaigns(user, records)})
    items, total = records.list_records(kind, scoped, limit=limit, offset=offset)
    return {
        "items": [record_public(r) for r in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def create(
    kind: RecordKind,
    body: Created,
    user: User,
    records: RecordStore,
    check: Callable[[Created, Campaign], dict[str, Any]],
) -> JSONResponse:
    """Store a submission (201), or answer the record stored before for a replay (200)."""
    require_campaign(user, records, body.campaign_id)
    campaign = records.get_campaign(body.campaign_id)
    computed = check(body, campaign)
    record, created = records.create_record(
        kind, record_id=str(body.record_id), campaign_id=campaign.campaign_id,
        line_code=campaign.line_code, body=canonical_body(body), computed=computed,
        actor=user.username,
    )  # fmt: skip
    return answer(record, 201 if created else 200)


def update(
    kind: RecordKind,
    record_id: UUID,
    changes: BaseModel,
    *,
    model: type[Created],
    user: User,
    records: RecordStore,
    check: Callable[[Created, Campaign], dict[str, Any]],
    if_match: str | None,
    campaign_id: str | None,
) -> JSONResponse:
    """Merge ``changes`` into the record and check it again; ``If-Match`` is required."""
    expected = _required(if_match)
    current = editable_record(records, user, record_id, kind, campaign_id)
    require_version(current.record_id, expected, current.etag)  # stale: 412 before the merge
    merged = validated_body(
        model, {**current.body, **changes.model_dump(mode="json", exclude_unset=True)}
    )
    computed = check(merged, records.get_campaign(current.campaign_id))
    record = records.update_record(
        current.record_id, body=canonical_body(merged), computed=computed, if_match=expected,
        actor=user.username, campaign_id=current.campaign_id,
    )  # fmt: skip
    return answer(record)


def review(
    kind: RecordKind,
    record_id: UUID,
    review: ReviewCreate,
    *,
    user: User,
    records: RecordStore,
    if_match: str | None,
    campaign_id: str | None,
) -> JSONResponse:
    """Set the review state of a record the caller may see; ``If-Match`` is required."""
    expected = _required(if_match)
    current = visible_record(records, user, record_id, kind, campaign_id)
    record = records.review_record(
        current.record_id, state=review.state, comment=review.comment, if_match=expected,
        actor=user.username, campaign_id=current.campaign_id,
    )  # fmt: skip
    return answer(record)
