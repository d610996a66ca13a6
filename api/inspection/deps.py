"""Dependencies shared by the ``/inspections`` routers: the marker register, the arrival
rules, and the lookups of records a user may see or change.

A record's identity is its campaign and its id: the same UUID may be a record in several
campaigns. A route that names a record by id alone looks for it only among the campaigns
the caller may see, so a record of another campaign answers exactly as an unused UUID would
(404); when the caller sees several, the answer is 409 naming them, and ``?campaign_id=``
chooses one."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query, Request

from api.auth import ForbiddenError, can_edit, visible_campaigns
from api.deps import get_store
from api.inspection.service import Register
from geo.inspection import ArrivalRules
from layers.records import (
    AmbiguousRecordError,
    Record,
    RecordKind,
    RecordNotFoundError,
    RecordStore,
    User,
)

__all__ = [
    "CampaignChoice",
    "RegisterDep",
    "RulesDep",
    "editable_record",
    "get_register",
    "get_rules",
    "visible_record",
]


async def get_register(request: Request) -> Register:
    """The marker register of the app's layer store (created on first use; no I/O, so run
    on the event loop: a submission's dependencies take no worker thread)."""
    register: Register | None = getattr(request.app.state, "inspection_register", None)
    if register is None:
        register = Register(get_store(request))
        request.app.state.inspection_register = register
    return register


async def get_rules() -> ArrivalRules:
    """Thresholds of the checks on arrival (override in ``app.dependency_overrides``)."""
    return ArrivalRules()


RegisterDep = Annotated[Register, Depends(get_register)]
RulesDep = Annotated[ArrivalRules, Depends(get_rules)]


CampaignChoice = Annotated[
    str | None,
    Query(
        max_length=100,
        description=(
            "The record's campaign, when its id is used in several campaigns you may see"
            " (the answer without it is 409 naming them) / 记录所属联检批次：同一编号在您可见的"
            "多个批次中都有记录时指明（否则返回 409 并列出这些批次）"
        ),
    ),
]


def visible_record(
    records: RecordStore,
    user: User,
    record_id: UUID,
    kind: RecordKind | None,
    campaign_id: str | None = None,
) -> Record:
    """The record with this id in the campaigns the user may see (``campaign_id`` when
    given): 404 when they see none, whether or not another campaign holds one; 409 naming
    the campaigns when they see several and ``campaign_id`` does not choose."""
    scope = visible_campaigns(user, records)
    if campaign_id is not None:
        scope = (campaign_id,) if scope is None or campaign_id in scope else ()
    found = records.find_records(str(record_id), campaign_ids=scope, kind=kind)
    if not found:
        raise RecordNotFoundError("record", str(record_id))
    if len(found) > 1:
        raise AmbiguousRecordError(str(record_id), tuple(r.campaign_id for r in found))
    return found[0]


def editable_record(
    records: RecordStore,
    user: User,
    record_id: UUID,
    kind: RecordKind | None,
    campaign_id: str | None = None,
) -> Record:
    """A record the user may change: their own (inspectors) or any (admins)."""
    record = visible_record(records, user, record_id, kind, campaign_id)
    if not can_edit(user, record):
        raise ForbiddenError(
            "only the inspector who created a record may change it", "只能修改本人提交的记录"
        )
    return record
