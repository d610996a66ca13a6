"""Who may open a page: dependencies that send a signed-out person to the sign-in page (with
``next=`` back here) and show a page saying why when the role is not enough, and the error
handlers that do the same for every browser navigation that meets a 401 or 403 (the map
pages included), while API clients keep their JSON errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from api.auth import PERMISSIONS, Action, ForbiddenError
from api.deps import get_settings
from api.errors import ERROR_STATUS, error_body, http_error_handler, table_error_handler
from api.web.i18n import ROLE_LABELS, request_lang
from api.web.render import page_user, render
from layers.records import User

__all__ = [
    "RoleRequiredError",
    "SignInRequiredError",
    "install_page_errors",
    "page_requires",
    "wants_html",
]

_ROLE_ORDER = ("admin", "planner", "inspector", "viewer")


class SignInRequiredError(Exception):
    """A page needs a signed-in user (answered with a redirect to the sign-in page)."""


class RoleRequiredError(Exception):
    """The signed-in user's role may not do what the page is for (a 403 page saying why)."""

    def __init__(self, user: User, action: Action) -> None:
        super().__init__(f"role {user.role!r} may not {action}")
        self.user, self.action = user, action


def wants_html(request: Request) -> bool:
    """Whether the request is a browser asking for a page (GET with ``text/html`` accepted
    explicitly; ``*/*`` alone, as API clients send, is not enough)."""
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")


def page_requires(action: Action) -> Callable[[Request], User]:
    """A page dependency: the signed-in user whose role may do ``action``; a signed-out
    person goes to the sign-in page, another role gets the "not allowed" page."""

    def dependency(request: Request) -> User:
        user = page_user(request)
        if user is None:
            raise SignInRequiredError()
        if user.role not in PERMISSIONS[action]:
            raise RoleRequiredError(user, action)
        return user

    dependency.__name__ = f"page_requires_{action}"
    return dependency


def _signin_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


def _forbidden_page(request: Request, *, roles: list[str], reason: str) -> Response:
    lang = request_lang(request, default=get_settings(request).lang)
    names = [ROLE_LABELS[r][0 if lang == "zh" else 1] for r in roles]
    roles_text = ("、" if lang == "zh" else ", ").join(names)
    context: dict[str, Any] = {"roles": roles, "roles_text": roles_text, "reason": reason}
    return render(request, "forbidden.html", context, status_code=403)


async def _sign_in_handler(request: Request, exc: Exception) -> Response:
    return _signin_redirect(request)


def _roles(action: Action) -> list[str]:
    return [r for r in _ROLE_ORDER if r in PERMISSIONS[action]]


async def _role_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RoleRequiredError)
    return _forbidden_page(request, roles=_roles(exc.action), reason="")


async def _http_handler(request: Request, exc: Exception) -> Response:
    """Browser navigations: 401 → the sign-in page, 403 → the "not allowed" page (the
    roles that may, or the reason in the page's language); the JSON error otherwise."""
    assert isinstance(exc, StarletteHTTPException)
    if wants_html(request) and exc.status_code == 401:
        return _signin_redirect(request)
    if wants_html(request) and isinstance(exc, ForbiddenError) and page_user(request):
        if exc.action is not None:
            return _forbidden_page(request, roles=_roles(exc.action), reason="")
        lang = request_lang(request, default=get_settings(request).lang)
        reason = exc.reason_zh if lang == "zh" else exc.reason_en
        return _forbidden_page(request, roles=[], reason=reason)
    return await http_error_handler(request, exc)


async def _table_page_handler(request: Request, exc: Exception) -> Response:
    """Browser navigations get the error (an unknown layer, a bad parameter…) as a page in
    their language; API clients the JSON error of :mod:`api.errors`."""
    if not wants_html(request):
        return await table_error_handler(request, exc)
    status, body = error_body(exc)
    detail = str(body.get("detail", ""))
    en, _, zh = detail.partition(" / ")
    lang = request_lang(request, default=get_settings(request).lang)
    shown = (zh or en) if lang == "zh" else en
    return render(request, "error.html", {"detail": shown}, status_code=status)


def install_page_errors(app: FastAPI) -> None:
    """Register the page handlers (after :func:`api.errors.register_error_handlers`)."""
    app.add_exception_handler(SignInRequiredError, _sign_in_handler)
    app.add_exception_handler(RoleRequiredError, _role_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    for cls in ERROR_STATUS:
        app.add_exception_handler(cls, _table_page_handler)
