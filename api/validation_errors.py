"""Request validation errors reshaped into the project's error body: one bilingual problem
per parameter or body field naming the value sent (never echoed when it is a password, and
shown as its ``repr`` when strict JSON cannot carry it); 400 for parameters, 422 for bodies.
Registered by :func:`api.errors.register_error_handlers`.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.bodies import valid_unicode

__all__ = [
    "MAX_VALUE_CHARS",
    "json_value",
    "model_validation_handler",
    "request_validation_handler",
    "shorten_value",
]

MAX_VALUE_CHARS = 80


def shorten_value(value: object) -> str:
    """``repr(value)``, cut to :data:`MAX_VALUE_CHARS` so a huge parameter is not echoed."""
    text = ascii(value) if isinstance(value, str) and not valid_unicode(value) else repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _reason(error: dict[str, Any]) -> str:
    """A bilingual reason for one pydantic error."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    fixed = _REASONS.get(kind)
    if fixed is not None:
        return fixed
    if kind in _BOUND_REASONS:
        key, en, zh = _BOUND_REASONS[kind]
        return f"{en} {ctx.get(key)} / {zh} {ctx.get(key)}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')} / 格式应为 {ctx.get('pattern')}"
    if kind == "value_error" and " / " in str(ctx.get("error", "")):
        return str(ctx["error"])  # a validator's own bilingual message
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} / 必须是以下之一：{ctx.get('expected')}"
    return f"{error.get('msg', 'invalid value')} / 取值无效"


_REASONS = {
    "missing": "is required / 为必填项",
    "int_parsing": "must be an integer / 必须是整数",
    "int_type": "must be an integer / 必须是整数",
    "int_from_float": "must be an integer / 必须是整数",
    "float_parsing": "must be a number / 必须是数字",
    "float_type": "must be a number / 必须是数字",
    "finite_number": "must be a finite number / 必须是有限数值",
    "bool_parsing": "must be true or false / 必须是 true 或 false",
    "json_invalid": "is not valid JSON / 不是有效的 JSON",
    "uuid_parsing": "must be a UUID / 必须是 UUID",
    "datetime_from_date_parsing": "must be an ISO 8601 date-time / 必须是 ISO 8601 日期时间",
    "datetime_parsing": "must be an ISO 8601 date-time / 必须是 ISO 8601 日期时间",
}
_BOUND_REASONS = {
    "greater_than_equal": ("ge", "must be ≥", "必须大于等于"),
    "greater_than": ("gt", "must be >", "必须大于"),
    "less_than_equal": ("le", "must be ≤", "必须小于等于"),
    "less_than": ("lt", "must be <", "必须小于"),
    "string_too_short": ("min_length", "must have at least this many characters:", "最少字符数"),
    "string_too_long": ("max_length", "must have at most this many characters:", "最多字符数"),
}
_PARAMETER_LOCATIONS = {"query", "path", "header", "cookie"}


def _validation_problem(error: dict[str, Any]) -> dict[str, Any]:
    loc = [str(part) for part in error.get("loc", ())]
    location = loc[0] if loc else "request"
    field = ".".join(loc[1:]) or location
    value = error.get("input")
    if "password" in field.lower() or "passphrase" in field.lower():
        value = "***"  # never echoed
    elif not isinstance(value, str | int | float | bool | None):
        value = None if location == "body" else str(value)
    return {
        "location": location,
        "field": field,
        "value": json_value(value),
        "reason": _reason(error),
    }


def json_value(value: object) -> object:
    """``value`` as strict JSON can carry it: a non-finite number or a string that is not
    valid Unicode is shown as its ``repr`` (never echoed raw: the encoder would fail)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str) and not valid_unicode(value):
        return ascii(value)
    return value


def _half(problem: dict[str, Any], index: int) -> str:
    return str(problem["reason"]).split(" / ")[index]


async def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """Reshape FastAPI's validation errors: 400 for query/path/header parameters (as OGC API
    asks), 422 for request bodies; the detail names each parameter and the value sent."""
    assert isinstance(exc, RequestValidationError)
    problems = [_validation_problem(e) for e in exc.errors()]
    in_params = all(p["location"] in _PARAMETER_LOCATIONS for p in problems)
    en = "; ".join(f"{p['field']}={shorten_value(p['value'])} {_half(p, 0)}" for p in problems)
    zh = "；".join(f"{p['field']}={shorten_value(p['value'])} {_half(p, -1)}" for p in problems)
    body = {
        "code": "invalid_parameter" if in_params else "invalid_body",
        "detail": f"invalid request: {en} / 请求无效：{zh}",
        "problems": problems,
    }
    return JSONResponse(body, status_code=400 if in_params else 422)


async def model_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """A request model a route built from what the client sent (``ResizeRequest(codes=...)``)
    and that refused it: 422 naming each field, as the request's own validation does."""
    assert isinstance(exc, ValidationError)
    errors = [{**e, "loc": ("request", *e["loc"])} for e in exc.errors(include_url=False)]
    return await request_validation_handler(request, RequestValidationError(errors))
