"""Who may do what: argon2 passwords, bearer tokens stored hashed, roles, and the
dependencies that enforce them on every route.

==================  =====  =======  =========  ======
action              admin  planner  inspector  viewer
==================  =====  =======  =========  ======
read                 yes    yes      own¹       yes
submit (records)     yes    no       own¹ ²     no
review               yes    yes      no         no
plan (campaigns)     yes    yes      no         no
export (reports)     yes    yes      no         yes
audit (read log)     yes    no       no         no
manage users         yes    no       no         no
==================  =====  =======  =========  ======

¹ An inspector sees and submits records only in campaigns they are a member of.
² and edits only records they created, until they are approved or rejected.

Tokens are 256-bit random strings shown once; the store keeps their SHA-256 only. Passwords
are hashed with argon2id (argon2-cffi). A browser may send the token as the ``mzgis_token``
session cookie (set by the sign-in page): on GET requests as it is, on writes only with the
session's CSRF token in the ``X-CSRF-Token`` header (:mod:`api.web.session`; 403 without it).
Clients sending ``Authorization: Bearer`` never need a CSRF token.

The layers (``/collections``), the map pages (``/maps``) and the analyses are open to anyone
while ``MZGIS_PUBLIC_READ`` is on (the default, so the demo opens in a browser); when it is
off, :func:`read_access` lets through only signed-in users whose role may ``read``.
Inspection records and their map always need a signed-in reader, and so do layers that
hold records (:data:`RECORD_LAYER_KINDS`, e.g. the demo's ``inspections``): only roles that
read every campaign read them as layers; listings and the layers map leave them out for
everyone else.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Annotated, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from api.deps import LayerDep, get_settings, get_store
from api.web.session import CSRF_HEADER, SESSION_COOKIE, csrf_matches
from layers.records import (
    Record,
    RecordStore,
    User,
    now_iso,
    open_record_store,
    sha256_hex,
)
from layers.store import LayerInfo

__all__ = [
    "ANONYMOUS",
    "COOKIE_NAME",
    "PERMISSIONS",
    "RECORD_LAYER_KINDS",
    "REVOKED",
    "TOKEN_PREFIX",
    "Action",
    "Actor",
    "BearerToken",
    "CsrfError",
    "ForbiddenError",
    "RecordsDep",
    "UnauthenticatedError",
    "actor_name",
    "can_edit",
    "current_user",
    "get_records",
    "hash_password",
    "issue_token",
    "may_read_record_layers",
    "new_token",
    "permitted",
    "read_access",
    "readable_layer",
    "request_token",
    "require",
    "token_digest",
    "verify_password",
    "visible_campaigns",
]

Action = Literal["read", "submit", "review", "plan", "export", "audit", "manage_users"]
PERMISSIONS: dict[Action, frozenset[str]] = {
    "read": frozenset({"admin", "planner", "inspector", "viewer"}),
    "submit": frozenset({"admin", "inspector"}),
    "review": frozenset({"admin", "planner"}),
    "plan": frozenset({"admin", "planner"}),
    "export": frozenset({"admin", "planner", "viewer"}),
    "audit": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
}
COOKIE_NAME = SESSION_COOKIE
TOKEN_PREFIX = "mzgis_"
DEFAULT_TOKEN_DAYS = 30
#: why a token that was sent does not sign in
REVOKED = "the token is unknown, expired or revoked"

_hasher = PasswordHasher()
#: verified against when the user does not exist, so both paths take the same time
_DUMMY_HASH = _hasher.hash("not a password")


class UnauthenticatedError(HTTPException):
    """No token, or one that is unknown, expired or revoked (HTTP 401)."""

    def __init__(self, reason: str = "sign in first: send 'Authorization: Bearer <token>'") -> None:
        detail = f"{reason} / 请先登录（请求头 Authorization: Bearer <令牌>）"
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})


class ForbiddenError(HTTPException):
    """Signed in, but the role or campaign membership does not allow it (HTTP 403)."""

    def __init__(self, reason_en: str, reason_zh: str, *, action: Action | None = None) -> None:
        super().__init__(403, f"{reason_en} / {reason_zh}")
        self.reason_en, self.reason_zh = reason_en, reason_zh
        self.action = action  # the permission the role lacks, when that is the reason


class CsrfError(HTTPException):
    """A write authenticated by the session cookie without this session's CSRF token (403)."""

    def __init__(self) -> None:
        detail = (
            f"a write signed in by cookie must send the page's CSRF token ({CSRF_HEADER});"
            " reload the page and try again"
            f" / 通过浏览器登录的写操作须携带页面的 CSRF 令牌（{CSRF_HEADER}），请刷新页面后重试"
        )
        super().__init__(403, detail)


# -- passwords and tokens ----------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted, with its parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``None`` (no such user) costs the same time and fails."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A new bearer token: the prefix and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a token: its SHA-256 (hex)."""
    return sha256_hex(token)


def issue_token(
    records: RecordStore,
    username: str,
    *,
    actor: str,
    label: str = "",
    days: float = DEFAULT_TOKEN_DAYS,
) -> tuple[str, str]:
    """Create a token for ``username``: ``(token, expires_at)``. The token is returned once
    and never stored."""
    token = new_token()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    expires_at = expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    records.add_token(
        username, token_digest(token), label=label, expires_at=expires_at, actor=actor
    )
    return token, expires_at


# -- dependencies ------------------------------------------------------------------------


