"""``/maps/coverage``: who is within reach of stations, meal points or shelters, on the map.

Communities are shaded by the share of their elderly (else population) covered within the
service radius; demand points left uncovered are drawn in red; facilities on top; service
areas (reached streets, each given to its nearest facility) underneath; in walking mode the
communities whose walk likely crosses a gap in the network are outlined in dark red, and the
page states the network's own detour figure (never a fixed factor). Facility kind,
radius or tiers, and distance mode come from the URL (``?kind=meal_points&radius_m=1000``)
or the small form on the page (a plain GET form). Like ``/maps/layers`` the page is open to
every client of the service; it is cached per store version and parameters.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Literal

import folium
import geopandas as gpd
import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import read_access
from api.coverage.schemas import MAX_RADIUS_M
from api.coverage.service import CoverageRun, parse_tiers, run_coverage
from api.deps import CatalogDep, NetworkDep, SettingsDep
from api.maps import CategoryStyle, LayerStyle, MapBuilder, PopupField
from api.maps.i18n import Lang, pick
from api.maps.routes import LangQuery, map_page, page_builder
from api.network.quality import short_detour_note
from geo.coverage import tier_label

__all__ = ["SHARE_CLASSES", "coverage_map", "router"]

router = APIRouter(prefix="/maps", tags=["maps"], dependencies=[Depends(read_access)])

Kind = Literal["stations", "meal_points", "shelters"]
#: covered-share classes: (upper bound, key, colour), light red to green
SHARE_CLASSES = (
    (0.25, "0-25", "#d73027"),
    (0.5, "25-50", "#fc8d59"),
    (0.75, "50-75", "#d9ef8b"),
    (1.01, "75-100", "#1a9850"),
)
KIND_NAMES = {
    "stations": ("养老驿站", "Elderly-care stations"),
    "meal_points": ("助餐点", "Meal points"),
    "shelters": ("应急避难场所", "Shelters"),
}
_FORM_CSS = (
    "<style>.mzgis-cov-form{position:fixed;left:10px;bottom:24px;z-index:1000;"
    "background:rgba(255,255,255,.94);padding:6px 10px;font:12px/1.6 sans-serif;"
    "border-radius:4px;box-shadow:0 1px 5px rgba(0,0,0,.4);max-width:300px}"
    ".mzgis-cov-form label{display:block}.mzgis-cov-form p{margin:4px 0 0;color:#666}</style>"
)


def _weight(run: CoverageRun) -> str:
    names = run.result.weights
    return next((w for w in ("elderly_60_plus", "population") if w in names), "count")


def _shaded(run: CoverageRun, weight: str) -> gpd.GeoDataFrame:
    """Communities with their covered share (``share``) and share class (``band``)."""
    result = run.result
    label = tier_label(result.radius_m)
    demand = result.demand
    share = demand[f"{weight}_covered_share_{label}"].to_numpy(dtype=float)
    bounds = np.array([b for b, _, _ in SHARE_CLASSES])
    keys = np.array([k for _, k, _ in SHARE_CLASSES], dtype=object)
    band = keys[np.searchsorted(bounds, np.nan_to_num(share, nan=0.0), side="right").clip(0, 3)]
    keep = [c for c in ("code", "name") if c in demand.columns]
    out = demand[[*keep, weight, f"{weight}_uncovered_{label}", "facility_id", "distance_m"]]
    out = out.assign(share=np.round(share * 100, 1), band=band)
    return gpd.GeoDataFrame(out, geometry=demand.geometry, crs=demand.crs).to_crs(4326)


def _uncovered(run: CoverageRun, weight: str) -> gpd.GeoDataFrame:
    """The demand points not covered within the service radius (with people)."""
    result = run.result
    points = result.points
    names = result.demand_points.units.get("name")
    left = points[~points[f"covered_{tier_label(result.radius_m)}"] & (points[weight] > 0)]
    frame = left[[weight, "distance_m", "unit"]].copy()
    if names is not None:
        frame["name"] = names.to_numpy()[left["unit"].to_numpy()]
    return gpd.GeoDataFrame(frame.drop(columns="unit"), geometry=left.geometry).to_crs(4326)


def _add_demand(b: MapBuilder, run: CoverageRun, weight: str) -> None:
    lang, label = b.lang, tier_label(run.result.radius_m)
    who = pick(lang, "老人" if weight.startswith("elderly") else "人口", weight)
    b.add_layer(
        _shaded(run, weight),
        name="coverage",
        label=pick(lang, f"社区覆盖率（{label} 内）", f"Communities covered within {label}"),
        style=LayerStyle("#616161", weight=0.6, fill_opacity=0.5, z=20),
        category=CategoryStyle(
            "band",
            colors={k: c for _, k, c in SHARE_CLASSES},
            labels={k: f"{k}%" for _, k, _ in SHARE_CLASSES},
        ),
        title="name",
        fields=[
            PopupField("share", pick(lang, "覆盖率", "covered share"), "%", "float"),
            PopupField(weight, who, pick(lang, "人", "people"), "int"),
            PopupField(f"{weight}_uncovered_{label}", pick(lang, "未覆盖", "uncovered"), "", "int"),
            PopupField("facility_id", pick(lang, "最近设施", "nearest facility")),
            PopupField("distance_m", pick(lang, "距离", "distance"), "m", "float"),
        ],
    )
    b.add_layer(
        _uncovered(run, weight),
        name="uncovered",
        label=pick(lang, "未覆盖需求", "Uncovered demand"),
        style=LayerStyle("#000000", "#ffeb3b", weight=0.8, fill_opacity=0.9, radius_px=3, z=75),
        cluster=False,
        title="name",
        fields=[
            PopupField(weight, who, pick(lang, "人", "people"), "int"),
            PopupField("distance_m", pick(lang, "到最近设施", "to nearest"), "m", "float"),
        ],
    )


def _add_areas(b: MapBuilder, run: CoverageRun) -> None:
    # straight-line areas are plain circles (their Voronoi split fails on facilities that
    # share a position), walking areas are tiled by the nearest facility
    how = "nearest" if run.result.mode == "network" else "each"
    areas = run.result.service_areas(radius_m=run.result.radius_m, how=how)
    b.add_layer(
        areas.to_crs(4326),
        name="areas",
        label=pick(b.lang, "服务范围", "Service areas"),
        style=LayerStyle("#1565c0", "#64b5f6", weight=0.8, fill_opacity=0.25, z=30),
        fields=[
            PopupField("facility_id", pick(b.lang, "设施", "facility")),
            PopupField("radius_m", pick(b.lang, "半径", "radius"), "m", "float"),
        ],
    )


def _add_suspects(b: MapBuilder, run: CoverageRun) -> None:
    """Walking runs: the units whose walk likely crosses a gap in the network."""
    check = run.detours
    if run.result.mode != "network" or check is None or not check.suspect.any():
        return
    units = run.result.demand_points.units
    keep = [c for c in ("code", "name") if c in units.columns]
    frame = units.iloc[np.flatnonzero(check.suspect)][[*keep, "geometry"]].copy()
    ratios = check.ratios.iloc[np.flatnonzero(check.suspect)]
    frame["straight_m"] = ratios["straight_m"].to_numpy()
    frame["network_m"] = ratios["network_m"].replace(np.inf, np.nan).to_numpy()
    b.add_layer(
        gpd.GeoDataFrame(frame, crs=units.crs).to_crs(4326),
        name="network_suspects",
        label=pick(b.lang, "步行结果存疑（路网缺口）", "Walks across a likely network gap"),
        style=LayerStyle("#b71c1c", weight=2.5, fill_opacity=0.0, z=60),
        title="name",
        fields=[
            PopupField("straight_m", pick(b.lang, "直线", "straight line"), "m", "float"),
            PopupField("network_m", pick(b.lang, "步行", "walking"), "m", "float"),
        ],
    )


def _form(kind: Kind, radius_text: str, mode: str, lang: Lang, detour: tuple[str, str]) -> str:
    kinds = "".join(
        f'<option value="{k}"{" selected" if k == kind else ""}>{pick(lang, *v)}</option>'
        for k, v in KIND_NAMES.items()
    )
    modes = "".join(
        f'<option value="{m}"{" selected" if m == mode else ""}>{pick(lang, zh, en)}</option>'
        for m, zh, en in (
            ("network", "步行距离", "walking"),
            ("euclidean", "直线距离", "straight line"),
        )
    )
    note = escape(pick(lang, *detour)) + pick(
        lang, "半径可填多级，如 300,500,1000（米）。", " Radii may be tiers, e.g. 300,500,1000 (m)."
    )
    return (
        f'{_FORM_CSS}<form class="mzgis-cov-form" method="get" action="coverage">'
        f'<label>{pick(lang, "设施", "Facilities")} <select name="kind">{kinds}</select></label>'
        f"<label>{pick(lang, '服务半径（米）', 'Radius (m)')} "
        f'<input name="tiers" size="12" value="{escape(radius_text)}"></label>'
        f'<label>{pick(lang, "距离", "Distance")} <select name="mode">{modes}</select></label>'
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<button type="submit">{pick(lang, "更新", "Update")}</button><p>{note}</p></form>'
    )


def coverage_map(run: CoverageRun, builder: MapBuilder, *, kind: Kind) -> MapBuilder:
    """Draw a coverage run on ``builder``: shaded communities, service areas, uncovered
    demand, facilities; the headline (covered share per tier) in the subtitle."""
    weight = _weight(run)
    _add_demand(builder, run, weight)
    _add_areas(builder, run)
    _add_suspects(builder, run)
    builder.add_layer(run.result.facilities.to_crs(4326), kind=kind, name="facilities")
    tiers = run.result.summary()["weights"][weight]["tiers"]
    shares = " · ".join(f"≤{t} {v['share']:.0%}" for t, v in tiers.items())
    mode = (
        pick(builder.lang, "步行", "walking")
        if run.result.mode == "network"
        else pick(builder.lang, "直线", "straight line")
    )
    who = {"elderly_60_plus": ("60岁以上老人", "elderly 60+"), "population": ("人口", "population")}
    builder.subtitle = (
        f"{mode} · {pick(builder.lang, *who.get(weight, (weight, weight)))} · {shares}"
    )
    return builder


def _tiers(radius_m: float | None, tiers: str | None) -> list[float] | None:
    if tiers:
        return list(parse_tiers(tiers, field="tiers"))
    return None if radius_m is None else [radius_m]


@router.get("/coverage", response_class=HTMLResponse, summary="Coverage / 覆盖分析")
def coverage_page(  # noqa: PLR0917 - one parameter per query option
    request: Request,
    catalog: CatalogDep,
    network_source: NetworkDep,
    settings: SettingsDep,
    kind: Annotated[Kind, Query(description="Facility layer / 设施类型")] = "stations",
    radius_m: Annotated[
        float | None, Query(gt=0, le=MAX_RADIUS_M, description="Service radius, m / 服务半径")
    ] = None,
    tiers: Annotated[
        str | None, Query(max_length=80, description="Tiers, e.g. 300,500,1000 / 分级半径")
    ] = None,
    mode: Annotated[
        Literal["network", "euclidean"], Query(description="network / euclidean / 距离模式")
    ] = "network",
    lang: LangQuery = None,
) -> Response:
    """Coverage of stations, meal points or shelters: communities shaded by covered share,
    uncovered demand, service areas and facilities."""
    language: Lang = lang or settings.lang
    tiers_m = _tiers(radius_m, tiers)
    store = catalog.store
    key = ("coverage", kind, tuple(tiers_m or ()), mode, language)

    def build() -> str:
        run = run_coverage(
            catalog,
            facilities=kind,
            tiers_m=tiers_m,
            mode="network" if mode == "network" else "euclidean",
            network_source=network_source,
        )
        names = KIND_NAMES[kind]
        title = pick(language, f"{names[0]}覆盖分析", f"Coverage: {names[1]}")
        builder = page_builder(settings, store, title=title, lang=language)
        coverage_map(run, builder, kind=kind)
        shown = ",".join(f"{r:g}" for r in run.result.tiers_m)
        form = _form(kind, shown, mode, language, short_detour_note(run.detours))
        builder.map.get_root().html.add_child(folium.Element(form), name="mzgis_cov_form")  # type: ignore[attr-defined]
        return builder.render()

    return map_page(request, store, key, build)
