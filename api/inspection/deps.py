"""Dependencies shared by the ``/inspections`` routers: the marker register, the arrival
rules, and the lookups of records a user may see or change."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from api.auth import ForbiddenError, can_edit, require_campaign
from api.deps import get_store
from api.inspection.service import Register
from geo.inspection import ArrivalRules
from layers.records import Record, RecordKind, RecordStore, User

__all__ = [
    "RegisterDep",
    "RulesDep",
    "editable_record",
    "get_register",
    "get_rules",
    "visible_record",
]


def get_register(request: Request) -> Register:
    """The marker register of the app's layer store (created on first use)."""
    register: Register | None = getattr(request.app.state, "inspection_register", None)
    if register is None:
        register = Register(get_store(request))
        request.app.state.inspection_register = register
    return register


def get_rules() -> ArrivalRules:
    """Thresholds of the checks on arrival (override in ``app.dependency_overrides``)."""
    return ArrivalRules()


RegisterDep = Annotated[Register, Depends(get_register)]
RulesDep = Annotated[ArrivalRules, Depends(get_rules)]


def visible_record(
    records: RecordStore, user: User, record_id: UUID, kind: RecordKind | None
) -> Record:
    """A record the user may see (404 if absent, 403 outside their campaigns)."""
    record = records.get_record(str(record_id), kind=kind)
    require_campaign(user, records, record.campaign_id)
    return record


def editable_record(
    records: RecordStore, user: User, record_id: UUID, kind: RecordKind | None
) -> Record:
    """A record the user may change: their own (inspectors) or any (admins)."""
    record = visible_record(records, user, record_id, kind)
    if not can_edit(user, record):
        raise ForbiddenError(
            "only the inspector who created a record may change it", "只能修改本人提交的记录"
        )
    return record
