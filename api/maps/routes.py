"""The web maps under ``/maps``: an index of map pages, the layers map, and the features of a
layer for pages that fetch a large layer on demand.

Pages are HTML built with :class:`api.maps.builder.MapBuilder`; they load nothing from outside
the app (assets under ``/static``, see :mod:`api.maps.assets`). A built page is cached per
store version, language and tile settings, so reloading is cheap until a layer changes.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import ReadableLayerDep, read_access
from api.config import Settings
from api.deps import SettingsDep, StoreDep
from api.maps.assets import mount_assets
from api.maps.basemap import basemap_data
from api.maps.builder import MapBuilder, page_nonce
from api.maps.display import features_text
from api.maps.i18n import Lang, parse_lang, text
from api.maps.pages import layers_map
from api.maps.spec import prepare_layer
from api.maps.tiles import tiles_template
from api.web.i18n import LANG_COOKIE
from api.web.render import render
from layers.store import Store

__all__ = [
    "PAGE_CACHE_SIZE",
    "LangQuery",
    "cached_page",
    "compressed",
    "install_maps",
    "map_page",
    "page_builder",
    "router",
]

router = APIRouter(prefix="/maps", tags=["maps"], dependencies=[Depends(read_access)])


def page_lang(
    request: Request,
    lang: Annotated[
        Literal["zh", "en"] | None,
        Query(description="Language of labels: zh (default setting) or en / 标注语言"),
    ] = None,
) -> Lang | None:
    """The language asked by ``?lang=``, else the one the pages' 中文/English toggle keeps
    in its cookie, else ``None`` (the service's setting)."""
    if lang is not None:
        return lang
    kept = request.cookies.get(LANG_COOKIE)
    return parse_lang(kept) if kept in ("zh", "en") else None


#: a map page's ``lang``: the query, else the toggle's cookie (see :func:`page_lang`)
LangQuery = Annotated[Lang | None, Depends(page_lang)]
PAGE_CACHE_SIZE = 8


def install_maps(app: FastAPI) -> None:
    """Include the ``/maps`` router and serve the map assets (once per app); raises
    :class:`api.maps.assets.MissingAssetsError` when they are not installed."""
    if getattr(app.state, "maps_installed", False):
        return
    mount_assets(app)
    app.include_router(router)
    app.state.maps_installed = True


def compressed(request: Request, body: str | bytes, media_type: str) -> Response:
    """``body`` gzip-compressed when the client accepts it (a map page shrinks about 5×,
    which matters on slow office networks)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if "gzip" not in request.headers.get("accept-encoding", "") or len(data) < 1024:
        return Response(data, media_type=media_type)
    headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return Response(gzip.compress(data, compresslevel=5), media_type=media_type, headers=headers)


def cached_page(request: Request, key: tuple[object, ...], build: Callable[[], str]) -> str:
    """The page cached under ``key`` on the app, built (and the oldest dropped) when absent.
    Put the versions of every layer the page shows in ``key``. The page's script nonce
    goes to ``request.state.csp_nonce`` for its Content-Security-Policy."""
    cache: OrderedDict[tuple[object, ...], str] | None = getattr(
        request.app.state, "map_pages", None
    )
    if cache is None:
        cache = request.app.state.map_pages = OrderedDict()
    if key in cache:
        cache.move_to_end(key)
        html = cache[key]
    else:
        html = cache[key] = build()
        while len(cache) > PAGE_CACHE_SIZE:
            cache.popitem(last=False)
    request.state.csp_nonce = page_nonce(html)
    return html


@router.get("", response_class=HTMLResponse, summary="Map pages / 地图页面")
def maps_index(request: Request, settings: SettingsDep, lang: LangQuery = None) -> HTMLResponse:
    """Links to every map page of the service, each with a line saying what it shows."""
    language: Lang = lang or settings.lang
    pages = [
        {"href": f"{path}?lang={language}", "title": _title(summary, language), "path": path}
        for path, summary in _html_pages(request.app)
    ]
    return render(request, "maps.html", {"pages": pages, "title": text("maps_index", language)})


def _html_pages(app: FastAPI) -> list[tuple[str, str]]:
    """(path, summary) of every GET page under ``/maps/`` that answers HTML."""
    pages = []
    for path, operations in app.openapi().get("paths", {}).items():
        get = operations.get("get", {})
        content = get.get("responses", {}).get("200", {}).get("content", {})
        if path.startswith("/maps/") and "{" not in path and "text/html" in content:
            pages.append((path, str(get.get("summary") or path)))
    return pages


def _title(summary: str, lang: Lang) -> str:
    en, _, zh = summary.partition(" / ")
    return (zh or en) if lang == "zh" else en


@router.get("/layers", response_class=HTMLResponse, summary="All layers / 图层总览")
def layers_page(
    request: Request, store: StoreDep, settings: SettingsDep, lang: LangQuery = None
) -> Response:
    """Every layer of the store on one map, each toggleable, over the data basemap."""
    language: Lang = lang or settings.lang
    versions = tuple((i.name, i.kind, i.version, i.count) for i in store.layers())
    key = ("layers", language, settings.tile_url, settings.tile_attribution, versions,
           settings.tiled_min_features)  # fmt: skip

    def build() -> str:
        builder = layers_map(
            store,
            lang=language,
            tile_url=settings.tile_url,
            tile_attribution=settings.tile_attribution,
            data_url=lambda name: f"{router.prefix}/data/{quote(name)}?lang={language}",
            tiles_url=lambda name: tiles_template(quote(name)),
            tiled_min_features=settings.tiled_min_features,
        )
        return builder.render()

    return compressed(request, cached_page(request, key, build), "text/html; charset=utf-8")


@router.get(
    "/data/{layer}",
    summary="Features of a layer for map pages / 地图页面的图层要素",
    response_class=Response,
)
def layer_data(
    request: Request,
    info: ReadableLayerDep,
    store: StoreDep,
    settings: SettingsDep,
    lang: LangQuery = None,
) -> Response:
    """The features of ``layer`` as the page script reads them (``{"g": geometries,
    "p": properties}``), simplified and rounded for display."""
    gdf = store.read(info.name)
    prepared = prepare_layer(gdf, name=info.name, kind=info.kind, lang=lang or settings.lang)
    return compressed(request, features_text(gdf, fields=prepared.columns), "application/json")


# -- what every map page shares -----------------------------------------------------------


def page_builder(settings: Settings, store: Store, *, title: str, lang: Lang) -> MapBuilder:
    """A map with the page's title, the configured tiles (if any) and the data basemap."""
    builder = MapBuilder(
        title=title,
        lang=lang,
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
    )
    builder.add_basemap(basemap_data(store))
    return builder


def map_page(
    request: Request, store: Store, key: tuple[object, ...], build: Callable[[], str]
) -> Response:
    """The page ``build`` makes, cached under ``key`` and the version of every layer of
    ``store`` (a changed layer gives a new page), gzip-compressed when the client accepts it."""
    versions = tuple((i.name, i.version) for i in store.layers())
    full_key = (*key, request.app.state.settings.tile_url, versions)
    return compressed(request, cached_page(request, full_key, build), "text/html; charset=utf-8")
