"""``/auth/token`` (sign in with a password, get a bearer token) and ``/users`` (admin):
add, list, disable, enable, set a password, revoke tokens, remove."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from starlette.concurrency import run_in_threadpool

from api.auth import Admin, Reader, RecordsDep
from api.errors import ERROR_RESPONSES, ErrorBody
from api.users import signin
from api.users.passwords import check_password
from api.users.schemas import (
    LOCKED_PASSWORD,
    PasswordSet,
    TokenPublic,
    UserChanged,
    UserCreate,
    UserMe,
    UserPublic,
)
from api.web.session import SESSION_DAYS, set_session
from layers import ConflictError
from layers.records import RecordStore, User

__all__ = ["router"]

router = APIRouter(tags=["users / 用户"])
Username = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{2,64}$")]
_MANAGE: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    409: {"model": ErrorBody, "description": "Refused / 操作被拒绝"},
}


@router.post(
    "/auth/token",
    response_model=TokenPublic,
    summary="Sign in: a bearer token / 登录并获取令牌",
    responses={
        401: {"model": ErrorBody, "description": "Wrong password / 用户名或密码错误"},
        429: {"model": ErrorBody, "description": "Throttled / 登录过于频繁"},
    },
)
async def sign_in(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], records: RecordsDep
) -> JSONResponse:
    """Exchange a username and password for a bearer token (also set as the session cookie
    of the pages and maps). The token is shown once. Repeated failures are throttled (429)."""
    token, expires_at = await signin.sign_in(request, records, form.username, form.password)
    body = {"access_token": token, "token_type": "bearer", "expires_at": expires_at}
    answer = JSONResponse(body)
    set_session(request, answer, token, days=SESSION_DAYS)
    return answer


@router.get("/users/me", response_model=UserMe, summary="The signed-in user / 当前用户")
def me(user: Reader, records: RecordsDep) -> dict[str, Any]:
    return {**user.to_public(), "campaigns": list(records.campaigns_of(user.username))}


@router.get("/users", response_model=list[UserPublic], summary="Users (admin) / 用户列表（管理员）")
def list_users(user: Admin, records: RecordsDep) -> list[dict[str, Any]]:
    return [u.to_public() for u in records.list_users()]


@router.post(
    "/users",
    status_code=201,
    response_model=UserPublic,
    summary="Add a user (admin) / 添加用户（管理员）",
    responses=_MANAGE,
)
async def add_user(body: UserCreate, user: Admin, records: RecordsDep) -> dict[str, Any]:
    display = body.display_name or body.username
    await run_in_threadpool(
        check_password, body.password, username=body.username, display_name=display
    )
    hashed = await signin.hash_off_loop(body.password)
    new = User(body.username, body.role, display, hashed)
    added = await run_in_threadpool(lambda: records.add_user(new, actor=user.username))
    return added.to_public()


@router.post(
    "/users/{username}/disable",
    response_model=UserChanged,
    summary="Disable a user and revoke every token (admin) / 停用用户并吊销其全部令牌",
    responses=_MANAGE,
)
def disable_user(username: Username, user: Admin, records: RecordsDep) -> dict[str, Any]:
    _not_self(user, username, "disable")
    return _updated(records, username, user, active=False)


@router.post(
    "/users/{username}/enable",
    response_model=UserChanged,
    summary="Enable a user (admin) / 启用用户",
    responses=_MANAGE,
)
def enable_user(username: Username, user: Admin, records: RecordsDep) -> dict[str, Any]:
    return _updated(records, username, user, active=True)


@router.post(
    "/users/{username}/revoke",
    response_model=UserChanged,
    summary="Revoke every token; password sign-in locked until a new password is set (admin)"
    " / 吊销全部令牌，设置新密码前不能用密码登录",
    responses=_MANAGE,
)
def revoke_user(username: Username, user: Admin, records: RecordsDep) -> dict[str, Any]:
    return _updated(records, username, user, revoke=True, password_hash=LOCKED_PASSWORD)


@router.put(
    "/users/{username}/password",
    response_model=UserChanged,
    summary="Set a user's password; revokes every token (admin) / 设置用户密码并吊销其全部令牌",
    responses=_MANAGE,
)
async def set_password(
    username: Username, body: PasswordSet, user: Admin, records: RecordsDep
) -> dict[str, Any]:
    target = await run_in_threadpool(records.get_user, username)
    await run_in_threadpool(
        check_password, body.password, username=username, display_name=target.display_name
    )
    hashed = await signin.hash_off_loop(body.password)
    return await run_in_threadpool(_updated, records, username, user, password_hash=hashed)


@router.delete(
    "/users/{username}",
    status_code=204,
    summary="Remove a user named by no record (admin) / 删除未留下任何记录的用户",
    responses=_MANAGE,
)
def remove_user(username: Username, user: Admin, records: RecordsDep) -> Response:
    _not_self(user, username, "remove")
    records.remove_user(username, actor=user.username)
    return Response(status_code=204)


def _updated(records: RecordStore, username: str, admin: User, **change: Any) -> dict[str, Any]:
    updated, revoked = records.update_user(username, actor=admin.username, **change)
    return {**updated.to_public(), "tokens_revoked": revoked}


def _not_self(admin: User, username: str, what: str) -> None:
    if admin.username == username:
        msg = f"you cannot {what} yourself / 不能{'停用' if what == 'disable' else '删除'}自己"
        raise ConflictError(msg)
