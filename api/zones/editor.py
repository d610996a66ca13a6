"""The zones editor (责任片区调整) for planners and street offices: ``GET /zones``.

Choose a saved plan (or solve one), filter by district and street, search a community by
name or code, click it to see its station, workload and walk, move it to another station or
lock it; the page previews the edit (``preview``), shows every community that would change
with the reason and the stations' workload against their band before and after, asks for a
confirmation when a station would leave its band, then saves with ``If-Match``. A 412 (some
one else saved first) reloads the plan, shows what the other person changed and keeps the
pending edit to apply again. Version history with a diff between two versions, and each
version as XLSX. The page script is ``/static/web/zones.js``; it talks to
``/analyses/zones`` with the session cookie and the CSRF token.

``GET /zones/context`` gives the page what the plan does not hold: community polygons and
names, stations with names and positions, streets and districts (for the filters).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import geopandas as gpd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import read_access
from api.deps import CatalogDep
from api.geojson import feature_collection
from api.maps.routes import compressed
from api.tables import json_safe
from api.web.access import page_requires
from api.web.i18n import request_lang
from api.web.render import render
from api.web.zones_labels import ZONES_LABELS
from api.zones.routes import Registry
from layers.records import User

__all__ = ["router"]

router = APIRouter(tags=["pages / 页面"], include_in_schema=False)

_SIMPLIFY_DEG = 0.00002  # about 2 m: invisible on the page, a third of the bytes


@router.get("/zones", response_class=HTMLResponse)
def zones_editor(
    request: Request,
    registry: Registry,
    user: Annotated[User, Depends(page_requires("plan"))],
    plan: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The editor page (planners and administrators)."""
    lang = request_lang(request, default=request.app.state.settings.lang)
    plans = [json_safe(p.to_public()) for p in registry.list_plans(limit=50)]
    labels = {key: pair[0 if lang == "zh" else 1] for key, pair in ZONES_LABELS.items()}
    context = {"plans": plans, "plan_id": plan or "", "labels": labels, "editor": user}
    return render(request, "zones.html", context)


def _layer_of_kind(catalog: CatalogDep, kind: str) -> gpd.GeoDataFrame | None:
    names = sorted(n for n, info in catalog.layers.items() if info.kind == kind)
    return catalog.store.read(names[0]) if names else None


def _divisions(frame: gpd.GeoDataFrame | None, parent: str) -> list[dict[str, Any]]:
    if frame is None:
        return []
    cols = [c for c in ("code", "name", parent) if c in frame.columns]
    rows = frame[cols].rename(columns={parent: "parent"}).sort_values("code")
    return json_safe(rows.to_dict(orient="records"))


@router.get("/zones/context", dependencies=[Depends(read_access)])
def zones_context(
    request: Request,
    catalog: CatalogDep,
    units: Annotated[str, Query(max_length=128)] = "communities",
    stations: Annotated[str, Query(max_length=128)] = "stations",
) -> Response:
    """Community polygons (code, name, street) and the stations (id, name, street, lon,
    lat), streets and districts of the store, for the editor."""
    unit_frame = catalog.read(units, field="units")
    keep = [c for c in ("code", "name", "street_code") if c in unit_frame.columns]
    shapes = unit_frame[keep].set_geometry(unit_frame.geometry.simplify(_SIMPLIFY_DEG))
    station_frame = catalog.read(stations, field="stations").to_crs(4326)
    street_of = _station_streets(station_frame, unit_frame)
    station_rows = [
        {
            "id": str(row.station_id),
            "name": str(getattr(row, "name", "") or ""),
            "street": street_of.get(str(row.station_id), ""),
            "lon": round(float(row.geometry.x), 6),
            "lat": round(float(row.geometry.y), 6),
        }
        for row in station_frame.itertuples(index=False)
        if row.geometry is not None and not row.geometry.is_empty
    ]
    body = {
        "units": "__UNITS__",
        "stations": station_rows,
        "streets": _divisions(_layer_of_kind(catalog, "streets"), "district_code"),
        "districts": _divisions(_layer_of_kind(catalog, "districts"), "parent_code"),
    }
    text = json.dumps(json_safe(body), ensure_ascii=False, separators=(",", ":"))
    text = text.replace('"__UNITS__"', feature_collection(shapes.to_crs(4326)))
    return compressed(request, text, "application/json")


def _station_streets(stations: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> dict[str, str]:
    """The street of each station: that of its community (``community_code``), else that of
    the community it stands in."""
    if "street_code" not in units.columns:
        return {}
    street = dict(zip(units["code"].astype(str), units["street_code"].astype(str), strict=True))
    out: dict[str, str] = {}
    if "community_code" in stations.columns:
        for sid, code in zip(stations["station_id"], stations["community_code"], strict=True):
            if isinstance(code, str) and code in street:
                out[str(sid)] = street[code]
    missing = stations[~stations["station_id"].astype(str).isin(out)]
    if len(missing):
        joined = gpd.sjoin(missing, units.to_crs(4326)[["street_code", "geometry"]], how="left")
        for sid, code in zip(joined["station_id"], joined["street_code"], strict=True):
            if isinstance(code, str):
                out.setdefault(str(sid), code)
    return out
