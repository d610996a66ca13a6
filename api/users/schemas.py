"""Request and response bodies of the users routes and commands."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas import StrictModel

__all__ = ["UserCreate"]


class UserCreate(StrictModel):
    """A new user (admin only)."""

    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,64}$")
    role: Literal["admin", "planner", "inspector", "viewer"]
    display_name: str = Field("", max_length=100)
    password: str = Field(min_length=8, max_length=200)
