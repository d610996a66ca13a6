"""``/maps/siting``: a siting answer on the map. Demand coloured by coverage (already covered
by existing sites, newly covered, not covered), the existing facilities, the new sites
highlighted with their rank by gain, lines from demand to its site, and the candidates
(hidden at start).

The default solves fast on the demo: MCLP, 5 new meal points within 1,000 m of the most
elderly residents (communities weighted by ``elderly_60_plus``), candidates on a 400 m grid
inside the districts and at least 200 m from existing meal points. Like ``/maps/layers``
the page is open to every client of the service.
"""

from __future__ import annotations

from typing import Annotated, Literal

import folium
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import read_access
from api.deps import CatalogDep, NetworkDep, SettingsDep
from api.maps import CategoryStyle, LayerStyle, MapBuilder, PopupField
from api.maps.elements import LabelLayer
from api.maps.i18n import Lang, pick
from api.maps.routes import LangQuery, map_page, page_builder
from api.siting.output import assignment_lines, demand_frame, sites_frame
from api.siting.schemas import CandidateSpec, Problem, Setback, SitingRequest
from api.siting.service import SitingRun, run_siting
from layers.schema import SCHEMAS

__all__ = ["MAX_LINES", "router", "siting_map", "siting_request"]

router = APIRouter(prefix="/maps", tags=["maps"], dependencies=[Depends(read_access)])

#: at most this many assignment lines are drawn (the heaviest demand first)
MAX_LINES = 2000
COVERAGE_COLORS = {"before": "#66bb6a", "new": "#1e88e5", "none": "#e53935"}
COVERAGE_LABELS = {
    "zh": {"before": "已覆盖（现有设施）", "new": "新增覆盖", "none": "未覆盖"},
    "en": {"before": "covered (existing)", "new": "newly covered", "none": "not covered"},
}
NEW_SITE_COLOR = "#6a1b9a"
PROBLEM_NAMES = {"lscp": "LSCP", "mclp": "MCLP", "pmedian": "p-median", "pcenter": "p-center"}
_RANK_CSS = (
    "<style>.mzgis-label.mzgis-label-rank span{display:block;color:#fff;"
    "font:700 12px/1 sans-serif;text-shadow:none}</style>"
)


def siting_request(
    *,
    problem: Problem = "mclp",
    p: int | None = 5,
    radius_m: float = 1000.0,
    mode: Literal["euclidean", "network"] = "euclidean",
    existing: str = "meal_points",
) -> SitingRequest:
    """The page's request: communities weighted by elderly 60+, candidates on a 400 m grid
    inside the districts at least 200 m from ``existing`` (which stay open)."""
    return SitingRequest(
        problem=problem,
        p=None if problem == "lscp" else p,
        service_radius_m=radius_m,
        mode=mode,
        existing_layer=existing,
        candidates=CandidateSpec(
            source="grid",
            area_layer="districts",
            spacing_m=400.0,
            setbacks=[Setback(layer=existing, setback_m=200.0)],
        ),
        time_limit_s=30.0,
    )


def _subtitle(run: SitingRun, lang: Lang) -> str:
    r, req = run.result, run.request
    share = (
        f"{r.covered_before / r.total_weight:.1%} → {r.covered_after / r.total_weight:.1%}"
        if r.total_weight > 0
        else "–"
    )
    radius = f"{req.service_radius_m:,.0f} m"
    name = PROBLEM_NAMES[req.problem]
    if lang == "zh":
        mode = "步行距离" if run.mode == "network" else "直线距离"
        fallback = "（无步行路网）" if run.mode != req.mode else ""
        return f"{name} · 新增 {r.n_new} 处 · {radius} · {mode}{fallback} · 覆盖 {share}"
    mode = "walking" if run.mode == "network" else "straight-line"
    fallback = " (no walking network)" if run.mode != req.mode else ""
    return f"{name} · {r.n_new} new · {radius} · {mode}{fallback} · covered {share}"


def _add_demand(b: MapBuilder, run: SitingRun) -> None:
    lang = b.lang
    weight = run.request.weight_col
    schema = SCHEMAS.get(run.inputs.demand_kind or "")
    field = schema.get_field(weight) if schema is not None and weight else None
    weight_label = (field.zh if lang == "zh" else field.en) if field else (weight or "weight")
    b.add_layer(
        demand_frame(run),
        name="demand",
        label=pick(lang, "需求（按覆盖状态）", "Demand by coverage"),
        style=LayerStyle("#555555", weight=0.6, fill_opacity=0.45, z=30),
        category=CategoryStyle("coverage", colors=COVERAGE_COLORS, labels=COVERAGE_LABELS[lang]),
        fields=[
            PopupField("demand_id", pick(lang, "编号", "id")),
            PopupField("weight", weight_label, field.unit if field else "", "float"),
            PopupField("facility_id", pick(lang, "服务设施", "served by")),
            PopupField("distance_m", pick(lang, "距离", "distance"), "m", "float"),
        ],
    )


