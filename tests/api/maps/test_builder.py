"""The shared map builder: layers, popups from the schema, legend, basemap, tiles, assets."""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import pytest
import shapely

from api.maps import CategoryStyle, LayerStyle, MapBuilder, PopupField, external_urls
from api.maps.basemap import BasemapData
from api.maps.popups import popup_fields

STATIONS = gpd.GeoDataFrame(
    {
        "station_id": ["S1", "S2"],
        "name": ["{{ 驿站 }}", "东四驿站"],
        "capacity_persons": [40, 60],
        "status": ["运营", "筹建"],
        "source": ["estimated", "estimated"],
        "estimated_fields": ["capacity_persons", "capacity_persons"],
    },
    geometry=[shapely.Point(116.40, 39.91), shapely.Point(116.41, 39.92)],
    crs=4326,
)


def _spec(html: str, name: str) -> dict[str, Any]:
    """The spec the page passes to mzgis.featureLayer for layer ``name``."""
    for match in re.finditer(r"mzgis\.featureLayer\(\s*\"[^\"]+\", (\{.*?\})\);", html, re.S):
        spec = json.loads(match.group(1))
        if spec["name"] == name:
            return dict(spec)
    raise AssertionError(name)


def test_popup_fields_come_from_the_schema_with_units() -> None:
    zh = {f.name: f for f in popup_fields("stations", "zh")}
    assert (zh["capacity_persons"].label, zh["capacity_persons"].unit) == (
        "服务能力（签约人数）",
        "人",
    )
    assert "estimated_fields" not in zh
    en = {f.name: f for f in popup_fields("meal_points", "en", columns=["name", "meals_per_day"])}
    assert list(en) == ["name", "meals_per_day"]
    assert (en["meals_per_day"].label, en["meals_per_day"].unit) == ("meals per day", "餐/日")


def test_a_page_with_a_layer_loads_nothing_from_outside() -> None:
    builder = MapBuilder(title="测试")
    builder.add_layer(STATIONS, kind="stations")
    html = builder.render()
    assert external_urls(html) == []
    assert "/static/vendor/leaflet/leaflet.js" in html and "jquery" not in html
    assert "{{ 驿站 }}" in html  # data is never read as a template
    spec = _spec(html, "stations")
    assert spec["label"] == "社区养老服务驿站" and spec["title"] == "name"
    assert spec["common"] == {"source": "estimated", "estimated_fields": "capacity_persons"}
    assert ["capacity_persons", "服务能力（签约人数）", "人", "int"] in spec["fields"]
    assert spec["cluster"] is False
    assert "社区养老服务驿站" in html.split("mzgis.finish")[1]  # the legend
    assert "<title>测试</title>" in html


def test_large_point_layers_are_clustered_and_names_are_unique() -> None:
    builder = MapBuilder(title="t", lang="en")
    many = gpd.GeoDataFrame(
        {"name": [str(i) for i in range(2001)]},
        geometry=shapely.points([(116 + i * 1e-4, 39.9) for i in range(2001)]),
        crs=4326,
    )
    builder.add_layer(many, name="many")
    with pytest.raises(ValueError, match="already"):
        builder.add_layer(many, name="many")
    html = builder.render()
    assert _spec(html, "many")["cluster"] is True
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "/static/vendor/leaflet-measure/leaflet-measure.en.js" in html


def test_analysis_layers_bring_their_own_style_fields_and_categories() -> None:
    builder = MapBuilder(title="coverage")
    gaps = STATIONS.assign(covered=["yes", "no"])
    builder.add_layer(
        gaps,
        name="gaps",
        label="未覆盖",
        style=LayerStyle("#c62828", radius_px=9, z=95),
        category=CategoryStyle(
            "covered",
            colors={"yes": "#2e7d32", "no": "#c62828"},
            labels={"yes": "已覆盖", "no": "未覆盖"},
        ),
        fields=[PopupField("capacity_persons", "能力", "人", "int")],
    )
    html = builder.render()
    spec = _spec(html, "gaps")
    assert spec["style"]["radius"] == 9 and spec["category"]["field"] == "covered"
    assert spec["fields"] == [["capacity_persons", "能力", "人", "int"]]
    legend = html.split("mzgis.finish")[1]
    assert "已覆盖" in legend and "#2e7d32" in legend


def test_basemap_from_data_and_intranet_tiles() -> None:
    streets = gpd.GeoDataFrame(
        {"name": ["东华门街道"]}, geometry=[shapely.box(116.38, 39.90, 116.40, 39.92)], crs=4326
    )
    roads = gpd.GeoDataFrame(
        {"highway": ["primary"], "name": ["长安街"]},
        geometry=[shapely.LineString([(116.38, 39.905), (116.40, 39.905)])],
        crs=4326,
    )
    plain = MapBuilder(title="t")
    plain.add_basemap(BasemapData(roads=roads, streets=streets))
    html = plain.render()
    assert "东华门街道" in html and "长安街" in html and "OpenStreetMap" in html
    assert "L.tileLayer" not in html and external_urls(html) == []
    tiles = "http://gis.local/tiles/{z}/{x}/{y}.png"
    intranet = MapBuilder(title="t", tile_url=tiles, tile_attribution="市测绘院")
    intranet.add_basemap(BasemapData(streets=streets))
    html = intranet.render()
    assert "L.tileLayer" in html and json.dumps("市测绘院")[1:-1] in html
    assert external_urls(html, allowed=[tiles]) == [] and external_urls(html)
