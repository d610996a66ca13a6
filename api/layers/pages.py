"""The layers pages for people: ``GET /layers`` (every layer, with its kind, count, version
and date) and ``GET /layers/{name}`` (a sortable, searchable, paged table beside a map of
the page's features), and the rows they show, ``GET /layers/{name}/rows``.

The pages are open like ``/collections`` (:func:`api.auth.read_access`); the import page is
:mod:`api.layers.uploads`. A layer's frame is read once per version and kept (a few at a
time) so that paging and sorting do not read the store again.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import PERMISSIONS, ReadableLayerDep, read_access
from api.deps import StoreDep
from api.geojson import feature_collection
from api.maps.i18n import kind_label
from api.maps.routes import compressed
from api.schemas import Offset
from api.tables import json_safe
from api.web.i18n import request_lang
from api.web.layers_labels import LAYERS_LABELS
from api.web.render import page_user, render
from layers.schema import SCHEMAS
from layers.store import LayerInfo, Store

__all__ = ["labels_for", "router"]

router = APIRouter(tags=["pages / 页面"], include_in_schema=False)

MAX_PAGE = 200
_FRAMES_KEPT = 4
_HIDDEN = ("source", "estimated_fields")


def labels_for(request: Request) -> dict[str, str]:
    """The layers pages' labels in the page's language."""
    lang = request_lang(request, default=request.app.state.settings.lang)
    return {key: pair[0 if lang == "zh" else 1] for key, pair in LAYERS_LABELS.items()}


def _can_plan(request: Request) -> bool:
    user = page_user(request)
    return user is not None and user.role in PERMISSIONS["plan"]


@router.get("/layers", response_class=HTMLResponse, dependencies=[Depends(read_access)])
def layers_index(request: Request, store: StoreDep) -> HTMLResponse:
    """Every layer of the store, with links to its page."""
    lang = request_lang(request, default=request.app.state.settings.lang)
    rows = [
        {**i.to_dict(), "label": kind_label(i.kind, lang), "updated": i.updated_at[:10]}
        for i in sorted(store.layers(), key=lambda i: i.name)
    ]
    context = {"rows": rows, "labels": labels_for(request), "can_import": _can_plan(request)}
    return render(request, "layers.html", context)


def _columns(info: LayerInfo, frame: gpd.GeoDataFrame, lang: str) -> list[dict[str, str]]:
    schema = SCHEMAS.get(info.kind)
    out = []
    for name in frame.columns:
        if name == frame.geometry.name or name in _HIDDEN:
            continue
        field = schema.get_field(name) if schema is not None else None
        label = (field.zh if lang == "zh" else field.en) if field is not None else name
        numeric = pd.api.types.is_numeric_dtype(frame[name])
        out.append({"name": name, "label": label, "type": "number" if numeric else "text"})
    return out


@router.get("/layers/{layer}", response_class=HTMLResponse, dependencies=[Depends(read_access)])
def layer_page(request: Request, info: ReadableLayerDep) -> HTMLResponse:
    """One layer: a table (sort by a column, search, pages) and the map of the page."""
    lang = request_lang(request, default=request.app.state.settings.lang)
    context = {
        "info": info.to_dict(),
        "kind_label": kind_label(info.kind, lang),
        "labels": labels_for(request),
        "can_import": _can_plan(request),
        "edit": _edit_spec(info, lang) if _can_plan(request) else None,
    }
    return render(request, "layer.html", context)


def _edit_spec(info: LayerInfo, lang: str) -> dict[str, Any] | None:
    """What the page's editor needs of an editable layer (OGC API Part 4): its id field,
    whether features are points (draggable), and the fields with their types and choices."""
    schema = SCHEMAS.get(info.kind)
    if schema is None or not schema.editable:
        return None
    fields = [
        {
            "name": f.name,
            "label": f.zh if lang == "zh" else f.en,
            "type": f.dtype,
            "choices": list(f.choices or ()),
            "required": f.required,
        }
        for f in schema.fields
        if f.name != schema.id_field
    ]
    points = all("Point" in g for g in schema.geometry_types)
    return {"id_field": schema.id_field, "points": points, "fields": fields}


def _frame(request: Request, store: Store, info: LayerInfo) -> gpd.GeoDataFrame:
    cache: OrderedDict[tuple[str, int], gpd.GeoDataFrame] | None = getattr(
        request.app.state, "layer_frames", None
    )
    if cache is None:
        cache = request.app.state.layer_frames = OrderedDict()
    key = (info.name, info.version)
    if key not in cache:
        cache[key] = store.read(info.name)
        while len(cache) > _FRAMES_KEPT:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]


def _search(frame: gpd.GeoDataFrame, columns: list[str], q: str) -> gpd.GeoDataFrame:
    if not q:
        return frame
    needle = q.casefold()
    hit = pd.Series(False, index=frame.index)
    for name in columns:
        hit |= frame[name].astype(str).str.casefold().str.contains(needle, regex=False, na=False)
    return frame[hit]


@router.get("/layers/{layer}/rows", dependencies=[Depends(read_access)])
def layer_rows(
    *,
    request: Request,
    info: ReadableLayerDep,
    store: StoreDep,
    q: Annotated[str, Query(max_length=200, description="Search text / 搜索")] = "",
    sort: Annotated[str | None, Query(max_length=128, description="Column / 排序列")] = None,
    desc: bool = False,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Response:
    """One page of the layer's rows (attributes) and its features (GeoJSON), after the
    search ``q`` and sorted by ``sort``."""
    lang = request_lang(request, default=request.app.state.settings.lang)
    frame = _frame(request, store, info)
    columns = _columns(info, frame, lang)
    names = [c["name"] for c in columns]
    found = _search(frame, names, q.strip())
    if sort in names:
        found = found.sort_values(sort, ascending=not desc, na_position="last", kind="stable")
    page = found.iloc[offset : offset + limit]
    body = {
        "columns": columns,
        "total": len(frame),
        "matched": len(found),
        "offset": offset,
        "rows": json_safe(
            page[names].astype(object).where(page[names].notna(), None).to_dict("records")
        ),
        "features": "__FEATURES__",
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    features = feature_collection(page[[*names[:3], page.geometry.name]].to_crs(4326))
    return compressed(request, text.replace('"__FEATURES__"', features), "application/json")
