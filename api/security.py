"""Security headers on every response (a pure ASGI middleware).

- ``Content-Security-Policy``: scripts only from this server, plus the inline scripts of a
  map page that carry the page's nonce (:func:`api.maps.builder.page_nonce`, handed over by
  the route in ``request.state.csp_nonce``; such a page may also ``eval``, which its
  measure tool's lodash templates need); no inline script otherwise, no plugins, no
  ``<base>``, forms post only here, and no framing by other sites. Images also from the
  intranet tile server when one is configured. A response that sets its own policy keeps it.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``,
  ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``).

``/docs`` and ``/redoc`` (:mod:`api.web.docs`) serve local assets under their own policy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["SecurityHeadersMiddleware", "content_security_policy"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_FIXED = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


def content_security_policy(*, nonce: str | None = None, tile_url: str | None = None) -> str:
    """The policy of one response: ``nonce`` allows the inline scripts that carry it."""
    scripts = ["'self'"]
    styles = ["'self'", "'unsafe-inline'"]  # Leaflet and folium position with inline styles
    images = ["'self'", "data:", "blob:"]
    if nonce:  # a map page; its measure tool compiles its HTML templates with lodash
        scripts += [f"'nonce-{nonce}'", "'unsafe-eval'"]
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            images.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(scripts)}",
            f"style-src {' '.join(styles)}",
            f"img-src {' '.join(images)}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """Add the headers of this module to every HTTP response.

    Parameters
    ----------
    app
        The ASGI app wrapped.
    tile_url
        The intranet basemap (``Settings.tile_url``), whose host may serve images.
    """

    def __init__(self, app: ASGIApp, *, tile_url: str | None = None) -> None:
        self.app, self.tile_url = app, tile_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                nonce = (scope.get("state") or {}).get("csp_nonce")
                policy = content_security_policy(nonce=nonce, tile_url=self.tile_url)
                extra = [(b"content-security-policy", policy.encode("latin-1")), *_FIXED]
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
