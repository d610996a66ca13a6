"""``GET /``: the home page for browsers (``Accept: text/html``, or ``?f=html``) and the OGC
API - Features landing page for API clients (JSON, or ``?f=json``); the conformance
declaration."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.layers.ogc import CONFORMANCE, JSON, Conformance, LandingPage, Link
from api.web.access import wants_html
from api.web.home import home_page

__all__ = ["router"]

router = APIRouter(tags=["OGC API - Features"])

OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
#: (route name, rel, media type, title) of the landing page's links
_LINKS = (
    ("landing", "self", JSON, "This document / 本页"),
    ("openapi", "service-desc", OPENAPI_JSON, "API definition / 接口定义"),
    ("swagger_ui_html", "service-doc", "text/html", "API documentation / 接口文档"),
    ("conformance", "conformance", JSON, "Conformance classes / 符合性类别"),
    ("collections", "data", JSON, "Layers / 图层"),
)


@router.get(
    "/",
    response_model=LandingPage,
    response_model_exclude_none=True,
    name="landing",
    summary="Landing page / 服务首页",
    responses={200: {"content": {"text/html": {}}}},
)
def landing(
    request: Request,
    f: Annotated[Literal["json", "html"] | None, Query(description="json / html")] = None,
) -> LandingPage | HTMLResponse:
    """Links to the API definition, the conformance classes and the collections (JSON);
    the home page with the jobs and the store's summary for browsers (HTML)."""
    if f == "html" or (f is None and wants_html(request)):
        return home_page(request)
    links = [
        Link(href=str(request.url_for(route)), rel=rel, type=media, title=title)
        for route, rel, media, title in _LINKS
    ]
    return LandingPage(title=request.app.title, description=request.app.description, links=links)


@router.get(
    "/conformance",
    response_model=Conformance,
    name="conformance",
    summary="Conformance classes / 符合性类别",
)
def conformance() -> Conformance:
    """The OGC API - Features conformance classes this service implements."""
    return Conformance(conforms_to=CONFORMANCE)
