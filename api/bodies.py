"""One policy for request bodies, enforced as they stream in (a pure ASGI middleware).

- Size: a JSON body may hold at most ``Settings.max_json_bytes``, any other body (photo and
  file uploads) ``Settings.max_upload_bytes``; a route may lower its own budget before
  reading (:func:`limit_body`). A declared ``Content-Length`` beyond the budget is refused
  before anything is read; a chunked body is counted as it arrives and refused (413) the
  moment it passes the budget: nothing past it is read, buffered or spooled.
- JSON: the body must be UTF-8 JSON without ``NaN``/``Infinity``, without numbers that
  overflow a float, without integers beyond ±2**53 (what every JSON client keeps exactly)
  without lone UTF-16 surrogates (``"\\ud800"``, which no UTF-8 text can hold) and without
  NUL characters (which no PostgreSQL text holds): such a body gets 422 naming where the
  value sits, before any route sees it. Malformed JSON is left to the route's own
  validation (422 ``json_invalid`` with its position).
- Parameters: a NUL character in the path or the query string gets 400.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = ["BodyBudget", "BodyPolicyMiddleware", "json_problem", "limit_body", "valid_unicode"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_SAFE_INTEGER = 2**53
_SCOPE_KEY = "mzgis.body_budget"
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


@dataclass
class BodyBudget:
    """The bytes a request body may still bring; ``read`` so far."""

    limit_bytes: int
    read: int = 0
    exceeded: bool = False


def limit_body(request: Request, limit_bytes: int) -> None:
    """Lower the body budget of ``request`` (a route that knows its own limit, before it
    reads the body); raising it above the service's limit has no effect."""
    budget: BodyBudget | None = request.scope.get(_SCOPE_KEY)
    if budget is not None:
        budget.limit_bytes = min(budget.limit_bytes, limit_bytes)


class _PolicyError(Exception):
    """A value the JSON policy refuses: ``reason`` (bilingual) at ``field``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def json_problem(raw: bytes) -> tuple[str, str] | None:
    """``(field, reason)`` of the first value of the JSON body ``raw`` that the policy
    refuses, or ``None`` when it passes (or is not JSON at all: left to the route)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "body", f"is not UTF-8 (byte {exc.start}) / 不是 UTF-8 编码（第 {exc.start} 字节）"
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except _PolicyError as exc:
        return exc.field, exc.reason
    except ValueError:  # malformed: the route's validation names the position
        return None
    return _bad_string(value)


def _constant(name: str) -> Any:
    raise _PolicyError("body", f"{name} is not a number JSON allows / JSON 不允许 {name}")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _PolicyError("body", f"{text[:40]} is beyond the range of numbers / 数值超出范围")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_SAFE_INTEGER:
        shown = text if len(text) <= 40 else text[:39] + "…"
        msg = f"integer {shown} is beyond ±2^53 / 整数 {shown} 超出 ±2^53 范围"
        raise _PolicyError("body", msg)
    return int(text)


def _bad_string(value: Any) -> tuple[str, str] | None:
    """The path and reason of the first string (key or value) holding a lone surrogate or
    a NUL character."""
    stack: list[tuple[str, Any]] = [("body", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            reason = _string_problem(item)
            if reason:
                return path, reason
        elif isinstance(item, dict):
            for key, inner in item.items():
                reason = _string_problem(key)
                if reason:
                    return path, f"a key {reason} / 字段名{reason.split(' / ')[-1]}"
                stack.append((f"{path}.{key}", inner))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}", inner) for i, inner in enumerate(item))
    return None


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character / 含有 NUL 字符"
    if not valid_unicode(text):
        return "holds invalid Unicode (a lone surrogate) / 含有无效的 Unicode 字符"
    return None


def valid_unicode(text: str) -> bool:
    """Whether ``text`` holds valid Unicode only (no lone surrogate): UTF-8 can encode it."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _has_nul(scope: Scope) -> bool:
    query = bytes(scope.get("query_string", b"")).lower()
    path = scope.get("raw_path") or str(scope.get("path", "")).encode("utf-8", "replace")
    return b"%00" in query or b"\x00" in query or b"%00" in path or "\x00" in scope.get("path", "")


def _nul_parameter() -> JSONResponse:
    body = {
        "code": "invalid_parameter",
        "detail": "the path or a parameter holds a NUL character / 路径或参数含有 NUL 字符",
    }
    return JSONResponse(body, status_code=400)


def _too_large(limit: int) -> JSONResponse:
    body = {
        "code": "payload_too_large",
        "detail": f"request body larger than {limit} bytes / 请求体超过 {limit} 字节上限",
    }
    return JSONResponse(body, status_code=413, headers={"Connection": "close"})


def _refused(field: str, reason: str) -> JSONResponse:
    problem = {"location": "body", "field": field, "value": None, "reason": reason}
    body = {
        "code": "invalid_body",
        "detail": f"invalid request: {field} {reason.split(' / ', maxsplit=1)[0]}"
        f" / 请求无效：{field} {reason.rsplit(' / ', maxsplit=1)[-1]}",
        "problems": [problem],
    }
    return JSONResponse(body, status_code=422)


class BodyPolicyMiddleware:
    """Enforce the body policy of this module on every HTTP request.

    Parameters
    ----------
    app
        The ASGI app wrapped.
    max_json_bytes, max_upload_bytes
        Budgets of JSON bodies and of every other body.
    """

    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes, self.max_upload_bytes = max_json_bytes, max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope):
            await _nul_parameter()(scope, receive, send)
            return
        if scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        is_json = _is_json(scope)
        budget = BodyBudget(self.max_json_bytes if is_json else self.max_upload_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > budget.limit_bytes:
            await _too_large(budget.limit_bytes)(scope, receive, send)
            return
        if is_json:
            await self._json(scope, receive, send, budget)
            return
        scope[_SCOPE_KEY] = budget
        await self._streamed(scope, receive, send, budget)

    async def _json(self, scope: Scope, receive: Receive, send: Send, budget: BodyBudget) -> None:
        """Read the whole JSON body within the budget, check it, then hand it on."""
        parts: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            budget.read += len(chunk)
            if budget.read > budget.limit_bytes:
                await _too_large(budget.limit_bytes)(scope, receive, send)
                return
            parts.append(chunk)
            more = message.get("more_body", False)
        raw = b"".join(parts)
        problem = json_problem(raw) if raw else None
        if problem is not None:
            await _refused(*problem)(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # waits for the disconnect
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.app(scope, replay, send)

    async def _streamed(
        self, scope: Scope, receive: Receive, send: Send, budget: BodyBudget
    ) -> None:
        """Count the body as the app reads it; past the budget, stop reading and answer
        413 in place of whatever the app makes of the cut-off body."""
        started = False

        async def counted() -> Message:
            if budget.exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                budget.read += len(message.get("body", b""))
                if budget.read > budget.limit_bytes:
                    budget.exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if budget.exceeded:
                return  # the 413 below replaces the app's answer
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not budget.exceeded or started:
                raise
        if budget.exceeded and not started:
            await _too_large(budget.limit_bytes)(scope, receive, send)
