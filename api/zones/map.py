"""``/maps/zones``: a responsibility-zone plan (责任片区) on the map. Communities coloured by
their station (click one to see its station and walk), zone outlines with workload, band
(over/under) and fragment flags in their popups, and the stations.

``?plan_id=`` shows a plan saved by ``/analyses/zones`` (its current version, or
``&version=`` an older one), read from the record store; without it the
page solves the default plan of the store (communities by basic-service recipients, ±15 %
band) in best-effort mode, so that a store whose bands cannot all be met still gets its map
with the stations out of band flagged (the demo meets every band).
"""

from __future__ import annotations

from typing import Annotated

import geopandas as gpd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import read_access
from api.deps import CatalogDep, SettingsDep
from api.maps import PALETTE, CategoryStyle, LayerStyle, PopupField
from api.maps.i18n import Lang, pick
from api.maps.routes import LangQuery, map_page, page_builder
from api.zones.routes import plans
from api.zones.schemas import ZoneRequest
from api.zones.service import solve_zones
from geo.zones import ZonePlan
from layers.store import Store

__all__ = ["DEFAULT_REQUEST", "router", "zones_map"]

router = APIRouter(prefix="/maps", tags=["maps"], dependencies=[Depends(read_access)])

#: the plan the page solves when no plan id is given
DEFAULT_REQUEST = ZoneRequest(best_effort=True)
FLAG_COLORS = {"ok": "#2e7d32", "over": "#c62828", "under": "#ef6c00"}


def _units_frame(plan: ZonePlan, store: Store, layer: str) -> gpd.GeoDataFrame:
    p = plan.problem
    assert p.unit_geometry is not None
    table = plan.assignment_table()
    frame = gpd.GeoDataFrame(table, geometry=p.unit_geometry.values, crs=p.unit_geometry.crs)
    frame["station_id"] = frame["station_id"].astype(object).where(frame["station_id"].notna(), "")
    if layer == "communities":
        names = store.read(layer).set_index("code")["name"]
        frame["name"] = frame["unit_id"].map(names)
    return frame.to_crs(4326)


def _band_labels(lang: Lang) -> dict[str, str]:
    return {
        "ok": pick(lang, "正常", "ok"),
        "over": pick(lang, "超负荷", "overloaded"),
        "under": pick(lang, "不足", "underloaded"),
    }


def _zones_frame(plan: ZonePlan, lang: Lang) -> gpd.GeoDataFrame:
    zones = plan.zones_gdf().to_crs(4326)
    bands = _band_labels(lang)
    flags = zones["band"].map(bands).astype(str)
    split = zones["pieces"] > 1
    flags[split] = flags[split] + pick(lang, "；片区不连续", "; fragmented")
    return zones.assign(flags=flags)


def zones_map(
    plan: ZonePlan, store: Store, *, request: ZoneRequest, lang: Lang, settings: SettingsDep
) -> str:
    """The page of one plan."""
    report = plan.validate()
    title = pick(lang, "责任片区", "Responsibility zones")
    counts = pick(
        lang,
        f"超负荷 {len(report.overloaded)} · 不连续 {len(report.fragmented)}",
        f"overloaded {len(report.overloaded)} · fragmented {len(report.fragmented)}",
    )
    b = page_builder(settings, store, title=f"{title} · v{plan.version} · {counts}", lang=lang)
    zones = _zones_frame(plan, lang)
    b.add_layer(
        _units_frame(plan, store, request.units_layer).merge(
            zones[["station_id", "flags"]], on="station_id", how="left"
        ),
        name="units",
        label=pick(lang, "社区（按驿站着色）", "Communities by station"),
        style=LayerStyle("#555555", weight=0.5, fill_opacity=0.55, z=38),
        category=CategoryStyle("station_id", palette=PALETTE),
        fields=[
            PopupField("unit_id", pick(lang, "编号", "code")),
            PopupField("name", pick(lang, "名称", "name")),
            PopupField("station_id", pick(lang, "责任驿站", "station")),
            PopupField("workload", pick(lang, "工作量", "workload"), "", "float"),
            PopupField("walk_m", pick(lang, "距离", "walk"), "m", "float"),
            PopupField("flags", pick(lang, "片区状态", "zone flags")),
        ],
    )
    b.add_layer(
        zones,
        name="zones",
        label=pick(lang, "片区（超负荷/不连续标记）", "Zones (overload/fragment flags)"),
        style=LayerStyle("#212121", weight=2.0, fill=False, z=25),
        category=CategoryStyle("band", colors=FLAG_COLORS, labels=_band_labels(lang)),
        show=False,  # outlines catch clicks inside them: shown on demand
        fields=[
            PopupField("station_id", pick(lang, "驿站", "station")),
            PopupField("flags", pick(lang, "状态", "flags")),
            PopupField("workload", pick(lang, "工作量", "workload"), "", "float"),
            PopupField("capacity", pick(lang, "服务能力", "capacity"), "", "float"),
            PopupField("n_units", pick(lang, "社区数", "units"), "", "int"),
            PopupField("pieces", pick(lang, "分块数", "pieces"), "", "int"),
        ],
    )
    b.add_layer(store.read(request.stations_layer), kind="stations")
    return b.render()


@router.get("/zones", response_class=HTMLResponse, summary="Responsibility zones / 责任片区地图")
def zones_page(
    *,
    request: Request,
    catalog: CatalogDep,
    settings: SettingsDep,
    lang: LangQuery = None,
    plan_id: Annotated[str | None, Query(max_length=64, description="Plan id / 方案编号")] = None,
    version: Annotated[int | None, Query(ge=1, description="Plan version / 方案版本")] = None,
) -> Response:
    """The zones of a stored plan (``plan_id``, at ``version`` or its current one) or of
    the store's default plan."""
    language: Lang = lang or settings.lang
    store = catalog.store
    key: tuple[object, ...]
    if plan_id is not None:
        stored = plans(request).get(plan_id, version=version)
        key = ("zones", plan_id, stored.plan.version, language)

        def build() -> str:
            return zones_map(stored.plan, store, request=stored.request, lang=language,
                             settings=settings)  # fmt: skip
    else:
        key = ("zones", None, 0, language)

        def build() -> str:
            plan, _ = solve_zones(catalog, DEFAULT_REQUEST)
            return zones_map(plan, store, request=DEFAULT_REQUEST, lang=language,
                             settings=settings)  # fmt: skip

    return map_page(request, store, key, build)
