"""Versions as ETags: what a versioned resource (a zone plan, a resize proposal) answers in
``ETag`` and reads from ``If-Match`` (428 without it, 400 when it is not a version)."""

from __future__ import annotations

from api.errors import InvalidParameterError, PreconditionRequiredError

__all__ = ["based_on", "etag"]


def etag(version: int) -> str:
    """The ETag of a version: ``"3"``."""
    return f'"{version}"'


def based_on(if_match: str | None) -> int:
    """The version an ``If-Match`` header names.

    Raises
    ------
    PreconditionRequiredError
        No header (HTTP 428).
    InvalidParameterError
        Not a version (HTTP 400).
    """
    if if_match is None:
        raise PreconditionRequiredError()
    text = if_match.strip().removeprefix("W/").strip('"')
    try:
        return int(text)
    except ValueError:
        raise InvalidParameterError(
            "If-Match", if_match, "must be a plan version (ETag)", "应为方案版本（ETag）"
        ) from None
