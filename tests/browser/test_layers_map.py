"""The layers map in headless Chromium, offline: loads, draws every layer of the store,
toggles, opens popups, and never asks for anything outside the machine."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from api.auth import RECORD_LAYER_KINDS
from api.maps.assets import external_urls
from api.maps.pages import BASEMAP_KINDS
from layers.store import open_store
from tests.browser.conftest import WebSite
from tests.browser.mapcheck import (
    MapTab,
    check_map_page,
    click_feature,
    output_dir,
    toggle_layer,
)
from tests.browser.pagecheck import person, sign_in

pytestmark = pytest.mark.browser


def _store_counts(store_path: Path) -> dict[str, tuple[str, int]]:
    """Kind and count of every layer the page shows (those holding records are never public)."""
    store = open_store(store_path)
    try:
        return {
            i.name: (i.kind, i.count) for i in store.layers() if i.kind not in RECORD_LAYER_KINDS
        }
    finally:
        store.close()


def test_layers_page_html_references_nothing_external(map_server: str) -> None:
    for lang in ("zh", "en"):
        with urllib.request.urlopen(f"{map_server}/maps/layers?lang={lang}") as response:
            html = response.read().decode("utf-8")
        assert external_urls(html) == []
        assert "/static/vendor/leaflet/leaflet.js" in html


def test_layers_map_draws_every_layer_offline(
    map_server: str, map_tab: MapTab, demo_store: Path
) -> None:
    layers = _store_counts(demo_store)
    expected = {
        name: (0 if kind in BASEMAP_KINDS else count) for name, (kind, count) in layers.items()
    }
    report = check_map_page(
        map_tab, f"{map_server}/maps/layers", expected_features=expected, screenshot="layers.png"
    )
    overlays = {k: v for k, v in report.totals.items() if not k.startswith("base-")}
    assert overlays == {name: count for name, (_, count) in layers.items()}
    # the data basemap is drawn: roads by class, district and street boundaries
    assert report.counts["base-roads_major"] >= 1
    assert report.counts["base-districts"] == layers["districts"][1]
    assert map_tab.page.locator(".mzgis-label-district").count() == layers["districts"][1]
    legend = map_tab.page.locator(".mzgis-legend").inner_text()
    assert "社区养老服务驿站" in legend and "主干道" in legend
    assert map_tab.page.locator(".leaflet-control-scale-line").count() == 1


def test_layer_toggles_and_lazy_layers(map_server: str, map_tab: MapTab, demo_store: Path) -> None:
    layers = _store_counts(demo_store)
    check_map_page(map_tab, f"{map_server}/maps/layers", screenshot="layers-toggled.png")
    page = map_tab.page
    counts = "() => mzgis.counts()"
    toggle_layer(map_tab, "社区养老服务驿站")
    assert page.evaluate(counts)["stations"] == 0
    assert "mzgis-off" in (
        page.locator('.mzgis-legend [data-layer="stations"]').get_attribute("class") or ""
    )
    toggle_layer(map_tab, "社区养老服务驿站")
    assert page.evaluate(counts)["stations"] == layers["stations"][1]
    # roads start off and, being large, are fetched from the app when first switched on
    toggle_layer(map_tab, "道路")
    page.wait_for_function(
        "n => mzgis.counts().roads === n", arg=layers["roads"][1], timeout=15_000
    )
    toggle_layer(map_tab, "街道乡镇")
    assert page.evaluate(counts)["streets"] == layers["streets"][1]
    page.screenshot(path=str(output_dir() / "layers-all-on.png"))
    map_tab.assert_clean()


def test_popups_show_fields_in_chinese_with_units(map_server: str, map_tab: MapTab) -> None:
    check_map_page(map_tab, f"{map_server}/maps/layers", screenshot="layers-popup.png")
    text = click_feature(map_tab, "stations", 0)
    assert "驿站编号" in text and "服务能力（签约人数）" in text and "人" in text
    assert "估算" in text  # demo values are flagged as estimated
    map_tab.page.screenshot(path=str(output_dir() / "layers-popup.png"))
    map_tab.assert_clean()


def test_english_labels(map_server: str, map_tab: MapTab) -> None:
    check_map_page(map_tab, f"{map_server}/maps/layers?lang=en", screenshot="layers-en.png")
    text = click_feature(map_tab, "meal_points", 0)
    assert "meals per day" in text and "餐/日" in text
    assert "Legend" in map_tab.page.locator(".mzgis-legend").inner_text()
    map_tab.assert_clean()


def test_measure_control_measures_in_metres(map_server: str, map_tab: MapTab) -> None:
    check_map_page(map_tab, f"{map_server}/maps/layers", screenshot="layers-measure.png")
    page = map_tab.page
    page.hover(".leaflet-control-measure")
    page.click(".leaflet-control-measure .js-start")
    box = page.locator(".leaflet-container").bounding_box()
    assert box is not None
    a, b = (box["x"] + 400, box["y"] + 400), (box["x"] + 600, box["y"] + 400)
    page.mouse.click(*a)
    page.mouse.click(*b)
    text = page.locator(".leaflet-control-measure").inner_text()
    shown_m = float(re.search(r"路径长度\s*([\d,]+)\s*米", text).group(1).replace(",", ""))  # type: ignore[union-attr]
    truth_m = page.evaluate(
        """() => { const m = mzgis.entries[0].group._map;
            return m.distance(m.containerPointToLatLng([400, 400]),
                              m.containerPointToLatLng([600, 400])); }"""
    )
    assert shown_m == pytest.approx(truth_m, rel=0.01)
    map_tab.assert_clean()


def test_popups_read_like_chinese_not_a_database_row(
    map_server: str, map_tab: MapTab, demo_store: Path
) -> None:
    opened = open_store(demo_store)
    try:
        streets = dict(
            zip(opened.read("streets")["code"], opened.read("streets")["name"], strict=True)
        )
    finally:
        opened.close()
    check_map_page(map_tab, f"{map_server}/maps/layers", screenshot="layers-popups-zh.png")
    # a community: its street code with the street's name beside it
    text = click_feature(map_tab, "communities", 0)
    code = re.search(r"\b(\d{9})\b", text)
    assert code is not None and streets[code.group(1)] in text
    # a road: its class in Chinese, not OSM's English word
    map_tab.page.evaluate("() => { mzgis.map.closePopup(); }")
    map_tab.page.wait_for_selector(".leaflet-popup", state="detached")  # after its fade
    toggle_layer(map_tab, "道路")
    map_tab.page.wait_for_function("() => mzgis.counts().roads > 0", timeout=15_000)
    text = click_feature(map_tab, "roads", 0)
    assert "道路等级" in text and not re.search(r"\b(footway|primary|secondary|tertiary)\b", text)
    attribution = map_tab.page.locator(".leaflet-control-attribution").inner_text()
    assert "OpenStreetMap 贡献者" in attribution
    map_tab.assert_clean()


def test_inspection_popups_in_beijing_time(web_site: WebSite, chromium: Browser) -> None:
    """A marker's last inspection time in 北京时间, for a signed-in administrator (record
    layers are never public)."""
    with person(chromium) as tab:
        sign_in(tab.page, web_site.url, "admin")
        check_map_page(tab, f"{web_site.url}/maps/inspection", screenshot="inspection-popup.png")
        index = tab.page.evaluate(
            """() => { for (let i = 0; ; i++) { const f = mzgis.featureAt('markers', i);
                if (!f) return -1; if (f.feature.properties.inspected_at) return i; } }"""
        )
        assert index >= 0
        text = click_feature(tab, "markers", index)
        assert re.search(r"检查时间\s+\d{4}/\d{2}/\d{2} \d{2}:\d{2}（北京时间）", text), text
        assert "True" not in text and "False" not in text
        tab.assert_clean()
