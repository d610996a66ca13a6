"""The browser session: the session cookie, CSRF tokens and safe redirect targets.

A signed-in browser holds its bearer token (from :func:`api.auth.issue_token`) in the
``mzgis_token`` cookie: ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when served over HTTPS.
GET requests may authenticate with it; a write authenticated by the cookie must also send
the session's CSRF token (header ``X-CSRF-Token``, or the form field ``csrf_token``), which
a page reads from ``<meta name="csrf-token">``. The token is an HMAC of the session token
(a synchronizer token that needs no server state), so another site can neither read nor
forge it; requests with an ``Authorization: Bearer`` header never need it.

Before sign-in, the sign-in form is protected the same way with a random pre-session
cookie (``mzgis_csrf``) as the HMAC key.

This module imports nothing from the rest of ``api`` so every part can use it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PRESESSION_COOKIE",
    "SESSION_COOKIE",
    "SESSION_DAYS",
    "clear_session",
    "csrf_matches",
    "csrf_token",
    "ensure_presession",
    "is_https",
    "safe_next",
    "session_token",
    "set_session",
]

SESSION_COOKIE = "mzgis_token"
PRESESSION_COOKIE = "mzgis_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_DAYS = 7
_CSRF_LABEL = b"mzgis-csrf-v1"


def is_https(request: Request) -> bool:
    """Whether the request came over HTTPS (behind a proxy: run uvicorn with
    ``--proxy-headers`` so the scheme is the client's)."""
    return request.url.scheme == "https"


def session_token(request: Request) -> str | None:
    """The bearer token of the session cookie, if any."""
    return request.cookies.get(SESSION_COOKIE) or None


def _secret(request: Request) -> str | None:
    return session_token(request) or request.cookies.get(PRESESSION_COOKIE) or None


def csrf_token(request: Request, *, secret: str | None = None) -> str:
    """The CSRF token the pages of this session send back (empty without a session or a
    pre-session cookie). ``secret`` overrides the cookie (a cookie set in this response)."""
    key = secret or _secret(request)
    if not key:
        return ""
    return hmac.new(key.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_matches(request: Request, submitted: str | None) -> bool:
    """Whether ``submitted`` is this session's CSRF token (constant-time comparison)."""
    expected = csrf_token(request)
    return bool(expected and submitted) and hmac.compare_digest(expected, submitted or "")


def _cookie_options(request: Request) -> dict[str, object]:
    return {"httponly": True, "samesite": "lax", "secure": is_https(request), "path": "/"}


def ensure_presession(request: Request, response: Response) -> str:
    """The pre-session secret of this browser, set as a cookie on ``response`` when new."""
    secret = request.cookies.get(PRESESSION_COOKIE)
    if not secret:
        secret = secrets.token_urlsafe(32)
        response.set_cookie(PRESESSION_COOKIE, secret, **_cookie_options(request))  # type: ignore[arg-type]
    return secret


def set_session(request: Request, response: Response, token: str, *, days: float) -> None:
    """Sign the browser in: the session cookie holding ``token``."""
    max_age = int(days * 86400)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, **_cookie_options(request))  # type: ignore[arg-type]
    response.delete_cookie(PRESESSION_COOKIE, path="/")


def clear_session(request: Request, response: Response) -> None:
    """Sign the browser out: drop the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )


def safe_next(target: str | None, *, default: str = "/") -> str:
    """``target`` when it is a path on this site (``/zones?x=1``), else ``default``: never
    another host (``//evil.example``, ``https://…``, ``/\\evil``), so a ``next=`` link cannot
    send a person elsewhere after sign-in."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(c in target for c in "\\\r\n\t") or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
