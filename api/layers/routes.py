"""OGC API - Features: the layers as collections, their items as GeoJSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer

from api.auth import RECORD_LAYER_KINDS, ReadableLayerDep, may_read_record_layers, read_access
from api.deps import CatalogDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.geojson import feature_collection, feature_document
from api.layers.ogc import (
    GEOJSON,
    JSON,
    Collection,
    Collections,
    GeoJSONResponse,
    ItemsQueryDep,
    Link,
    collection_entry,
    id_field,
    items_links,
    now_stamp,
)

__all__ = ["router"]

router = APIRouter(
    prefix="/collections",
    tags=["OGC API - Features"],
    dependencies=[Depends(read_access)],  # public unless MZGIS_PUBLIC_READ=false
)

_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
_GEOJSON_OK = {
    200: {"content": {GEOJSON: {"schema": {"type": "object"}}}, "description": "GeoJSON"},
    **ERROR_RESPONSES,
}


@router.get(
    "",
    response_model=Collections,
    response_model_exclude_none=True,
    name="collections",
    summary="Every layer / 全部图层",
)
def collections(
    request: Request, catalog: CatalogDep, token: Annotated[str | None, Depends(_bearer)]
) -> Collections:
    """Every layer of the store with its kind, feature count and extent (layers holding
    inspection records only for the roles that may read them)."""
    shown = list(catalog.layers.values())
    if not may_read_record_layers(request, token):
        shown = [info for info in shown if info.kind not in RECORD_LAYER_KINDS]
    entries = [collection_entry(request, info) for info in shown]
    self_link = Link(href=str(request.url_for("collections")), rel="self", type=JSON)
    return Collections(links=[self_link], collections=entries)


@router.get(
    "/{layer}",
    response_model=Collection,
    response_model_exclude_none=True,
    name="collection",
    summary="One layer / 单个图层",
    responses={404: ERROR_RESPONSES[404]},
)
def collection(request: Request, info: ReadableLayerDep) -> Collection:
    """One layer's collection document."""
    return collection_entry(request, info)


@router.get(
    "/{layer}/items",
    response_class=GeoJSONResponse,
    name="items",
    summary="Features of a layer / 图层要素",
    responses=_GEOJSON_OK,
)
def items(
    request: Request, store: StoreDep, info: ReadableLayerDep, query: ItemsQueryDep
) -> GeoJSONResponse:
    """A page of features (those intersecting ``bbox`` if given) as a GeoJSON
    FeatureCollection, with ``numberMatched``, ``numberReturned`` and ``next``/``prev`` links."""
    frame = store.read(info.name, bbox=query.bbox, limit=query.limit, offset=query.offset)
    matched = store.count(info.name, bbox=query.bbox)
    members = {
        "numberMatched": matched,
        "numberReturned": len(frame),
        "timeStamp": now_stamp(),
        "links": items_links(request, query, matched=matched, returned=len(frame)),
    }
    return GeoJSONResponse(feature_collection(frame, id_field=id_field(info.kind), members=members))


@router.get(
    "/{layer}/items/{feature_id}",
    response_class=GeoJSONResponse,
    name="item",
    summary="One feature / 单个要素",
    responses=_GEOJSON_OK,
)
def item(
    request: Request,
    store: StoreDep,
    info: ReadableLayerDep,
    feature_id: Annotated[str, Path(description="The feature's id / 要素编号", max_length=256)],
) -> GeoJSONResponse:
    """One feature by the value of its layer's id column (404 when there is none)."""
    frame = store.feature(info.name, feature_id)
    links = [
        {"href": str(request.url), "rel": "self", "type": GEOJSON},
        {"href": str(request.url_for("collection", layer=info.name)), "rel": "collection",
         "type": JSON},
    ]  # fmt: skip
    return GeoJSONResponse(
        feature_document(frame, id_field=id_field(info.kind), members={"links": links})
    )
