"""OGC API - Features: the layers as collections, their items as GeoJSON; Part 4 writes
(create, replace, update, delete) on the editable layers (see :mod:`api.layers.service`).

Every item answers with its ``ETag``; a replace, update or delete needs ``If-Match`` with it
(428 without, 412 when the feature changed since). Writes need a planner or admin (401/403);
layers that are derived or kept as records answer 405.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.security import OAuth2PasswordBearer

from api.auth import (
    RECORD_LAYER_KINDS,
    Planner,
    ReadableLayerDep,
    RecordsDep,
    may_read_record_layers,
    read_access,
)
from api.deps import CatalogDep, LayerDep, StoreDep
from api.errors import ERROR_RESPONSES, ErrorBody
from api.geojson import feature_collection
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
from api.layers.schemas import FeatureIn, FeaturePatch
from api.layers.service import FeatureEditor, Item, check_editable, read_item
from layers.store import LayerInfo

__all__ = ["router"]

router = APIRouter(
    prefix="/collections",
    tags=["OGC API - Features"],
    dependencies=[Depends(read_access)],  # public unless MZGIS_PUBLIC_READ=false
)

_GEOJSON_OK = {
    200: {"content": {GEOJSON: {"schema": {"type": "object"}}}, "description": "GeoJSON"},
    **ERROR_RESPONSES,
}
_ETAG = {
    "ETag": {"description": "Version of the item / 要素版本标记", "schema": {"type": "string"}}
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    405: {"model": ErrorBody, "description": "Read-only layer / 只读图层"},
    409: {"model": ErrorBody, "description": "Id taken, or layer busy / 编号已存在或图层繁忙"},
    422: {
        "model": ErrorBody,
        "description": "Feature breaks the layer schema / 要素不符合图层规范",
    },
}
_CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_WRITE_ERRORS,
    412: {"model": ErrorBody, "description": "Stale If-Match / 要素已被修改"},
    428: {"model": ErrorBody, "description": "If-Match missing / 缺少 If-Match"},
}


def _written(description: str) -> dict[int | str, dict[str, Any]]:
    content = {GEOJSON: {"schema": {"type": "object"}}}
    return {200: {"content": content, "description": description, "headers": _ETAG}}


_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
FeatureId = Annotated[str, Path(description="The feature's id / 要素编号", max_length=256)]
IfMatch = Annotated[
    str | None, Header(description="ETag of the item the change is based on / 所依据的要素版本")
]


def editable_layer(info: LayerDep) -> LayerInfo:
    """The ``{layer}`` of a write: 405 unless its kind is editable."""
    return check_editable(info)


def feature_editor(
    request: Request, store: StoreDep, catalog: CatalogDep, records: RecordsDep
) -> FeatureEditor:
    """The Part 4 writer of the app's store (its locks and page cache live on the app)."""
    state = request.app.state
    return FeatureEditor(
        store, catalog, records, state.layer_locks, getattr(state, "map_pages", None)
    )


EditableDep = Annotated[LayerInfo, Depends(editable_layer)]
EditorDep = Annotated[FeatureEditor, Depends(feature_editor)]


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
    responses={
        **_GEOJSON_OK,
        200: {**_GEOJSON_OK[200], "headers": _ETAG},
        304: {"description": "Unchanged since the ETag held / 自所持版本以来未修改"},
    },
)
def item(
    request: Request,
    store: StoreDep,
    info: ReadableLayerDep,
    feature_id: FeatureId,
    if_none_match: Annotated[
        str | None, Header(description="ETag already held: 304 if unchanged / 已有的版本标记")
    ] = None,
) -> Response:
    """One feature by the value of its layer's id column (404 when there is none), with its
    ``ETag`` (304 without a body when ``If-None-Match`` names it)."""
    found = read_item(store, info, feature_id)
    held = [t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")]
    if found.etag in held:
        return Response(status_code=304, headers={"ETag": found.etag})
    return _item_response(request, info, found)


@router.post(
    "/{layer}/items",
    status_code=201,
    response_class=GeoJSONResponse,
    name="create_item",
    summary="Add a feature (OGC API Part 4) / 新增要素",
    responses={201: _written("The new feature / 新要素")[200], **_WRITE_ERRORS},
)
def create_item(
    request: Request, info: EditableDep, user: Planner, editor: EditorDep, feature: FeatureIn
) -> Response:
    """Add a GeoJSON feature to an editable layer, validated by the layer schema; answers 201
    with its ``Location`` and ``ETag``. Planners and admins only."""
    created = editor.create(info, feature, actor=user.username)
    response = _item_response(request, info, created, status_code=201)
    response.headers["Location"] = response.headers["Content-Location"]
    return response


@router.put(
    "/{layer}/items/{feature_id}",
    response_class=GeoJSONResponse,
    name="replace_item",
    summary="Replace a feature (OGC API Part 4) / 替换要素",
    responses={**_written("The feature as replaced / 替换后的要素"), **_CHANGE_ERRORS},
)
def replace_item(
    *,
    request: Request,
    info: EditableDep,
    user: Planner,
    editor: EditorDep,
    feature_id: FeatureId,
    feature: FeatureIn,
    if_match: IfMatch = None,
) -> Response:
    """Replace the whole feature (properties left out become empty); needs ``If-Match``."""
    replaced = editor.replace(info, feature_id, feature, if_match=if_match, actor=user.username)
    return _item_response(request, info, replaced)


@router.patch(
    "/{layer}/items/{feature_id}",
    response_class=GeoJSONResponse,
    name="update_item",
    summary="Update a feature (OGC API Part 4) / 修改要素",
    responses={**_written("The feature as updated / 修改后的要素"), **_CHANGE_ERRORS},
)
def update_item(
    *,
    request: Request,
    info: EditableDep,
    user: Planner,
    editor: EditorDep,
    feature_id: FeatureId,
    changes: FeaturePatch,
    if_match: IfMatch = None,
) -> Response:
    """Change some properties (``null`` clears one) and/or the geometry, as a JSON merge
    patch; needs ``If-Match``."""
    updated = editor.patch(info, feature_id, changes, if_match=if_match, actor=user.username)
    return _item_response(request, info, updated)


@router.delete(
    "/{layer}/items/{feature_id}",
    status_code=204,
    response_class=Response,
    name="delete_item",
    summary="Delete a feature (OGC API Part 4) / 删除要素",
    responses=_CHANGE_ERRORS,
)
def delete_item(
    info: EditableDep, user: Planner, editor: EditorDep, feature_id: FeatureId,
    if_match: IfMatch = None,
) -> Response:  # fmt: skip
    """Delete the feature; needs ``If-Match``. Its data stays in the layer's history."""
    editor.delete(info, feature_id, if_match=if_match, actor=user.username)
    return Response(status_code=204)


def _item_response(
    request: Request, info: LayerInfo, found: Item, *, status_code: int = 200
) -> Response:
    """The feature document with its links, ``ETag`` and ``Content-Location``."""
    here = str(request.url_for("item", layer=info.name, feature_id=found.feature_id))
    links = [
        {"href": here, "rel": "self", "type": GEOJSON},
        {"href": str(request.url_for("collection", layer=info.name)), "rel": "collection",
         "type": JSON},
    ]  # fmt: skip
    extra = json.dumps({"links": links}, ensure_ascii=False, separators=(",", ":"))
    body = f"{found.text[:-1]},{extra[1:]}"
    headers = {"ETag": found.etag, "Content-Location": here}
    return GeoJSONResponse(body, status_code=status_code, headers=headers)
