"""Request and response bodies of the users routes and commands."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas import PublicModel, StrictModel
from api.users.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS

__all__ = [
    "LOCKED_PASSWORD",
    "PasswordSet",
    "Role",
    "TokenPublic",
    "UserChanged",
    "UserCreate",
    "UserMe",
    "UserPublic",
]

Role = Literal["admin", "planner", "inspector", "viewer"]
#: the password hash of a user whose password sign-in is locked (no argon2 hash matches it)
LOCKED_PASSWORD = "!"


class UserCreate(StrictModel):
    """A new user (admin only)."""

    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,64}$")
    role: Role
    display_name: str = Field("", max_length=100)
    password: str = Field(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)


class PasswordSet(StrictModel):
    """A new password (admin only)."""

    password: str = Field(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)


class UserPublic(PublicModel):
    """A user as the service shows it (never the password hash)."""

    username: str
    role: Role
    display_name: str
    active: bool
    created_at: str = Field(description="UTC, ISO 8601 / 创建时间")


class UserMe(UserPublic):
    """The signed-in user and the campaigns they are a member of."""

    campaigns: list[str] = Field(description="Campaign ids / 所在联检批次")


class UserChanged(UserPublic):
    """A user after an admin changed them, with the tokens the change revoked."""

    tokens_revoked: int = Field(description="Tokens revoked by the change / 吊销的令牌数")


class TokenPublic(PublicModel):
    """A bearer token, shown once."""

    access_token: str
    token_type: Literal["bearer"]
    expires_at: str = Field(description="UTC, ISO 8601 / 过期时间")
