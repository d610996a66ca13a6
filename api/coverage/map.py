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
from urllib.parse import urlencode

import folium
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import read_access
from api.catalog import Catalog
from api.coverage.map_layers import SHARE_CLASSES, add_comparison, add_run, main_weight
from api.coverage.schemas import MAX_RADIUS_M
from api.coverage.service import FACILITY_KINDS, CoverageRun, parse_tiers, run_coverage
from api.deps import CatalogDep, NetworkDep, SettingsDep
from api.errors import InvalidParameterError
from api.maps import MapBuilder
from api.maps.i18n import Lang, pick
from api.maps.routes import LangQuery, map_page, page_builder
from api.network.quality import short_detour_note
from layers._errors import UnknownLayerError

__all__ = ["SHARE_CLASSES", "coverage_map", "facility_layer", "facility_layers", "router"]

router = APIRouter(prefix="/maps", tags=["maps"], dependencies=[Depends(read_access)])

Kind = Literal["stations", "meal_points", "shelters"]
KIND_NAMES = {
    "stations": ("养老驿站", "Elderly-care stations"),
    "meal_points": ("助餐点", "Meal points"),
    "shelters": ("应急避难场所", "Shelters"),
    "cemeteries": ("公墓", "Cemeteries"),
}
_FORM_CSS = (
    "<style>.mzgis-cov-panel{position:fixed;left:10px;bottom:24px;z-index:1000;"
    "background:rgba(255,255,255,.94);padding:6px 10px;font:12px/1.6 sans-serif;"
    "border-radius:4px;box-shadow:0 1px 5px rgba(0,0,0,.4);max-width:320px}"
    ".mzgis-cov-panel summary{cursor:pointer;font-weight:600}"
    ".mzgis-cov-form label{display:block}.mzgis-cov-form p{margin:4px 0 0;color:#666}"
    ".mzgis-cov-form table{border-collapse:collapse;margin:4px 0}"
    ".mzgis-cov-form td,.mzgis-cov-form th{padding:1px 6px;text-align:right}"
    "@media (max-width:700px){.mzgis-cov-panel{max-width:58vw;bottom:34px}}</style>"
)


def _options(values: list[tuple[str, str]], chosen: str | None) -> str:
    return "".join(
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(label)}</option>'
        for v, label in values
    )


def facility_layers(catalog: Catalog, lang: Lang) -> list[tuple[str, str]]:
    """(layer, label) of every facility layer of the store, named with its kind and count."""
    out = []
    for info in sorted(catalog.layers.values(), key=lambda i: i.name):
        if info.kind in FACILITY_KINDS:
            kind = pick(lang, *KIND_NAMES.get(info.kind, (info.kind, info.kind)))
            shown = kind if info.name == info.kind else f"{info.name}（{kind}）"
            out.append((info.name, f"{shown} · {info.count:,}"))
    return out


def _figures(live: CoverageRun, planned: CoverageRun | None, lang: Lang) -> str:
    """Covered share per tier today (and with the planned layer, with the change)."""
    weight = main_weight(live)
    head = pick(lang, "服务半径", "radius")
    cols = [pick(lang, "现状", "today")]
    if planned is not None:
        cols += [pick(lang, "规划后", "planned"), pick(lang, "变化", "change")]
    rows = [f"<tr><th>{head}</th>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"]
    tiers_now = live.result.summary()["weights"][weight]["tiers"]
    tiers_plan = planned.result.summary()["weights"][weight]["tiers"] if planned else {}
    for label, now in tiers_now.items():
        cells = [f'<td data-share="{now["share"]:.6f}">{now["share"]:.1%}</td>']
        if planned is not None:
            after = tiers_plan[label]["share"]
            cells.append(f'<td data-share="{after:.6f}">{after:.1%}</td>')
            cells.append(f"<td>{(after - now['share']) * 100:+.1f}</td>")
        rows.append(
            f'<tr data-tier="{escape(label)}"><th>≤{escape(label)}</th>{"".join(cells)}</tr>'
        )
    return f'<table class="mzgis-cov-figures">{"".join(rows)}</table>'