def get_records(request: Request) -> RecordStore:
    """The record store beside the app's layer store (opened on first use)."""
    records: RecordStore | None = getattr(request.app.state, "records", None)
    if records is None:
        records = open_record_store(get_store(request))
        request.app.state.records = records
    return records


RecordsDep = Annotated[RecordStore, Depends(get_records)]
_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
#: the ``Authorization: Bearer`` token when one is sent (see :func:`request_token`)
BearerToken = Annotated[str | None, Depends(_bearer)]


def request_token(request: Request, token: str | None) -> str:
    """The bearer token of the request (401 without one): the ``Authorization`` header,
    else the session cookie (on a write only with the session's CSRF token:
    :class:`CsrfError` otherwise)."""
    if token is None:
        token = request.cookies.get(COOKIE_NAME)
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        if token and not safe and not csrf_matches(request, request.headers.get(CSRF_HEADER)):
            raise CsrfError()
    if not token:
        raise UnauthenticatedError()
    return token


def current_user(
    request: Request, records: RecordsDep, token: Annotated[str | None, Depends(_bearer)]
) -> User:
    """The user whose bearer token came with the request (401 otherwise; see
    :func:`request_token`)."""
    user = records.user_for_token(token_digest(request_token(request, token)), now=now_iso())
    if user is None:
        raise UnauthenticatedError(REVOKED)
    return user


def permitted(user: User, action: Action) -> User:
    """``user`` if their role may do ``action``; 403 otherwise."""
    if user.role not in PERMISSIONS[action]:
        raise ForbiddenError(
            f"role {user.role!r} may not {action.replace('_', ' ')}",
            f"角色 {user.role} 无权执行此操作（{action}）",
            action=action,
        )
    return user


def require(action: Action) -> Callable[[User], User]:
    """A dependency that lets through users whose role may do ``action`` (403 otherwise)."""

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        return permitted(user, action)

    dependency.__name__ = f"require_{action}"
    return dependency


def read_access(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> User | None:
    """Anyone (``None``) while ``MZGIS_PUBLIC_READ`` is on; otherwise the signed-in user,
    whose role must allow ``read`` (401 without a valid token, 403 for another role).

    Add it to a router of layers, maps or analyses: ``dependencies=[Depends(read_access)]``.
    """
    if get_settings(request).public_read:
        return None  # the record store is not even opened
    return permitted(current_user(request, get_records(request), token), "read")


#: layer kinds that hold inspection records (names of inspectors): never public, read by
#: the roles that read every campaign's records (an inspector reads them under /inspections)
RECORD_LAYER_KINDS = frozenset({"inspections"})


def readable_layer(
    request: Request, info: LayerDep, token: Annotated[str | None, Depends(_bearer)]
) -> LayerInfo:
    """``info`` (the ``{layer}`` path parameter) when the caller may read it: any layer as
    :func:`read_access` says, and a layer of :data:`RECORD_LAYER_KINDS` only for a signed-in
    admin, planner or viewer (401 without a token, 403 for an inspector)."""
    if info.kind not in RECORD_LAYER_KINDS:
        return info
    user = permitted(current_user(request, get_records(request), token), "read")
    if visible_campaigns(user, get_records(request)) is not None:
        raise ForbiddenError(
            "inspection records are read under /inspections (your campaigns only)",
            "联检记录请在 /inspections 查看（仅限您参与的批次）",
        )
    return info


def may_read_record_layers(request: Request, token: str | None) -> bool:
    """Whether a listing may show the layers of :data:`RECORD_LAYER_KINDS` to this caller
    (a missing or bad token: no)."""
    if token is None and request.method in ("GET", "HEAD"):
        token = request.cookies.get(COOKIE_NAME)
    if not token:
        return False
    records = get_records(request)
    user = records.user_for_token(token_digest(token), now=now_iso())
    return user is not None and visible_campaigns(user, records) is None


ReadableLayerDep = Annotated[LayerInfo, Depends(readable_layer)]


def visible_campaigns(user: User, records: RecordStore) -> tuple[str, ...] | None:
    """Campaigns a user may see: ``None`` for all (every role but inspector)."""
    return records.campaigns_of(user.username) if user.role == "inspector" else None


def require_campaign(user: User, records: RecordStore, campaign_id: str) -> None:
    """403 unless ``user`` may see campaign ``campaign_id``."""
    visible = visible_campaigns(user, records)
    if visible is not None and campaign_id not in visible:
        raise ForbiddenError(
            f"you are not a member of campaign {campaign_id!r}",
            f"您不是联检批次 {campaign_id} 的成员",
        )


def can_edit(user: User, record: Record) -> bool:
    """Admins edit any record; inspectors only their own (review state is the store's rule)."""
    return user.role == "admin" or (user.role == "inspector" and record.created_by == user.username)


Reader = Annotated[User, Depends(require("read"))]
Submitter = Annotated[User, Depends(require("submit"))]
Reviewer = Annotated[User, Depends(require("review"))]
Planner = Annotated[User, Depends(require("plan"))]
Exporter = Annotated[User, Depends(require("export"))]
Auditor = Annotated[User, Depends(require("audit"))]
Admin = Annotated[User, Depends(require("manage_users"))]

#: who an analysis run is recorded as when no token is sent
ANONYMOUS = "anonymous"


def actor_name(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> str:
    """The user of the bearer token or of the page's session (a bad one is 401, a session
    write without its CSRF token 403), when one is sent; else anonymous."""
    if token is None and request.cookies.get(COOKIE_NAME) is None:
        return ANONYMOUS
    return current_user(request, get_records(request), token).username


Actor = Annotated[str, Depends(actor_name)]
