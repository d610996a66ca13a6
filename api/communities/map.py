"""``/maps/communities``: community size adjustment (社区规模调整) on the map: the old
boundaries of the communities taken, the proposed parts (coloured by part, provisional code,
households, band and compactness in their popups) and the street blocks they are made of
(households, estimated or not, cut where no road divides them).

``?codes=`` limits the page to some communities (comma-separated); without it the page
shows every community over the resize threshold with the default options.
``?proposal_id=`` shows a stored proposal (its current version, or ``&version=``) as edited
by hand. The parts lie on
top (a click anywhere inside opens a part); hide them to click a block or an old boundary.
"""

from __future__ import annotations

from typing import Annotated

import geopandas as gpd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import read_access
from api.catalog import Catalog
from api.communities.routes import proposals
from api.communities.schemas import ResizeRequest
from api.communities.service import run_resize
from api.deps import CatalogDep, SettingsDep
from api.errors import InvalidParameterError
from api.maps import PALETTE, CategoryStyle, LayerStyle, MapBuilder, PopupField
from api.maps.i18n import Lang, pick
from api.maps.routes import LangQuery, map_page, page_builder
from geo.communities import ResizeResult
from layers.store import Store

__all__ = ["communities_map", "router"]

router = APIRouter(prefix="/maps", tags=["maps"], dependencies=[Depends(read_access)])
STATUS_COLORS = {"proposed": "#2e7d32", "infeasible": "#c62828"}


def _parts(result: ResizeResult, lang: Lang) -> gpd.GeoDataFrame:
    parts = result.parts_gdf().to_crs(4326)
    parts["band"] = parts["in_band"].map(
        {True: pick(lang, "区间内", "in band"), False: pick(lang, "超出区间", "out of band")}
    )
    return parts


def _add_blocks(b: MapBuilder, result: ResizeResult, lang: Lang) -> None:
    b.add_layer(
        result.blocks_gdf().to_crs(4326),
        name="blocks",
        label=pick(lang, "街区", "Blocks"),
        style=LayerStyle("#616161", weight=0.6, fill=False, z=40),
        fields=[
            PopupField("block_id", pick(lang, "街区", "block")),
            PopupField("part_code", pick(lang, "所属分区", "part")),
            PopupField("households", pick(lang, "户数", "households"), "", "int"),
            PopupField("estimated", pick(lang, "按面积估算", "estimated by area")),
            PopupField("cut", pick(lang, "无道路分隔", "cut, no road")),
        ],
    )


def _add_parts(b: MapBuilder, result: ResizeResult, lang: Lang) -> None:
    b.add_layer(
        _parts(result, lang),
        name="parts",
        label=pick(lang, "调整后社区（暂定代码）", "Proposed parts (provisional codes)"),
        style=LayerStyle("#333333", weight=1.5, fill_opacity=0.5, z=60),
        category=CategoryStyle("code", palette=PALETTE),
        fields=[
            PopupField("code", pick(lang, "暂定代码", "provisional code")),
            PopupField("name", pick(lang, "名称", "name")),
            PopupField("replaces", pick(lang, "原社区", "replaces")),
            PopupField("households", pick(lang, "户数", "households"), "", "int"),
            PopupField("population", pick(lang, "人口", "population"), "", "int"),
            PopupField("elderly_60_plus", pick(lang, "60岁以上", "aged 60+"), "", "int"),
            PopupField("band", pick(lang, "户数区间", "band")),
            PopupField("area_m2", pick(lang, "面积", "area"), "m²", "float"),
            PopupField("compactness", pick(lang, "紧凑度", "compactness"), "", "float"),
            PopupField("cut_blocks", pick(lang, "非道路切分街区", "blocks cut"), "", "int"),
        ],
    )


def communities_map(
    result: ResizeResult, store: Store, *, lang: Lang, settings: SettingsDep
) -> str:
    """The page of one resize run."""
    s = result.summary()
    title = pick(lang, "社区规模调整", "Community size adjustment")
    counts = pick(
        lang,
        f"方案 {s['proposed']} · 不可行 {s['infeasible']}",
        f"proposed {s['proposed']} · infeasible {s['infeasible']}",
    )
    b = page_builder(settings, store, title=f"{title} · {counts}", lang=lang)
    codes = {c for p in result.proposals for c in p.replaces}
    old = result.communities[result.communities["code"].isin(codes)].copy()
    if len(old):
        x0, y0, x1, y1 = (float(v) for v in old.to_crs(4326).total_bounds)
        b.view = (x0, y0, x1, y1)  # the page opens on them
    status = {c: p.status for p in result.proposals for c in p.replaces}
    old["status"] = old["code"].map(status)
    b.add_layer(
        old,
        name="old",
        label=pick(lang, "原社区边界", "Old boundaries"),
        style=LayerStyle("#000000", weight=3.0, fill=False, dash="6 4", z=20),
        category=CategoryStyle(
            "status",
            colors=STATUS_COLORS,
            labels={
                "proposed": pick(lang, "已有方案", "proposed"),
                "infeasible": pick(lang, "不可行", "infeasible"),
            },
        ),
        fields=[
            PopupField("code", pick(lang, "代码", "code")),
            PopupField("name", pick(lang, "名称", "name")),
            PopupField("households", pick(lang, "户数", "households"), "", "int"),
            PopupField("status", pick(lang, "状态", "status")),
        ],
    )
    _add_blocks(b, result, lang)
    _add_parts(b, result, lang)
    return b.render()


CodesQuery = Annotated[
    str | None,
    Query(max_length=4000, description="Community codes, comma-separated / 社区代码（逗号分隔）"),
]


def _stored(
    request: Request, catalog: Catalog, proposal_id: str, version: int | None
) -> tuple[tuple[object, ...], ResizeResult]:
    """The page key and a one-proposal result of a stored proposal."""
    stored = proposals(request).get(proposal_id, version=version)
    p = stored.proposal
    layer = catalog.read(stored.request.communities_layer, field="communities_layer")
    return ("communities", proposal_id, p.version), ResizeResult.of_proposal(p, layer)


@router.get(
    "/communities", response_class=HTMLResponse, summary="Community size adjustment / 社区规模调整"
)
def communities_page(
    *,
    request: Request,
    catalog: CatalogDep,
    settings: SettingsDep,
    lang: LangQuery = None,
    codes: CodesQuery = None,
    proposal_id: Annotated[
        str | None, Query(max_length=64, description="Stored proposal / 已保存方案编号")
    ] = None,
    version: Annotated[int | None, Query(ge=1, description="Its version / 方案版本")] = None,
) -> Response:
    """The proposals for ``codes`` (or every flagged community), or a stored proposal, on
    the map."""
    language: Lang = lang or settings.lang
    if proposal_id is not None:
        key, stored = _stored(request, catalog, proposal_id, version)
        return map_page(
            request,
            catalog.store,
            (*key, language),
            lambda: communities_map(stored, catalog.store, lang=language, settings=settings),
        )
    chosen = [c.strip() for c in codes.split(",") if c.strip()] if codes else None
    if chosen is not None and not chosen:
        raise InvalidParameterError("codes", codes, "names no community", "未给出社区代码")
    body = ResizeRequest(codes=chosen)
    store = catalog.store
    key = ("communities", tuple(chosen or ()), language)

    def build() -> str:
        return communities_map(run_resize(catalog, body), store, lang=language, settings=settings)

    return map_page(request, store, key, build)