def _form(
    catalog: Catalog,
    *,
    chosen: tuple[str, str | None],
    radius_text: str,
    mode: str,
    lang: Lang,
    figures: str,
    detour: tuple[str, str],
) -> str:
    """The page's GET form (facility layer, comparison, radii, distance), the figures and
    the network's detour note."""
    layers = facility_layers(catalog, lang)
    dashboard = urlencode({"facilities": chosen[0], "tiers": radius_text, "mode": mode})
    modes = [("network", pick(lang, "步行距离", "walking")),
             ("euclidean", pick(lang, "直线距离", "straight line"))]  # fmt: skip
    compare = [("", pick(lang, "（不对比）", "(none)")), *layers]
    note = escape(pick(lang, *detour)) + pick(
        lang, "半径可填多级，如 300,500,1000（米）。", " Radii may be tiers, e.g. 300,500,1000 (m)."
    )
    return (
        f'{_FORM_CSS}<details class="mzgis-panel mzgis-cov-panel" open>'
        f"<summary>{pick(lang, '分析参数与结果', 'Settings and figures')}</summary>"
        f'<form class="mzgis-cov-form" method="get" action="coverage">'
        f"<label>{pick(lang, '设施图层', 'Facilities')} "
        f'<select name="facilities">{_options(layers, chosen[0])}</select></label>'
        f"<label>{pick(lang, '对比规划图层', 'Compare with')} "
        f'<select name="compare">{_options(compare, chosen[1] or "")}</select></label>'
        f"<label>{pick(lang, '服务半径（米）', 'Radius (m)')} "
        f'<input name="tiers" size="12" value="{escape(radius_text)}"></label>'
        f"<label>{pick(lang, '距离', 'Distance')} "
        f'<select name="mode">{_options(modes, mode)}</select></label>'
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<button type="submit">{pick(lang, "更新", "Update")}</button> '
        f'<a href="/dashboards/coverage?{escape(dashboard)}">{pick(lang, "看板", "Dashboard")}</a>'
        f"{figures}<p>{note}</p></form></details>"
    )


def coverage_map(
    run: CoverageRun,
    builder: MapBuilder,
    *,
    kind: str,
    planned: CoverageRun | None = None,
    planned_label: str = "",
) -> MapBuilder:
    """Draw a coverage run on ``builder`` (and the comparison with ``planned``); the
    headline (covered share per tier) in the subtitle."""
    weight = add_run(builder, run, kind=kind)
    if planned is not None:
        add_comparison(builder, run, planned, kind=kind, planned_label=planned_label)
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


def facility_layer(catalog: Catalog, name: str, field: str) -> str:
    """``name`` if it is a facility layer of the store, else a 400 naming ``field``."""
    try:
        kind = catalog.kind(name)
    except UnknownLayerError:
        kind = None
    if kind not in FACILITY_KINDS:
        known = ", ".join(n for n, _ in facility_layers(catalog, "en")) or "(none)"
        en, zh = (
            f"not a facility layer of the store (have: {known})",
            f"不是设施图层（现有：{known}）",
        )
        raise InvalidParameterError(field, name, en, zh)
    return name


@router.get("/coverage", response_class=HTMLResponse, summary="Coverage / 覆盖分析")
def coverage_page(  # noqa: PLR0917 - one parameter per query option
    request: Request,
    catalog: CatalogDep,
    network_source: NetworkDep,
    settings: SettingsDep,
    kind: Annotated[Kind, Query(description="Facility kind (its layer) / 设施类型")] = "stations",
    facilities: Annotated[
        str | None, Query(max_length=128, description="Facility layer / 设施图层")
    ] = None,
    compare: Annotated[
        str | None, Query(max_length=128, description="A planned layer to compare / 对比图层")
    ] = None,
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
    """Coverage of any facility layer: communities shaded by covered share (one tier at a
    time), uncovered demand and service areas on demand, facilities; with ``compare``, a
    planned layer beside it: covered shares before and after and the change per community."""
    language: Lang = lang or settings.lang
    tiers_m = _tiers(radius_m, tiers)
    layer = facility_layer(catalog, facilities or kind, "facilities")
    other = facility_layer(catalog, compare, "compare") if compare else None
    store = catalog.store
    key = ("coverage", layer, other, tuple(tiers_m or ()), mode, language)

    def run(name: str) -> CoverageRun:
        how: Literal["network", "euclidean"] = "network" if mode == "network" else "euclidean"
        return run_coverage(catalog, facilities=name, tiers_m=tiers_m, mode=how,
                            network_source=network_source)  # fmt: skip

    def build() -> str:
        live = run(layer)
        planned = run(other) if other else None
        names = KIND_NAMES.get(catalog.kind(layer), (layer, layer))
        title = pick(language, f"{names[0]}覆盖分析", f"Coverage: {names[1]}")
        builder = page_builder(settings, store, title=title, lang=language)
        planned_label = pick(language, f"规划设施：{other}", f"Planned: {other}")
        coverage_map(live, builder, kind=catalog.kind(layer), planned=planned,
                     planned_label=planned_label)  # fmt: skip
        shown = ",".join(f"{r:g}" for r in live.result.tiers_m)
        form = _form(
            catalog,
            chosen=(layer, other),
            radius_text=shown,
            mode=mode,
            lang=language,
            figures=_figures(live, planned, language),
            detour=short_detour_note(live.detours),
        )
        builder.map.get_root().html.add_child(folium.Element(form), name="mzgis_cov_form")  # type: ignore[attr-defined]
        return builder.render()

    return map_page(request, store, key, build)
