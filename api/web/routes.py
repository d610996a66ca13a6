"""Sign-in, sign-out and the language toggle: ``/signin``, ``/signout``, ``/lang/{code}``.

Signing in issues a bearer token (:func:`api.auth.issue_token`, label ``web session``) held
by the session cookie; signing out revokes that one token (other tokens of the user, e.g. a
script's, stay valid) and drops the cookie. Both forms carry a CSRF token
(:mod:`api.web.session`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import RecordsDep, UnauthenticatedError, token_digest
from api.users import signin as signing
from api.web.i18n import LANG_COOKIE
from api.web.render import page_user, render
from api.web.session import (
    SESSION_DAYS,
    clear_session,
    csrf_matches,
    ensure_presession,
    is_https,
    safe_next,
    session_token,
    set_session,
)

__all__ = ["router"]

router = APIRouter(tags=["pages / 页面"], include_in_schema=False)

NextQuery = Annotated[str | None, Query(max_length=2000)]
_TEXT = Annotated[str, Form(max_length=200)]


def _signin_page(
    request: Request, *, next_url: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    probe = Response()
    # the form's CSRF key: the session (when signed in already), else a pre-session cookie
    secret = None if session_token(request) else ensure_presession(request, probe)
    context = {"next_url": next_url, "error": error, "signed_out": "out" in request.query_params}
    page = render(request, "signin.html", context, status_code=status_code, csrf_secret=secret)
    for value in probe.headers.getlist("set-cookie"):
        page.headers.append("set-cookie", value)
    return page


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: NextQuery = None) -> HTMLResponse:
    """The sign-in form (``next``: the page to return to, on this site only)."""
    return _signin_page(request, next_url=safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
async def signin(
    *,
    request: Request,
    records: RecordsDep,
    username: _TEXT,
    password: _TEXT,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password (throttled and audited like ``POST /auth/token``); on success set
    the session cookie and go to ``next``."""
    target = safe_next(next)
    if not csrf_matches(request, csrf_token):
        return _signin_page(request, next_url=target, error="signin_expired", status_code=400)
    try:
        token, _ = await signing.sign_in(request, records, username.strip(), password)
    except UnauthenticatedError:
        return _signin_page(request, next_url=target, error="signin_failed", status_code=401)
    except HTTPException as exc:  # 429: too many failures, or too many sign-ins at once
        page = _signin_page(request, next_url=target, error="signin_throttled", status_code=429)
        page.headers.update(exc.headers or {})
        return page
    answer = RedirectResponse(target, status_code=303)
    set_session(request, answer, token, days=SESSION_DAYS)
    return answer


@router.post("/signout")
def signout(
    request: Request,
    records: RecordsDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Revoke this browser's session token and drop the cookie (CSRF token required)."""
    token = session_token(request)
    if token and not csrf_matches(request, csrf_token):
        return render(request, "error.html", {"message": "signin_expired"}, status_code=400)
    if token:
        user = page_user(request)
        records.revoke_token(token_digest(token), actor=user.username if user else "anonymous")
    answer = RedirectResponse("/signin?out=1", status_code=303)
    clear_session(request, answer)
    return answer


@router.get("/lang/{code}")
def set_language(request: Request, code: Literal["zh", "en"], next: NextQuery = None) -> Response:
    """Switch the pages' language (kept in a cookie for a year) and go back to ``next``."""
    answer = RedirectResponse(safe_next(next), status_code=303)
    answer.set_cookie(
        LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", secure=is_https(request), path="/"
    )
    return answer
