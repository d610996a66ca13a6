"""Drawing resize proposals on a folium map: old boundaries, blocks and proposed parts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd

from geo.zones._draw import PALETTE, zone_colours

if TYPE_CHECKING:
    from geo.communities.result import ResizeResult

__all__ = ["draw_result"]

_PART_FIELDS = (
    ("code", "Code (provisional) / 代码（暂定）"),
    ("name", "Name / 名称"),
    ("households", "Households / 户数"),
    ("population", "Population / 人口"),
    ("elderly_60_plus", "Aged 60+ / 60岁以上"),
    ("area_m2", "Area (m²) / 面积（平方米）"),
    ("compactness", "Compactness / 紧凑度"),
    ("status", "Status / 状态"),
)
_OLD_FIELDS = (
    ("code", "Code / 代码"),
    ("name", "Name / 名称"),
    ("households", "Households / 户数"),
)
_BLOCK_FIELDS = (
    ("block_id", "Block / 街区"),
    ("households", "Households / 户数"),
    ("part_code", "Part / 分区"),
    ("estimated", "Estimated / 估算"),
    ("cut", "Not along a road / 非道路边界"),
)


def _colours(result: ResizeResult) -> dict[str, str]:
    """A colour per part code, touching parts of one proposal in different colours."""
    out = {}
    for p in result.proposals:
        plan = p.split.plan
        if plan is None:
            continue
        by_station = zone_colours(plan)
        for j, code in enumerate(p.codes):
            out[code] = by_station.get(j, PALETTE[j % len(PALETTE)])
    return out


def _layer(
    frame: gpd.GeoDataFrame, fields: tuple[tuple[str, str], ...], name: str, style: Any
) -> folium.GeoJson:
    cols = [c for c, _ in fields if c in frame.columns]
    labels = [a for c, a in fields if c in frame.columns]
    shown = frame[[*cols, *(["colour"] if "colour" in frame else []), "geometry"]].to_crs(4326)
    for c in cols:
        if shown[c].dtype.kind == "f":
            shown[c] = shown[c].round(2)
    return folium.GeoJson(
        shown.to_json(),
        name=name,
        style_function=style,
        popup=folium.GeoJsonPopup(fields=cols, aliases=labels),
        tooltip=folium.GeoJsonTooltip(fields=cols[:2], aliases=labels[:2]),
    )


def draw_result(result: ResizeResult, *, m: folium.Map | None = None) -> folium.Map:
    """Old boundaries (dashed), proposed parts (coloured) and blocks (thin), with bilingual
    popups, on ``m`` or a new map without tiles (offline)."""
    parts = result.parts_gdf()
    colours = _colours(result)
    parts["colour"] = [colours.get(c, PALETTE[0]) for c in parts["code"]]
    codes = {c for p in result.proposals for c in p.replaces}
    old = result.communities[result.communities["code"].isin(codes)]
    blocks = result.blocks_gdf()
    if m is None:
        x0, y0, x1, y1 = old.to_crs(4326).total_bounds
        m = folium.Map(tiles=None, control_scale=True)
        m.fit_bounds([[y0, x0], [y1, x1]])
    _layer(
        parts,
        _PART_FIELDS,
        "Proposed parts / 调整后社区",
        lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#333333",
            "weight": 2,
            "fillOpacity": 0.45,
        },
    ).add_to(m)
    _layer(
        blocks,
        _BLOCK_FIELDS,
        "Blocks / 街区",
        lambda f: {"fillOpacity": 0.0, "color": "#555555", "weight": 0.6},
    ).add_to(m)
    _layer(
        old,
        _OLD_FIELDS,
        "Old boundaries / 原社区边界",
        lambda f: {"fillOpacity": 0.0, "color": "#000000", "weight": 3, "dashArray": "6 4"},
    ).add_to(m)
    folium.LayerControl().add_to(m)
    return m
