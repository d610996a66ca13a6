"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) with the app's own copies of their assets
(npm packages ``swagger-ui-dist`` and ``redoc``, pinned in ``package-lock.json``, served
under ``/static/vendor/``): the API documentation opens on an isolated network.

Both start from a small script of ours (``/static/web/docs.js``) reading the OpenAPI URL
from the page, so no inline script is needed; their styles are injected at run time, so
these two pages allow inline styles (never inline scripts).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.maps.assets import vendor_url
from api.web.render import PAGE_CSP, render

__all__ = ["DOCS_CSP", "router"]

router = APIRouter(tags=["pages / 页面"], include_in_schema=False)

DOCS_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def _docs(request: Request, viewer: str) -> HTMLResponse:
    assets = {
        "swagger": (
            [vendor_url("swagger-ui-dist", "swagger-ui.css")],
            [vendor_url("swagger-ui-dist", "swagger-ui-bundle.js")],
        ),
        "redoc": ([], [vendor_url("redoc", "redoc.standalone.js")]),
    }[viewer]
    context = {
        "viewer": viewer,
        "styles": assets[0],
        "scripts": assets[1],
        "openapi_url": request.app.openapi_url or "/openapi.json",
    }
    return render(request, "docs.html", context, csp=DOCS_CSP)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui_html(request: Request) -> HTMLResponse:
    """The OpenAPI documentation in Swagger UI (try requests from the page)."""
    return _docs(request, "swagger")


@router.get("/redoc", response_class=HTMLResponse)
def redoc_html(request: Request) -> HTMLResponse:
    """The OpenAPI documentation in ReDoc (a readable reference)."""
    return _docs(request, "redoc")
