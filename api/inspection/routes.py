"""``/inspections``: marker inspections and segment checks (界线联检记录).

Submissions are idempotent by their client UUID within their campaign (same body → the
stored record, 200; different body → 409; the same UUID in another campaign is another
record); updates and reviews need ``If-Match`` with the record's ETag (428 without, 412 when
stale). A record named by id alone is looked for in the campaigns the caller may see
(:func:`~api.inspection.deps.visible_record`, ``?campaign_id=`` to choose). A 2xx means
the record and its audit entry are committed.
Campaigns, photos, progress and reports are in the sibling modules mounted on
:data:`router`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth import (
    Reader,
    RecordsDep,
    Reviewer,
    Submitter,
    require_campaign,
    visible_campaigns,
)
from api.errors import ErrorBody
from api.grants import Grant
from api.inspection import bundle, campaigns, photos
from api.inspection.deps import (
    CampaignChoice,
    RegisterDep,
    RulesDep,
    editable_record,
    visible_record,
)
from api.inspection.schemas import (
    MarkerInspectionCreate,
    MarkerInspectionPage,
    MarkerInspectionPublic,
    MarkerInspectionUpdate,
    ReviewCreate,
    SegmentCheckCreate,
    SegmentCheckPage,
    SegmentCheckPublic,
    SegmentCheckUpdate,
    canonical_body,
)
from api.inspection.service import check_marker_inspection, check_segment, record_public
from api.inspection.submit import SubmitGrant, submit_record
from api.schemas import Offset, validated_body
from layers.records import (
    Campaign,
    Record,
    RecordFilter,
    RecordKind,
    RecordStore,
    User,
    require_version,
)

__all__ = ["router"]

router = APIRouter(prefix="/inspections", tags=["inspections / 界线联检"])


IfMatch = Annotated[
    str | None, Header(description="ETag of the version the change is based on / 版本标记")
]
Limit = Annotated[int, Query(ge=1, le=10_000)]
Created = TypeVar("Created", MarkerInspectionCreate, SegmentCheckCreate)
#: the errors of a submission and of a change, besides those every route may give
_SUBMIT: dict[int | str, dict[str, Any]] = {
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
_ONE: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": _AMBIGUOUS}}
_CHANGE: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": f"Approved or rejected / 记录已审核完毕; or {_AMBIGUOUS}",
    },
    412: {"model": ErrorBody, "description": "Stale If-Match / 记录已被修改"},
    428: {"model": ErrorBody, "description": "If-Match missing / 缺少 If-Match"},
}


# -- shared steps ------------------------------------------------------------------------


def _answer(
    record: Record, status: int = 200, *, reviews: RecordStore | None = None
) -> JSONResponse:
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


def _list(
    records: RecordStore,
    user: User,
    kind: RecordKind,
    flt: RecordFilter,
    *,
    limit: int,
    offset: int,
) -> dict[str, Any]:
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


def _create(
    request: Request,
    kind: RecordKind,
    body: Created,
    grant: Grant,
    check: Callable[[Created, Campaign], dict[str, Any]],
) -> JSONResponse:
    record, created = submit_record(request, kind, body, grant, check)
    return _answer(record, 201 if created else 200)


def _update(
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
    return _answer(record)


def _review(
    kind: RecordKind,
    record_id: UUID,
    review: ReviewCreate,
    *,
    user: User,
    records: RecordStore,
    if_match: str | None,
    campaign_id: str | None,
) -> JSONResponse:
    expected = _required(if_match)
    current = visible_record(records, user, record_id, kind, campaign_id)
    record = records.review_record(
        current.record_id, state=review.state, comment=review.comment, if_match=expected,
        actor=user.username, campaign_id=current.campaign_id,
    )  # fmt: skip
    return _answer(record)


# -- marker inspections ------------------------------------------------------------------


@router.get(
    "",
    response_model=MarkerInspectionPage,
    summary="List or search marker inspections / 查询界桩检查记录",
)
def list_inspections(
    *,
    user: Reader,
    records: RecordsDep,
    campaign_id: str | None = None,
    marker_no: str | None = None,
    condition: str | None = None,
    review_state: str | None = None,
    created_by: str | None = None,
    flag: str | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Text search / 全文检索")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    flt = RecordFilter(
        campaign_id=campaign_id, marker_no=marker_no, condition=condition,
        review_state=review_state, created_by=created_by, flag=flag, text=q,
    )  # fmt: skip
    return _list(records, user, "marker", flt, limit=limit, offset=offset)


@router.post(
    "",
    status_code=201,
    response_model=MarkerInspectionPublic,
    summary="Submit a marker inspection / 提交界桩检查记录",
    responses=_SUBMIT,
)
def create_inspection(
    *,
    request: Request,
    body: MarkerInspectionCreate,
    grant: SubmitGrant,
    register: RegisterDep,
    rules: RulesDep,
) -> JSONResponse:
    check = partial(check_marker_inspection, register=register, rules=rules)
    return _create(request, "marker", body, grant, check)


@router.get(
    "/{record_id:uuid}",
    response_model=MarkerInspectionPublic,
    summary="One marker inspection / 单条界桩检查记录",
    responses=_ONE,
)
def get_inspection(
    record_id: UUID, user: Reader, records: RecordsDep, campaign_id: CampaignChoice = None
) -> JSONResponse:
    record = visible_record(records, user, record_id, "marker", campaign_id)
    return _answer(record, reviews=records)


@router.patch(
    "/{record_id:uuid}",
    response_model=MarkerInspectionPublic,
    summary="Change a marker inspection / 修改界桩检查记录",
    responses=_CHANGE,
)
def update_inspection(
    *,
    record_id: UUID,
    changes: MarkerInspectionUpdate,
    user: Submitter,
    records: RecordsDep,
    register: RegisterDep,
    rules: RulesDep,
    if_match: IfMatch = None,
    campaign_id: CampaignChoice = None,
) -> JSONResponse:
    check = partial(check_marker_inspection, register=register, rules=rules)
    return _update(
        "marker", record_id, changes, model=MarkerInspectionCreate, user=user, records=records,
        check=check, if_match=if_match, campaign_id=campaign_id,
    )  # fmt: skip


@router.post(
    "/{record_id:uuid}/review",
    response_model=MarkerInspectionPublic,
    summary="Review a record / 审核记录",
    responses=_CHANGE,
)
def review_inspection(
    *,
    record_id: UUID,
    review: ReviewCreate,
    user: Reviewer,
    records: RecordsDep,
    if_match: IfMatch = None,
    campaign_id: CampaignChoice = None,
) -> JSONResponse:
    return _review(
        "marker", record_id, review, user=user, records=records, if_match=if_match,
        campaign_id=campaign_id,
    )  # fmt: skip


# -- segment checks ----------------------------------------------------------------------


@router.get(
    "/segments",
    response_model=SegmentCheckPage,
    summary="List segment checks / 查询界线走向检查记录",
)
def list_segments(
    *,
    user: Reader,
    records: RecordsDep,
    campaign_id: str | None = None,
    marker_no: str | None = None,
    status: str | None = None,
    review_state: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    flt = RecordFilter(
        campaign_id=campaign_id, marker_no=marker_no, status=status, review_state=review_state
    )
    return _list(records, user, "segment", flt, limit=limit, offset=offset)


@router.post(
    "/segments",
    status_code=201,
    response_model=SegmentCheckPublic,
    summary="Submit a segment check / 提交界线走向检查",
    responses=_SUBMIT,
)
def create_segment(
    *, request: Request, body: SegmentCheckCreate, grant: SubmitGrant, register: RegisterDep
) -> JSONResponse:
    check = partial(check_segment, register=register)
    return _create(request, "segment", body, grant, check)


@router.get(
    "/segments/{record_id:uuid}",
    response_model=SegmentCheckPublic,
    summary="One segment check / 单条走向检查记录",
    responses=_ONE,
)
def get_segment(
    record_id: UUID, user: Reader, records: RecordsDep, campaign_id: CampaignChoice = None
) -> JSONResponse:
    record = visible_record(records, user, record_id, "segment", campaign_id)
    return _answer(record, reviews=records)


@router.patch(
    "/segments/{record_id:uuid}",
    response_model=SegmentCheckPublic,
    summary="Change a segment check / 修改走向检查记录",
    responses=_CHANGE,
)
def update_segment(
    *,
    record_id: UUID,
    changes: SegmentCheckUpdate,
    user: Submitter,
    records: RecordsDep,
    register: RegisterDep,
    if_match: IfMatch = None,
    campaign_id: CampaignChoice = None,
) -> JSONResponse:
    return _update(
        "segment", record_id, changes, model=SegmentCheckCreate, user=user, records=records,
        check=partial(check_segment, register=register), if_match=if_match,
        campaign_id=campaign_id,
    )  # fmt: skip


@router.post(
    "/segments/{record_id:uuid}/review",
    response_model=SegmentCheckPublic,
    summary="Review a segment check / 审核走向检查",
    responses=_CHANGE,
)
def review_segment(
    *,
    record_id: UUID,
    review: ReviewCreate,
    user: Reviewer,
    records: RecordsDep,
    if_match: IfMatch = None,
    campaign_id: CampaignChoice = None,
) -> JSONResponse:
    return _review(
        "segment", record_id, review, user=user, records=records, if_match=if_match,
        campaign_id=campaign_id,
    )  # fmt: skip


router.include_router(campaigns.router)
router.include_router(bundle.router)
router.include_router(photos.router)
