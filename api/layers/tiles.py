"""Vector tiles of a layer, as OGC API - Tiles names them:
``GET /collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}`` answers one Mapbox vector
tile (``application/vnd.mapbox-vector-tile``) carrying each feature's id and the field that
colours it (a page reads a clicked feature's other properties from the layer's items). A
PostGIS store makes the tile in the database (``ST_AsMVT``); a GeoPackage store encodes it
from a spatial-index read
(:mod:`layers.tiles`). Tiles are kept in memory per layer version and sent with an ETag, so
a browser asks again only after the layer changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from api.auth import read_access
from api.deps import LayerDep, StoreDep
from api.errors import ERROR_RESPONSES, InvalidParameterError
from api.maps.routes import compressed
from api.maps.tiles import TILE_PATH, tile_columns
from layers.store import LayerInfo, Store
from layers.tiles import MAX_ZOOM

__all__ = ["MVT_MEDIA_TYPE", "TileCache", "router", "warm_tiles"]

logger = logging.getLogger("mzgis.api")

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
MAX_CACHED_TILES = 4096

router = APIRouter(
    tags=["collections"],
    dependencies=[Depends(read_access)],  # public unless MZGIS_PUBLIC_READ=false
)


class TileCache:
    """Encoded tiles by (store, layer, version, z, x, y), the oldest dropped."""

    def __init__(self, max_tiles: int = MAX_CACHED_TILES) -> None:
        self._lock = threading.Lock()
        self._tiles: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._max = max_tiles

    def get(self, key: tuple[object, ...]) -> bytes | None:
        with self._lock:
            data = self._tiles.get(key)
            if data is not None:
                self._tiles.move_to_end(key)
            return data

    def put(self, key: tuple[object, ...], data: bytes) -> None:
        with self._lock:
            self._tiles[key] = data
            while len(self._tiles) > self._max:
                self._tiles.popitem(last=False)


def warm_tiles(store: Store, layers: list[LayerInfo], *, min_features: int) -> threading.Thread:
    """Read the layers the pages draw from tiles (over ``min_features``) into the store's
    tile sources in the background, so the first visitor after start-up does not wait for
    it (a server store makes its tiles itself and is left alone)."""

    def work() -> None:
        for info in layers:
            if info.count <= min_features or type(store).vector_tile is not Store.vector_tile:
                continue
            try:
                store.vector_tile(info.name, 0, 0, 0, columns=tile_columns(info.kind))
            except Exception:  # the store closed, the layer went: tiles are made on demand
                logger.warning("could not prepare the tiles of %s", info.name, exc_info=True)

    thread = threading.Thread(target=work, name="mzgis-tiles", daemon=True)
    thread.start()
    return thread


def _cache(request: Request) -> TileCache:
    cache: TileCache | None = getattr(request.app.state, "tiles", None)
    if cache is None:
        cache = request.app.state.tiles = TileCache()
    return cache


@router.get(
    TILE_PATH,
    summary="A vector tile of a layer / 图层矢量瓦片",
    response_class=Response,
    responses={
        200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "Mapbox vector tile"},
        304: {"description": "Not modified (If-None-Match)"},
        400: ERROR_RESPONSES[400],
        404: ERROR_RESPONSES[404],
    },
)
def layer_tile(
    *,
    request: Request,
    info: LayerDep,
    store: StoreDep,
    z: Annotated[int, Path(ge=0, le=MAX_ZOOM, description="Zoom / 缩放级别")],
    y: Annotated[int, Path(ge=0, description="Tile row / 瓦片行号")],
    x: Annotated[int, Path(ge=0, description="Tile column / 瓦片列号")],
) -> Response:
    """One tile of the layer: its features near tile ``z/y/x`` (web mercator), clipped,
    simplified to the tile's pixel and with the properties the map pages show."""
    for name, value in (("x", x), ("y", y)):
        if value >= 1 << z:
            en, zh = f"must be below 2^z = {1 << z}", f"须小于 2^z = {1 << z}"
            raise InvalidParameterError(name, value, en, zh)
    key = (store.url, info.name, info.version, info.updated_at, z, x, y)
    etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    cache = _cache(request)
    data = cache.get(key)
    if data is None:
        data = store.vector_tile(info.name, z, x, y, columns=tile_columns(info.kind))
        cache.put(key, data)
    response = compressed(request, data, MVT_MEDIA_TYPE)
    response.headers.update(headers)
    return response
