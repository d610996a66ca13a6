"""``/maps/network``: the walking network with what its quality report found on top.

The network's edges are drawn in grey; each kind of finding (detour outliers, suspected
missing links, parts cut off or left out, dead-end clusters, chords) is a layer of its own,
coloured by kind, with a popup that explains it in the page's language. The subtitle gives
the counts and the detour distribution. Open like the other map pages; cached per store
version and options.
"""

from __future__ import annotations

from typing import Annotated

import geopandas as gpd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import read_access
from api.deps import CatalogDep, NetworkDep, SettingsDep
from api.maps import LayerStyle, MapBuilder, PopupField
from api.maps.i18n import Lang, pick
from api.maps.routes import LangQuery, map_page, page_builder
from api.network.quality import store_quality
from api.network.routes import QualityQuery, quality_options
from geo.network.quality import KINDS, SEVERITIES, NetworkQuality

__all__ = ["network_map", "router"]

router = APIRouter(prefix="/maps", tags=["maps"], dependencies=[Depends(read_access)])

#: colour and drawing order of each kind of finding
_STYLES = {
    "detour": LayerStyle("#1b5e20", "#66bb6a", weight=1.5, fill_opacity=0.9, radius_px=6, z=90),
    "missing_link": LayerStyle("#d50000", weight=4.0, z=85),
    "cut_off": LayerStyle("#ad1457", "#f48fb1", weight=2.0, fill_opacity=0.35, z=70),
    "component": LayerStyle("#6a1b9a", "#ce93d8", weight=1.5, fill_opacity=0.3, z=65),
    "dead_end_cluster": LayerStyle("#e65100", "#ffb74d", weight=1.5, fill_opacity=0.4, z=75),
    "chord": LayerStyle("#0d47a1", weight=2.0, dash="6 4", z=40),
}


def _label(text: str, lang: Lang) -> str:
    """``"english / 中文"`` → the part of the page's language."""
    en, _, zh = text.partition(" / ")
    return pick(lang, zh or en, en)


def _add_findings(b: MapBuilder, quality: NetworkQuality) -> None:
    lang = b.lang
    found = quality.to_gdf()
    found["explanation"] = found[f"explanation_{'zh' if lang == 'zh' else 'en'}"]
    found["severity_label"] = found["severity"].map(lambda s: _label(SEVERITIES[s], lang))
    fields = [
        PopupField("severity_label", pick(lang, "严重程度", "severity")),
        PopupField("explanation", pick(lang, "说明", "finding")),
    ]
    measures = {
        "detour": [("straight_m", "直线", "straight line"), ("network_m", "步行", "walking")],
        "missing_link": [("straight_m", "直线", "straight line")],
        "component": [("length_m", "长度", "length")],
        "cut_off": [("length_m", "长度", "length")],
        "chord": [("length_m", "长度", "length")],
        "dead_end_cluster": [],
    }
    for kind, style in _STYLES.items():
        rows = found[found["kind"] == kind]
        extra = [PopupField(c, pick(lang, zh, en), "m", "float") for c, zh, en in measures[kind]]
        b.add_layer(
            gpd.GeoDataFrame(rows, crs=found.crs),
            name=kind,
            label=_label(KINDS[kind], lang),
            style=style,
            fields=[*fields, *extra],
            title="name" if kind == "detour" else None,
            cluster=False,
            show=kind != "chord",  # chords can be thousands: shown on demand
        )


def network_map(quality: NetworkQuality, builder: MapBuilder) -> MapBuilder:
    """Draw the network and the findings of ``quality`` on ``builder``."""
    lang = builder.lang
    edges = quality.network.edges_gdf[["name", "highway", "length_m", "geometry"]]
    builder.add_layer(
        edges.to_crs(4326),
        name="network",
        label=pick(lang, "步行路网", "Walking network"),
        style=LayerStyle("#78909c", weight=1.0, opacity=0.8, z=10),
        fields=[
            PopupField("name", pick(lang, "道路", "street")),
            PopupField("length_m", pick(lang, "长度", "length"), "m", "float"),
        ],
        title="name",
    )
    _add_findings(builder, quality)
    summary = quality.summary()
    counts = summary["findings"]
    shown = " · ".join(f"{_label(KINDS[k], lang)} {n:,}" for k, n in counts.items() if n)
    d = summary["detours"]
    if d.get("count"):
        shown += pick(
            lang,
            f" · 步行/直线中位数 {d['median']:.2f}",
            f" · walk/straight median {d['median']:.2f}",
        )
    builder.subtitle = shown
    return builder


@router.get("/network", response_class=HTMLResponse, summary="Walking network / 步行路网")
def network_page(  # noqa: PLR0917 - one parameter per dependency and query option
    request: Request,
    catalog: CatalogDep,
    network_source: NetworkDep,
    settings: SettingsDep,
    query: Annotated[QualityQuery, Depends()],
    lang: LangQuery = None,
) -> Response:
    """The walking network and the findings of its quality report."""
    language: Lang = lang or settings.lang
    store = catalog.store
    key = ("network", query.demand, query.targets, query.detour_ratio, language)

    def build() -> str:
        quality = store_quality(
            catalog,
            network_source(store),
            demand=query.demand or None,
            targets=query.targets or None,
            options=quality_options(query),
        )
        title = pick(language, "步行路网质量", "Walking-network quality")
        builder = page_builder(settings, store, title=title, lang=language)
        return network_map(quality, builder).render()

    return map_page(request, store, key, build)
