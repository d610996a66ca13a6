"""Errors of the record store, placed in the :mod:`layers` hierarchy so that one table maps
them to HTTP statuses::

    FeatureNotFoundError (404)
    └── RecordNotFoundError         no such record, campaign, user, photo or zone plan
    LayerValidationError (422)
    └── RecordValidationError       a submitted record breaks a rule (unknown marker, ...)
    ConflictError (409)             same id with a different body; record already final
    └── AmbiguousRecordError        a record id held by several campaigns, none named
    PreconditionFailedError (412)   ``If-Match`` (or a plan edit) names a version that is no
                                    longer current

:class:`AccessChangedError` is no HTTP answer: it tells the caller of a write that checked
access on a cached grant to check again, uncached.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers._errors import ConflictError, FeatureNotFoundError, LayerValidationError

__all__ = [
    "AccessChangedError",
    "AmbiguousRecordError",
    "RecordNotFoundError",
    "RecordValidationError",
]


class RecordNotFoundError(FeatureNotFoundError):
    """No record (campaign, user, photo) with that id."""

    def __init__(self, what: str, key: object) -> None:
        msg = f"no {what} {key!r} / 未找到{_ZH.get(what, what)} {key!r}"
        KeyError.__init__(self, msg)


class AmbiguousRecordError(ConflictError):
    """Several campaigns hold a record with this id (a record's identity is its campaign and
    its id) and none was named; ``campaign_ids`` lists them."""

    def __init__(self, record_id: str, campaign_ids: tuple[str, ...]) -> None:
        self.record_id, self.campaign_ids = record_id, campaign_ids
        names = ", ".join(campaign_ids)
        super().__init__(
            f"record {record_id} exists in campaigns {names}; name one with campaign_id"
            f" / 多个联检批次（{names}）都有记录 {record_id}，请用 campaign_id 指明批次"
        )


class AccessChangedError(Exception):
    """A write named a security generation that is no longer the store's: a token was
    revoked, a user disabled, a password, membership or campaign changed since the caller's
    grant was read. Nothing was written; check access again without a cache and retry."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(f"security generation {found}, the write expected {expected}")
        self.expected, self.found = expected, found


_ZH = {
    "record": "记录",
    "campaign": "联检批次",
    "user": "用户",
    "photo": "照片",
    "marker": "界桩",
    "line": "界线",
    "zone plan": "责任片区方案",
    "zone plan version": "责任片区方案版本",
}


@dataclass
class RecordValidationError(LayerValidationError):
    """A submitted record breaks a rule; ``problems`` lists each one."""

    @property
    def message(self) -> str:
        reasons = "; ".join(f"{p.field}: {p.reason}" for p in self.errors)
        return f"record refused, nothing was stored / 记录被拒绝，未保存: {reasons}"
