"""``GET /dashboards/zones``: a responsibility-zone plan (责任片区) as leadership reads it:
each station's workload against its band (bars with the band drawn as a range), how many
stations are in, over or under their band, and a table per station with names beside ids;
printable on A4 or A3 landscape like the coverage dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.auth import read_access
from api.deps import CatalogDep
from api.web.dashboard_labels import labels_for
from api.web.i18n import Lang, request_lang
from api.web.render import render
from api.zones.map import DEFAULT_REQUEST
from api.zones.routes import Registry
from api.zones.service import solve_zones
from geo.zones import ZonePlan

__all__ = ["router", "workload_figures"]

router = APIRouter(
    tags=["pages / 页面"], include_in_schema=False, dependencies=[Depends(read_access)]
)
BEIJING = dt.timezone(dt.timedelta(hours=8))


def _fullness(row: dict[str, Any]) -> float:
    capacity, workload = float(row["capacity"]), float(row["workload"])
    return workload / capacity if capacity else 0.0


def workload_figures(plan: ZonePlan, names: dict[str, str]) -> dict[str, Any]:
    """Per station (fullest first): id, name, capacity, band, workload and its state; and
    how many stations are in, over and under their band."""
    table = plan.validate().stations
    rows = []
    for _, row in table.iterrows():
        sid = str(row["station_id"])
        rows.append(
            {"id": sid, "name": names.get(sid, sid), "capacity": float(row["capacity"]),
             "lower": float(row["lower"]), "upper": float(row["upper"]),
             "workload": float(row["workload"]), "units": int(row["n_units"]),
             "band": str(row["band"])}
        )  # fmt: skip
    rows.sort(key=_fullness, reverse=True)
    counts = {state: sum(r["band"] == state for r in rows) for state in ("ok", "over", "under")}
    return {"stations": rows, "counts": counts, "version": plan.version}


@router.get("/dashboards/zones", response_class=HTMLResponse)
def zones_dashboard(
    request: Request,
    catalog: CatalogDep,
    registry: Registry,
    plan_id: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The dashboard of a saved plan (``plan_id``), else of the store's default plan."""
    lang: Lang = request_lang(request, default=request.app.state.settings.lang)
    if plan_id:
        stored = registry.get(plan_id)
        plan, stations_layer = stored.plan, stored.request.stations_layer
    else:
        plan, _ = solve_zones(catalog, DEFAULT_REQUEST)
        stations_layer = DEFAULT_REQUEST.stations_layer
    stations = catalog.read(stations_layer, field="stations_layer")
    id_col = next((c for c in ("station_id", "id") if c in stations.columns), None)
    names = {}
    if id_col and "name" in stations.columns:
        names = dict(zip(stations[id_col].astype(str), stations["name"].astype(str), strict=True))
    labels = labels_for(lang)
    context = {
        "figures": workload_figures(plan, names),
        "labels": labels,
        "L": labels,
        "plan_id": plan_id or "",
        "printed_at": dt.datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M"),
    }
    return render(request, "dashboard_zones.html", context)
