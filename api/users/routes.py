"""``/auth/token`` (sign in with a password, get a bearer token) and ``/users`` (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import (
    COOKIE_NAME,
    Admin,
    Reader,
    RecordsDep,
    UnauthenticatedError,
    hash_password,
    issue_token,
    verify_password,
)
from api.users.schemas import UserCreate
from layers.records import RecordNotFoundError, User

__all__ = ["router"]

router = APIRouter(tags=["users / 用户"])


@router.post("/auth/token", summary="Sign in: a bearer token / 登录并获取令牌")
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], records: RecordsDep
) -> JSONResponse:
    """Exchange a username and password for a bearer token (also set as a cookie for the
    map pages). The token is shown once."""
    try:
        user: User | None = records.get_user(form.username)
    except RecordNotFoundError:
        user = None
    known_hash = user.password_hash if user is not None and user.active else None
    if not verify_password(known_hash, form.password) or user is None:
        raise UnauthenticatedError("wrong username or password")
    token, expires_at = issue_token(records, user.username, actor=user.username, label="sign-in")
    body = {"access_token": token, "token_type": "bearer", "expires_at": expires_at}
    answer = JSONResponse(body)
    answer.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict", max_age=30 * 86400)
    return answer


@router.get("/users/me", summary="The signed-in user / 当前用户")
def me(user: Reader, records: RecordsDep) -> dict[str, Any]:
    return {**user.to_public(), "campaigns": list(records.campaigns_of(user.username))}


@router.get("/users", summary="Users (admin) / 用户列表（管理员）")
def list_users(user: Admin, records: RecordsDep) -> list[dict[str, Any]]:
    return [u.to_public() for u in records.list_users()]


@router.post("/users", status_code=201, summary="Add a user (admin) / 添加用户（管理员）")
def add_user(body: UserCreate, user: Admin, records: RecordsDep) -> dict[str, Any]:
    new = User(
        body.username, body.role, body.display_name or body.username, hash_password(body.password)
    )
    return records.add_user(new, actor=user.username).to_public()
