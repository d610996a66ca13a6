"""OGC API - Features documents: models, conformance classes, links and collection entries.

Names are the standard's (``conformsTo``, ``itemType``, ``numberMatched``); the models use
snake_case in Python and the standard's camelCase on the wire.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from api.errors import InvalidParameterError
from api.layers.params import BBox, parse_bbox
from api.schemas import MAX_OFFSET
from layers.schema import SCHEMAS
from layers.store import LayerInfo

__all__ = [
    "CONFORMANCE",
    "CRS84",
    "Collection",
    "Collections",
    "Conformance",
    "GeoJSONResponse",
    "ItemsQuery",
    "ItemsQueryDep",
    "LandingPage",
    "Link",
    "collection_entry",
    "id_field",
    "items_links",
    "now_stamp",
]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
JSON = "application/json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000


class GeoJSONResponse(Response):
    """A response already serialised as GeoJSON text."""

    media_type = GEOJSON


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Link(_Model):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class SpatialExtent(_Model):
    bbox: list[list[float]]
    crs: str = CRS84


class Extent(_Model):
    spatial: SpatialExtent


class Collection(_Model):
    """One layer as an OGC API collection, with mzgis's own additions (kind, count…)."""

    id: str
    title: str
    description: str
    item_type: str = "feature"
    crs: list[str] = Field(default_factory=lambda: [CRS84])
    extent: Extent | None = None
    links: list[Link]
    kind: str
    number_of_features: int
    geometry_type: str
    version: int
    updated: str
    editable: bool


class Collections(_Model):
    links: list[Link]
    collections: list[Collection]


class LandingPage(_Model):
    title: str
    description: str
    links: list[Link]


class Conformance(_Model):
    conforms_to: list[str]


def now_stamp() -> str:
    """The current UTC time, ISO 8601 with a ``Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def id_field(kind: str) -> str | None:
    """The id column of a layer kind (``None`` for a kind this version does not know)."""
    schema = SCHEMAS.get(kind)
    return schema.id_field if schema else None


def collection_entry(request: Request, info: LayerInfo) -> Collection:
    """The collection document of one layer."""
    schema = SCHEMAS.get(info.kind)
    en, zh = (schema.en, schema.zh) if schema else (info.kind, info.kind)
    title = f"{en} / {zh}" if info.name == info.kind else f"{info.name}: {en} / {zh}"
    description = (
        f"{en} ({info.kind}): {info.count} features, version {info.version}"
        f" / {zh}：{info.count} 个要素，版本 {info.version}"
    )
    extent = Extent(spatial=SpatialExtent(bbox=[list(info.bbox)])) if info.bbox else None
    here = str(request.url_for("collection", layer=info.name))
    items = str(request.url_for("items", layer=info.name))
    links = [
        Link(href=here, rel="self", type=JSON, title=title),
        Link(href=items, rel="items", type=GEOJSON, title=f"Features / 要素：{title}"),
    ]
    return Collection(
        id=info.name,
        title=title,
        description=description,
        extent=extent,
        links=links,
        kind=info.kind,
        number_of_features=info.count,
        geometry_type=info.geometry_type,
        version=info.version,
        updated=info.updated_at,
        editable=bool(schema and schema.editable),
    )


class ItemsQuery(BaseModel):
    """The parsed query of ``/collections/{layer}/items``."""

    bbox: BBox | None
    limit: int
    offset: int


_ITEMS_PARAMETERS = {"bbox", "limit", "offset", "f"}


def items_query(
    request: Request,
    bbox: Annotated[
        str | None,
        Query(
            description=(
                "min lon,min lat,max lon,max lat (CRS84)"
                " / 范围：最小经度,最小纬度,最大经度,最大纬度"
            ),
            examples=["116.38,39.90,116.42,39.93"],
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Features per page / 每页要素数")
    ] = DEFAULT_LIMIT,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Features to skip / 跳过的要素数")
    ] = 0,
    f: Annotated[
        str | None, Query(description="Format: json / 格式：json", pattern="^(geo)?json$")
    ] = None,
) -> ItemsQuery:
    """Parse and check the query (OGC API asks for 400 on an unknown parameter)."""
    unknown = sorted(set(request.query_params) - _ITEMS_PARAMETERS)
    if unknown:
        allowed = ", ".join(sorted(_ITEMS_PARAMETERS))
        raise InvalidParameterError(
            unknown[0],
            request.query_params[unknown[0]],
            f"unknown parameter; use {allowed}",
            f"未知参数；可用参数：{allowed}",
        )
    return ItemsQuery(bbox=None if bbox is None else parse_bbox(bbox), limit=limit, offset=offset)


ItemsQueryDep = Annotated[ItemsQuery, Depends(items_query)]


def items_links(
    request: Request, query: ItemsQuery, *, matched: int, returned: int
) -> list[dict[str, Any]]:
    """``self``, ``collection`` and, where there are more pages, ``next`` and ``prev``."""
    url = request.url
    layer = request.path_params["layer"]
    links = [
        {"href": str(url), "rel": "self", "type": GEOJSON},
        {
            "href": str(request.url_for("collection", layer=layer)),
            "rel": "collection",
            "type": JSON,
        },
    ]
    if query.offset + returned < matched:
        after = url.include_query_params(offset=query.offset + returned, limit=query.limit)
        links.append({"href": str(after), "rel": "next", "type": GEOJSON})
    if query.offset > 0:
        before = url.include_query_params(
            offset=max(0, query.offset - query.limit), limit=query.limit
        )
        links.append({"href": str(before), "rel": "prev", "type": GEOJSON})
    return links
