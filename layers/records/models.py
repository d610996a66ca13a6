"""What the record store holds: users, campaigns, inspection records, photos, reviews and
audit entries, as plain frozen dataclasses (no web or ORM types), plus the vocabulary of
roles, record kinds, segment states and review transitions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from layers.schema import CONDITIONS, FIX_TYPES, REVIEW_STATES

__all__ = [
    "CONDITIONS",
    "FIX_TYPES",
    "GENESIS_HASH",
    "KINDS",
    "REVIEWABLE_STATES",
    "REVIEW_STATES",
    "REVIEW_TARGETS",
    "ROLES",
    "SEGMENT_STATUSES",
    "SIDES",
    "Access",
    "AuditCheck",
    "AuditEntry",
    "Campaign",
    "Member",
    "Photo",
    "Record",
    "RecordFilter",
    "RecordKind",
    "Review",
    "Role",
    "User",
    "ZonePlanSummary",
    "ZonePlanVersion",
    "canonical_json",
    "etag_matches",
    "require_version",
    "sha256_hex",
]

Role = Literal["admin", "planner", "inspector", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "planner", "inspector", "viewer")

RecordKind = Literal["marker", "segment"]
#: ``marker``: one marker inspection (界桩检查); ``segment``: the course of the line between
#: two markers (界线走向检查)
KINDS: tuple[RecordKind, ...] = ("marker", "segment")

#: line course between two markers: unchanged / changed but recognisable / needs re-survey
SEGMENT_STATUSES: dict[str, str] = {
    "unchanged": "走向未变",
    "changed_recognisable": "有变化但可辨认",
    "needs_resurvey": "需重新勘测",
}
SIDES = ("left", "right")

#: review states a record may be reviewed from, and the states a review may set
REVIEWABLE_STATES = ("received", "has_issues")
REVIEW_TARGETS = ("has_issues", "approved", "rejected")

#: ``prev_hash`` of the first audit entry
GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal text (and hashes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of bytes, or of text encoded as UTF-8."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def etag_matches(if_match: str, etag: str) -> bool:
    """Whether an ``If-Match`` header value (``*`` or a list of entity tags) names
    ``etag``; weak tags (``W/"..."``) never match, as RFC 9110 asks for ``If-Match``."""
    tags = [t.strip() for t in if_match.split(",") if t.strip()]
    return "*" in tags or etag in tags


def require_version(record_id: str, if_match: str, etag: str) -> None:
    """:class:`PreconditionFailedError` (412) unless ``if_match`` names ``etag``."""
    if not etag_matches(if_match, etag):
        from layers._errors import PreconditionFailedError

        msg = (
            f"record {record_id} has changed since {if_match} (now {etag}); fetch"
            f" it again and re-apply your change / 记录已被他人修改，请重新获取后再提交"
        )
        raise PreconditionFailedError(msg)


@dataclass(frozen=True)
class User:
    """A person who signs in; ``password_hash`` is an argon2 hash (never the password)."""

    username: str
    role: Role
    display_name: str
    password_hash: str
    active: bool = True
    created_at: str = ""

    def to_public(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "role": self.role,
            "display_name": self.display_name,
            "active": self.active,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Access:
    """What a bearer token grants, read in one statement: its user, the campaigns the user
    is a member of, when the token expires, and the store's security generation then (see
    :meth:`~layers.records.base.RecordStore.access_for_token`)."""

    user: User
    campaign_ids: tuple[str, ...]
    expires_at: str
    generation: int


@dataclass(frozen=True)
class Member:
    """A user taking part in a campaign for one side of the line."""

    campaign_id: str
    username: str
    side: str


@dataclass(frozen=True)
class Campaign:
    """One joint inspection (联检) of one line: round, year, and the units on both sides."""

    campaign_id: str
    line_code: str
    round_no: int
    year: int
    name: str
    left_code: str
    left_name: str
    right_code: str
    right_name: str
    created_by: str = ""
    created_at: str = ""
    estimated: bool = False

    def to_public(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Record:
    """One inspection record of either kind.

    ``body`` is what the client sent (canonical JSON types); ``computed`` is what the
    checks on arrival derived from it (displacement, flags, chainage). ``version`` grows
    with every update or review; ``etag`` names the version for ``If-Match``.
    """

    kind: RecordKind
    record_id: str
    campaign_id: str
    line_code: str
    body: dict[str, Any]
    computed: dict[str, Any]
    review_state: str
    version: int
    created_by: str
    created_at: str
    updated_at: str
    estimated: bool = False
    photos: tuple[Photo, ...] = ()

    @property
    def etag(self) -> str:
        """A strong entity tag of this version (quoted, as HTTP sends it)."""
        digest = sha256_hex(canonical_json([self.record_id, self.version, self.body]))[:16]
        return f'"v{self.version}-{digest}"'

    @property
    def expected_photos(self) -> list[str]:
        return [p["sha256"] for p in self.body.get("photos") or []]

    @property
    def received_photos(self) -> list[str]:
        return [p.sha256 for p in self.photos]

    def photo_status(self) -> dict[str, list[str]]:
        """Expected, received and still missing photos (by sha256)."""
        received = self.received_photos
        missing = [h for h in self.expected_photos if h not in set(received)]
        return {"expected": self.expected_photos, "received": received, "missing": missing}


@dataclass(frozen=True)
class Photo:
    """A photo attached to a record (metadata; bytes are read separately)."""

    record_id: str
    sha256: str
    content_type: str
    size_bytes: int
    name: str
    uploaded_by: str
    uploaded_at: str

    def to_public(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "record_id"}


@dataclass(frozen=True)
class Review:
    """One review decision on one version of a record."""

    record_id: str
    from_state: str
    to_state: str
    comment: str
    reviewer: str
    reviewed_at: str
    version: int

    def to_public(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "record_id"}


@dataclass(frozen=True)
class AuditEntry:
    """One row of the append-only audit log; ``hash`` chains it to the row before."""

    seq: int
    at: str
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def to_public(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AuditCheck:
    """Result of re-computing the audit chain: ``ok`` unless a row was altered or removed."""

    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str = ""

    def to_public(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RecordFilter:
    """Which records to list. ``campaign_ids`` restricts to those campaigns (``None``: all);
    ``text`` searches notes, damage detail and marker numbers."""

    campaign_ids: tuple[str, ...] | None = None
    campaign_id: str | None = None
    line_code: str | None = None
    marker_no: str | None = None
    condition: str | None = None
    status: str | None = None
    review_state: str | None = None
    created_by: str | None = None
    flag: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class ZonePlanVersion:
    """One version of a stored responsibility-zone plan (责任片区方案).

    ``request`` is the zoning request the plan was solved for (JSON types);
    ``assignment`` maps every unit id to its station id (``None``: unassigned); ``locked``
    lists the units held by hand; ``info`` is how the version was made (a solve's or an
    edit's ``SolveInfo`` as a dict); ``inputs`` stamps the input layers it was made on
    (:func:`layers.records.layer_stamps`); ``summary`` is what a list of plans shows;
    ``changed`` lists the units whose station differs from the version before.
    ``created_*`` is the plan's first version, ``updated_*`` this one.
    """

    plan_id: str
    version: int
    request: dict[str, Any]
    assignment: dict[str, str | None]
    locked: tuple[str, ...]
    info: dict[str, Any] | None
    notes: tuple[str, ...]
    inputs: dict[str, Any]
    summary: dict[str, Any]
    changed: tuple[str, ...]
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str


@dataclass(frozen=True)
class ZonePlanSummary:
    """A plan (or one version of it, in its history) without its assignment."""

    plan_id: str
    version: int
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str
    summary: dict[str, Any]
    changed: tuple[str, ...] = ()

    def to_public(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["changed"] = list(self.changed)
        return out
