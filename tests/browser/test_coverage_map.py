"""``/maps/coverage`` in Chromium, offline: stations at the life-circle tiers by walking
distance (the default), drawn with shaded communities, uncovered demand, service areas."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.browser.mapcheck import MapTab, check_map_page, click_feature, toggle_layer

pytestmark = pytest.mark.browser


def _answer(map_server: str) -> dict:
    """The same analysis through the API (per-demand rows), to check the page against."""
    body = {"facilities": "stations", "levels": ["district"], "gaps": 0}
    response = httpx.post(f"{map_server}/analyses/coverage", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_coverage_map_default(map_server: str, map_tab: MapTab, demo_store: Path) -> None:
    answer = _answer(map_server)
    n_units, n_stations = answer["summary"]["units"], answer["summary"]["facilities"]
    report = check_map_page(
        map_tab,
        f"{map_server}/maps/coverage",
        expected_features={"coverage-1000m": n_units, "facilities": n_stations},
        screenshot="coverage.png",
        timeout_ms=60_000,
    )
    counts = report.counts
    # the shading carries the message: one tier shown, points and areas only on demand
    assert counts["coverage-300m"] == counts["coverage-500m"] == 0
    assert counts["uncovered"] == counts["areas"] == 0
    share = answer["summary"]["weights"]["elderly_60_plus"]["tiers"]["1000m"]["share"]
    page = map_tab.page
    assert f"≤1000m {share:.0%}" in page.locator(".mzgis-title").inner_text()
    assert page.locator("form.mzgis-cov-form select[name=facilities]").input_value() == "stations"
    figures = page.locator(".mzgis-cov-figures tr[data-tier='1000m'] td").first
    assert float(figures.get_attribute("data-share") or "nan") == pytest.approx(share, abs=1e-6)
    note = page.locator("form.mzgis-cov-form").inner_text()
    assert "中位数" in note and "/maps/network" in note and "通常约为" not in note
    # a legend for every tier; the tier switch shows one tier at a time
    legend = page.locator(".mzgis-legend").inner_text()
    assert all(f"社区覆盖率（{t} 内）" in legend for t in ("300m", "500m", "1000m"))
    toggle_layer(map_tab, "社区覆盖率（300m 内）")
    page.wait_for_timeout(100)  # the tier switch applies its rule after the click
    after = page.evaluate("() => mzgis.counts()")
    assert after["coverage-300m"] == n_units and after["coverage-1000m"] == 0
    # uncovered demand points on demand: communities with elderly left uncovered have one
    toggle_layer(map_tab, "未覆盖需求点")
    partly = [r for r in answer["per_demand"] if r["elderly_60_plus_uncovered_1000m"] > 0]
    assert len(partly) <= page.evaluate("() => mzgis.counts()")["uncovered"]
    popup = click_feature(map_tab, "facilities", 0)
    assert "服务能力" in popup or "驿站" in popup
    map_tab.assert_clean()


def test_coverage_map_form_and_errors(map_server: str, map_tab: MapTab) -> None:
    url = f"{map_server}/maps/coverage?kind=meal_points&tiers=500&mode=euclidean&lang=en"
    report = check_map_page(map_tab, url, screenshot="coverage_meal_en.png")
    page = map_tab.page
    assert "Coverage: Meal points" in page.locator(".mzgis-title").inner_text()
    assert "straight line" in page.locator(".mzgis-title").inner_text()
    assert report.counts["facilities"] > 0
    page.select_option("form.mzgis-cov-form select[name=facilities]", "shelters")
    page.click("form.mzgis-cov-form button")
    page.wait_for_function("() => window.mzgis && mzgis.ready === true", timeout=60_000)
    assert "facilities=shelters" in page.url
    assert "Shelters" in page.locator(".mzgis-title").inner_text()
    map_tab.assert_clean()
    bad = httpx.get(f"{map_server}/maps/coverage?tiers=500,300", timeout=30)
    assert bad.status_code == 400 and "strictly increasing" in bad.json()["detail"]
    bad = httpx.get(f"{map_server}/maps/coverage?radius_m=-1", timeout=30)
    assert bad.status_code == 400 and "radius_m" in bad.json()["detail"]
    bad = httpx.get(f"{map_server}/maps/coverage?facilities=roads", timeout=30)
    assert bad.status_code == 400 and bad.json()["problems"][0]["field"] == "facilities"
