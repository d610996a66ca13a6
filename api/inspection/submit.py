"""Submissions checked on cached grants (:mod:`api.grants`): the hot path of
``POST /inspections`` and ``POST /inspections/segments``.

While the cache is warm, a submission reads nothing before its write: the token's grant and
the campaign come from the cache, and the write (one round trip on PostGIS) is made only if
the store is still at the security generation they were read at. Whatever else a request
meets is answered as without a cache: a write refused for a changed generation, a refusal
(401/403) or a failed check on a cached grant are all decided again on what the store holds
now (:func:`submit_record`), so a revoked token, a disabled user or a lost membership is
refused at once, by every worker process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.auth import (
    PERMISSIONS,
    REVOKED,
    BearerToken,
    UnauthenticatedError,
    get_records,
    permitted,
    request_token,
    require_campaign,
    token_digest,
)
from api.grants import Grant, Grants, grants_of
from api.inspection.schemas import MarkerInspectionCreate, SegmentCheckCreate, canonical_body
from layers.records import (
    AccessChangedError,
    Campaign,
    Record,
    RecordKind,
    RecordStore,
    User,
    now_iso,
)

__all__ = ["SubmitGrant", "submit_record", "submitter"]


#: a validated body of a new record
Submission = MarkerInspectionCreate | SegmentCheckCreate


async def submitter(request: Request, token: BearerToken) -> AsyncIterator[Grant]:
    """The grant of a user whose role may submit (401/403 as ``require("submit")``): from
    the cache when it holds the token (no read of the store, no worker thread). A refusal
    is only told on a fresh read; so is any error of a request on a cached grant (an
    invalid body, a failed check): a token revoked meanwhile gets its 401."""
    records: RecordStore | None = getattr(request.app.state, "records", None)
    if records is None:  # opened on first use, off the event loop
        records = await run_in_threadpool(get_records, request)
    grants = grants_of(request, records)
    digest = token_digest(request_token(request, token))
    grant = grants.cached(digest, now=now_iso())
    if grant is None or grant.access.user.role not in PERMISSIONS["submit"]:
        yield await run_in_threadpool(_granted, grants, digest)
        return
    try:
        yield grant
    except Exception:
        await run_in_threadpool(_granted, grants, digest)
        raise


SubmitGrant = Annotated[Grant, Depends(submitter)]


def submit_record(
    request: Request,
    kind: RecordKind,
    body: Submission,
    grant: Grant,
    check: Callable[[Any, Campaign], dict[str, Any]],
) -> tuple[Record, bool]:
    """Check ``body`` against its campaign and store it: ``(record, created)``.

    On the grant (and the campaign row) as cached, the write naming their generation; when
    the write is refused for it, or the grant does not cover the campaign, as an uncached
    request would be."""
    grants = grants_of(request, get_records(request))
    access = grant.access
    visible = access.user.role != "inspector" or body.campaign_id in access.campaign_ids
    campaign = grants.campaign(body.campaign_id, access.generation) if visible else None
    if campaign is not None:
        computed = check(body, campaign)
        try:
            return _create(
                grants, body, kind=kind, user=access.user, campaign=campaign,
                computed=computed, generation=access.generation,
            )  # fmt: skip
        except AccessChangedError:
            grants.forget()
    user = _granted(grants, grant.digest).access.user
    require_campaign(user, grants.records, body.campaign_id)
    campaign = grants.records.get_campaign(body.campaign_id)
    computed = check(body, campaign)
    return _create(
        grants, body, kind=kind, user=user, campaign=campaign, computed=computed, generation=None
    )


def _granted(grants: Grants, digest: str) -> Grant:
    """The grant as the store holds it now, of a user who may submit (401, 403)."""
    grant = grants.read(digest, now=now_iso())
    if grant is None:
        raise UnauthenticatedError(REVOKED)
    permitted(grant.access.user, "submit")
    return grant


def _create(
    grants: Grants,
    body: Submission,
    *,
    kind: RecordKind,
    user: User,
    campaign: Campaign,
    computed: dict[str, Any],
    generation: int | None,
) -> tuple[Record, bool]:
    return grants.records.create_record(
        kind, record_id=str(body.record_id), campaign_id=campaign.campaign_id,
        line_code=campaign.line_code, body=canonical_body(body), computed=computed,
        actor=user.username, generation=generation,
    )  # fmt: skip
