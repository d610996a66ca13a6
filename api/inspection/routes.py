"""``/inspections``: marker inspections and segment checks (界线联检记录).

Submissions are idempotent by their client UUID within their campaign (same body → the
stored record, 200; different body → 409; the same UUID in another campaign is another
record); updates and reviews need ``If-Match`` with the record's ETag (428 without, 412 when
stale). A record named by id alone is looked for in the campaigns the caller may see
(:func:`~api.inspection.deps.visible_record`, ``?campaign_id=`` to choose). A 2xx means
the record and its audit entry are committed.
The steps these routes share are in :mod:`api.inspection.record_steps`; campaigns, photos,
progress and reports are in the sibling modules mounted on :data:`router`.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import Reader, RecordsDep, Reviewer, Submitter
from api.inspection import bundle, campaigns, photos
from api.inspection import record_steps as steps
from api.inspection.deps import CampaignChoice, RegisterDep, RulesDep, visible_record
from api.inspection.record_steps import IfMatch, Limit
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
)
from api.inspection.service import check_marker_inspection, check_segment
from api.schemas import Offset
from layers.records import RecordFilter

__all__ = ["router"]

router = APIRouter(prefix="/inspections", tags=["inspections / 界线联检"])


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
    return steps.list_page(records, user, "marker", flt, limit=limit, offset=offset)


@router.post(
    "",
    status_code=201,
    response_model=MarkerInspectionPublic,
    summary="Submit a marker inspection / 提交界桩检查记录",
    responses=steps.SUBMIT_RESPONSES,
)
def create_inspection(
    *,
    body: MarkerInspectionCreate,
    user: Submitter,
    records: RecordsDep,
    register: RegisterDep,
    rules: RulesDep,
) -> JSONResponse:
    check = partial(check_marker_inspection, register=register, rules=rules)
    return steps.create("marker", body, user, records, check)


@router.get(
    "/{record_id:uuid}",
    response_model=MarkerInspectionPublic,
    summary="One marker inspection / 单条界桩检查记录",
    responses=steps.ONE_RESPONSES,
)
def get_inspection(
    record_id: UUID, user: Reader, records: RecordsDep, campaign_id: CampaignChoice = None
) -> JSONResponse:
    record = visible_record(records, user, record_id, "marker", campaign_id)
    return steps.answer(record, reviews=records)


@router.patch(
    "/{record_id:uuid}",
    response_model=MarkerInspectionPublic,
    summary="Change a marker inspection / 修改界桩检查记录",
    responses=steps.CHANGE_RESPONSES,
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
    return steps.update(
        "marker", record_id, changes, model=MarkerInspectionCreate, user=user, records=records,
        check=check, if_match=if_match, campaign_id=campaign_id,
    )  # fmt: skip


@router.post(
    "/{record_id:uuid}/review",
    response_model=MarkerInspectionPublic,
    summary="Review a record / 审核记录",
    responses=steps.CHANGE_RESPONSES,
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
    return steps.review(
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
    return steps.list_page(records, user, "segment", flt, limit=limit, offset=offset)


@router.post(
    "/segments",
    status_code=201,
    response_model=SegmentCheckPublic,
    summary="Submit a segment check / 提交界线走向检查",
    responses=steps.SUBMIT_RESPONSES,
)
def create_segment(
    *, body: SegmentCheckCreate, user: Submitter, records: RecordsDep, register: RegisterDep
) -> JSONResponse:
    return steps.create("segment", body, user, records, partial(check_segment, register=register))


@router.get(
    "/segments/{record_id:uuid}",
    response_model=SegmentCheckPublic,
    summary="One segment check / 单条走向检查记录",
    responses=steps.ONE_RESPONSES,
)
def get_segment(
    record_id: UUID, user: Reader, records: RecordsDep, campaign_id: CampaignChoice = None
) -> JSONResponse:
    record = visible_record(records, user, record_id, "segment", campaign_id)
    return steps.answer(record, reviews=records)


@router.patch(
    "/segments/{record_id:uuid}",
    response_model=SegmentCheckPublic,
    summary="Change a segment check / 修改走向检查记录",
    responses=steps.CHANGE_RESPONSES,
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
    return steps.update(
        "segment", record_id, changes, model=SegmentCheckCreate, user=user, records=records,
        check=partial(check_segment, register=register), if_match=if_match,
        campaign_id=campaign_id,
    )  # fmt: skip


@router.post(
    "/segments/{record_id:uuid}/review",
    response_model=SegmentCheckPublic,
    summary="Review a segment check / 审核走向检查",
    responses=steps.CHANGE_RESPONSES,
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
    return steps.review(
        "segment", record_id, review, user=user, records=records, if_match=if_match,
        campaign_id=campaign_id,
    )  # fmt: skip


router.include_router(campaigns.router)
router.include_router(bundle.router)
router.include_router(photos.router)
