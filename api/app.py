"""The FastAPI application: ``create_app()`` wires settings, the store, routes and errors.

Run it with ``mzgis serve`` (or ``uvicorn --factory api.app:create_app``). The lifespan
builds the demo store when it is the configured store and missing, opens the store, reads
the catalog of collections once, takes what it holds then out of the garbage collector's
scans, and closes the store on shutdown.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

from api.bodies import BodyPolicyMiddleware
from api.catalog import Catalog, open_service_store
from api.communities import map as communities_map
from api.communities import routes as communities_routes
from api.config import Settings
from api.coverage import dashboard as coverage_dashboard
from api.coverage import map as coverage_map
from api.coverage import routes as coverage_routes
from api.errors import register_error_handlers
from api.field import routes as field_routes
from api.health import router as health_router
from api.home import router as home_router
from api.inspection import map as inspection_map
from api.inspection import routes as inspection_routes
from api.layers import pages as layers_pages
from api.layers import routes as layers_routes
from api.layers import tiles as layers_tiles
from api.layers import uploads as layers_uploads
from api.layers import versions as layers_versions
from api.layers.service import LayerLocks
from api.maps.routes import install_maps
from api.network import map as network_map
from api.network import routes as network_routes
from api.network.service import NetworkCache
from api.openapi import install_openapi
from api.security import SecurityHeadersMiddleware
from api.siting import map as siting_map
from api.siting import routes as siting_routes
from api.users import routes as users_routes
from api.web import docs as web_docs
from api.web import routes as web_routes
from api.web.access import install_page_errors
from api.zones import dashboard as zones_dashboard
from api.zones import editor as zones_editor
from api.zones import map as zones_map
from api.zones import routes as zones_routes

__all__ = ["DESCRIPTION", "ROUTERS", "TITLE", "create_app"]

#: every router of the service, one per job and page (``api/<job>/routes.py`` and ``map.py``)
ROUTERS: tuple[APIRouter, ...] = (
    home_router,
    web_routes.router,
    web_docs.router,
    layers_routes.router,
    layers_tiles.router,
    layers_versions.router,
    health_router,
    inspection_routes.router,
    inspection_map.router,
    users_routes.router,
    siting_routes.router,
    coverage_routes.router,
    zones_routes.router,
    communities_routes.router,
    network_routes.router,
    coverage_map.router,
    coverage_dashboard.router,
    zones_dashboard.router,
    siting_map.router,
    zones_map.router,
    communities_map.router,
    network_map.router,
    zones_editor.router,
    layers_uploads.router,  # before layers_pages: /layers/import is not a layer
    layers_pages.router,
    field_routes.router,
)

TITLE = "mzgis: civil-affairs facility planning / 民政设施规划与覆盖分析"
DESCRIPTION = (
    "Layers of civil-affairs facilities (elderly-care stations, meal points, shelters, "
    "cemeteries, boundary markers) and administrative divisions as OGC API - Features "
    "collections, with coverage, siting, responsibility-zone and boundary-inspection "
    "analyses. Works fully offline. / "
    "民政设施（养老驿站、助餐点、避难场所、公墓、界桩）与行政区划图层，以 OGC API - Features "
    "集合发布，并提供覆盖分析、选址、责任片区划分与界线联检。完全离线运行。"
)


def _version() -> str:
    try:
        return version("mzgis")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def _open(app: FastAPI, settings: Settings) -> None:
    store = open_service_store(settings.store)
    store.versions_kept = settings.layer_versions_kept
    app.state.store = store
    app.state.catalog = Catalog.build(store)
    layers = list(app.state.catalog.layers.values())
    layers_tiles.warm_tiles(store, layers, min_features=settings.tiled_min_features)


def _close(app: FastAPI) -> None:
    store, records = getattr(app.state, "store", None), getattr(app.state, "records", None)
    app.state.store = app.state.catalog = app.state.records = None
    if records is not None:  # its connections, closed now rather than by the garbage collector
        records.close()  # (in whichever thread it runs)
    if store is not None:
        store.close()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    await run_in_threadpool(_open, app, app.state.settings)
    # What the service holds from its start (modules, catalog, tiles: some 200,000 objects)
    # leaves the garbage collector's scans: a full collection of it held every thread for
    # 30-140 ms, now and then, in the middle of a stream of requests. Objects are still freed
    # when no longer referenced; cycles among them wait until the service stops.
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        _close(app)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings
        The configuration; ``None`` reads ``MZGIS_*`` environment variables
        (:class:`api.config.Settings`).

    Returns
    -------
    fastapi.FastAPI
        The app; its store opens when the app starts (``with TestClient(app)``, uvicorn).
    """
    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version=_version(),
        openapi_url="/openapi.json",
        docs_url=None,  # /docs and /redoc with local assets: api/web/docs.py
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings if settings is not None else Settings()
    app.state.store = app.state.catalog = None
    app.state.networks = NetworkCache()  # the walking network, built once per roads version
    app.state.layer_locks = LayerLocks()  # Part 4 writes of one layer queue in this process
    register_error_handlers(app)
    install_page_errors(app)  # browsers get the sign-in page or a page saying why
    for router in ROUTERS:
        app.include_router(router)
    install_maps(app)  # /maps pages and /static assets; fails clearly when assets are missing
    install_openapi(app)  # every error response described as the ErrorBody it really is
    settings = app.state.settings
    app.add_middleware(
        BodyPolicyMiddleware,
        max_json_bytes=settings.max_json_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(SecurityHeadersMiddleware, tile_url=settings.tile_url)
    return app