def _add_sites(b: MapBuilder, run: SitingRun) -> None:
    lang = b.lang
    sites = sites_frame(run)
    existing = run.inputs.existing
    if existing is not None:
        kind = run.inputs.existing_kind
        schema = SCHEMAS.get(kind or "")
        label = (schema.zh if lang == "zh" else schema.en) if schema else "facilities"
        b.add_layer(
            existing.to_crs(4326).reset_index(drop=True),
            kind=kind,
            name="existing",
            label=pick(lang, f"现有{label}（保留）", f"Existing {label} (kept)"),
        )
    new = sites[sites["site_status"] == "new"].reset_index(drop=True)
    new["label"] = [
        pick(lang, f"新址 #{r}：{f}", f"New site #{r}: {f}")
        for r, f in zip(new["rank"], new["facility_id"], strict=True)
    ]
    b.add_layer(
        new,
        name="new_sites",
        label=pick(lang, "新增选址（按增益排序）", "New sites (ranked by gain)"),
        style=LayerStyle("#ffffff", NEW_SITE_COLOR, weight=2, fill_opacity=1.0, radius_px=10, z=95),
        title="label",
        fields=[
            PopupField("rank", pick(lang, "增益排名", "rank by gain"), "", "int"),
            PopupField("gain", pick(lang, "新增覆盖", "gain"), "", "float"),
            PopupField("assigned_weight", pick(lang, "分配需求", "assigned"), "", "float"),
        ],
    )
    labels = [
        (round(g.y, 6), round(g.x, 6), str(r))
        for g, r in zip(new.geometry.representative_point(), new["rank"], strict=True)
    ]
    b.map.add_child(LabelLayer(labels, cls="rank", name="labels-rank"))
    b.map.get_root().header.add_child(folium.Element(_RANK_CSS), name="mzgis_rank_css")  # type: ignore[attr-defined]


def siting_map(run: SitingRun, builder: MapBuilder) -> MapBuilder:
    """Draw a solved request on ``builder``: demand by coverage, assignment lines, candidates
    (hidden), existing sites, new sites with their rank; the headline in the subtitle."""
    lang = builder.lang
    _add_demand(builder, run)
    builder.add_layer(
        assignment_lines(run, max_lines=MAX_LINES),
        name="assignment",
        label=pick(lang, "需求—设施分配", "Assignment"),
        style=LayerStyle("#37474f", weight=0.8, opacity=0.45, fill=False, z=45),
        fields=[
            PopupField("demand_id", pick(lang, "需求", "demand")),
            PopupField("facility_id", pick(lang, "设施", "site")),
            PopupField("distance_m", pick(lang, "距离", "distance"), "m", "float"),
        ],
    )
    candidates = run.inputs.candidates.to_crs(4326)
    builder.add_layer(
        candidates.assign(candidate=candidates.index.astype(str)).reset_index(drop=True),
        name="candidates",
        label=pick(lang, "候选点", "Candidate sites"),
        style=LayerStyle("#757575", "#bdbdbd", weight=0.8, fill_opacity=0.8, radius_px=3, z=72),
        fields=[PopupField("candidate", pick(lang, "候选点", "candidate"))],
        show=False,
    )
    _add_sites(builder, run)
    builder.subtitle = _subtitle(run, lang)
    return builder


@router.get("/siting", response_class=HTMLResponse, summary="Siting / 设施选址")
def siting_page(
    *,
    request: Request,
    catalog: CatalogDep,
    network_source: NetworkDep,
    settings: SettingsDep,
    problem: Annotated[
        Problem, Query(description="lscp / mclp / pmedian / pcenter / 模型")
    ] = "mclp",
    p: Annotated[int, Query(ge=1, le=500, description="New sites / 新增设施数")] = 5,
    radius_m: Annotated[
        float, Query(gt=0, le=20_000, description="Service radius, m / 服务半径（米）")
    ] = 1000.0,
    mode: Annotated[
        Literal["euclidean", "network"], Query(description="euclidean / network / 距离模式")
    ] = "euclidean",
    existing: Annotated[
        str,
        Query(min_length=1, max_length=128, description="Existing facilities layer / 现有设施图层"),
    ] = "meal_points",
    lang: LangQuery = None,
) -> Response:
    """New sites for the demo's elderly: coverage before and after, ranked new sites."""
    language: Lang = lang or settings.lang
    req = siting_request(problem=problem, p=p, radius_m=radius_m, mode=mode, existing=existing)
    key = ("siting", req.model_dump_json(), language)
    store = catalog.store

    def build() -> str:
        run = run_siting(catalog, req, network_source=network_source)
        title = pick(language, "设施选址", "Siting")
        builder = page_builder(settings, store, title=title, lang=language)
        return siting_map(run, builder).render()

    return map_page(request, store, key, build)
