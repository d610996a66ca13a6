"""Rendering a page: the templates, what every page gets (language, labels, the signed-in
user, the CSRF token) and the headers every page is served with.

Autoescaping is on for every template: whatever a person typed (names, layer values) is
escaped where it reaches HTML. Page scripts get their data through
``<script type="application/json">`` blocks filled with ``tojson`` (escaped for HTML too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.auth import get_records, token_digest
from api.deps import get_settings
from api.web.i18n import LABELS, ROLE_LABELS, Lang, request_lang
from api.web.session import csrf_token, session_token
from layers.records import User, now_iso

__all__ = ["PAGE_CSP", "page_user", "render", "templates"]

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

#: the policy of every page of this package: scripts only from this site, never inline
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page_user(request: Request) -> User | None:
    """The user of the session cookie (``None`` when signed out, or the token is unknown,
    expired or revoked). Remembered on the request."""
    if hasattr(request.state, "page_user"):
        found: User | None = request.state.page_user
        return found
    token = session_token(request)
    user = None
    if token:
        user = get_records(request).user_for_token(token_digest(token), now=now_iso())
    request.state.page_user = user
    return user


def _here(request: Request) -> str:
    """The path and query of this page, without ``lang=`` (for the toggle's ``next``)."""
    query = "&".join(
        f"{quote(k)}={quote(v)}" for k, v in request.query_params.multi_items() if k != "lang"
    )
    return request.url.path + (f"?{query}" if query else "")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    csp: str = PAGE_CSP,
    csrf_secret: str | None = None,
) -> HTMLResponse:
    """``template`` rendered with ``context`` and what every page shows, with the page
    headers (``csp``: the Content-Security-Policy)."""
    lang: Lang = request_lang(request, default=get_settings(request).lang)
    index = 0 if lang == "zh" else 1
    user = page_user(request)

    def t(key: str, **values: object) -> str:
        text = LABELS[key][index]
        return text.format(**values) if values else text

    def role(name: str) -> str:
        return ROLE_LABELS.get(name, (name, name))[index]

    here = _here(request)
    base = {
        "lang": lang,
        "other_lang": "en" if lang == "zh" else "zh",
        "t": t,
        "role_label": role,
        "has_label": LABELS.__contains__,
        "user": user,
        "csrf": csrf_token(request, secret=csrf_secret),
        "here": here,
        "here_quoted": quote(here, safe=""),
    }
    response = templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code
    )
    response.headers.update({**_PAGE_HEADERS, "Content-Security-Policy": csp})
    return response
