"""Request and response bodies of the users routes and commands."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas import StrictModel
from api.users.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS

__all__ = ["LOCKED_PASSWORD", "PasswordSet", "UserCreate"]

#: the password hash of a user whose password sign-in is locked (no argon2 hash matches it)
LOCKED_PASSWORD = "!"


class UserCreate(StrictModel):
    """A new user (admin only)."""

    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,64}$")
    role: Literal["admin", "planner", "inspector", "viewer"]
    display_name: str = Field("", max_length=100)
    password: str = Field(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)


class PasswordSet(StrictModel):
    """A new password (admin only)."""

    password: str = Field(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)
