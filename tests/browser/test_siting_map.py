"""``/maps/siting`` in Chromium, offline: the default MCLP on the demo (5 new meal points
within 1,000 m of the most elderly residents), drawn with coverage, ranks and assignment."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.siting.map import siting_request
from layers.store import open_store
from tests.browser.mapcheck import MapTab, check_map_page, click_feature, toggle_layer

pytestmark = pytest.mark.browser


def _answer(map_server: str) -> dict:
    """The same analysis through the API, to check the page against."""
    body = siting_request().model_dump(mode="json")
    response = httpx.post(f"{map_server}/analyses/siting", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_siting_map_default(map_server: str, map_tab: MapTab, demo_store: Path) -> None:
    answer = _answer(map_server)
    store = open_store(demo_store)
    try:
        n_demand, n_meal = store.count("communities"), store.count("meal_points")
    finally:
        store.close()
    served = {row["demand_id"] for row in answer["assignment"] if row["facility_id"]}
    report = check_map_page(
        map_tab,
        f"{map_server}/maps/siting",
        expected_features={
            "demand": n_demand,
            "existing": n_meal,
            "new_sites": 5,
            "assignment": len(served),
            "candidates": 0,
        },
        screenshot="siting.png",
    )
    assert report.totals["candidates"] == answer["n_candidates"]
    page = map_tab.page
    assert page.locator(".mzgis-label-rank").count() == 5
    title = page.locator(".mzgis-title").inner_text()
    before, after = answer["coverage"]["share_before"], answer["coverage"]["share_after"]
    assert f"{before:.1%} → {after:.1%}" in title and "新增 5 处" in title
    first = answer["gains"][0]
    popup = click_feature(map_tab, "new_sites", 0)
    assert f"#1：{first['facility_id']}" in popup and "增益排名" in popup
    toggle_layer(map_tab, "候选点")
    assert page.evaluate("() => mzgis.counts()")["candidates"] == answer["n_candidates"]
    map_tab.assert_clean()


def test_siting_map_parameters(map_server: str) -> None:
    url = f"{map_server}/maps/siting?problem=pmedian&p=3&radius_m=800&mode=network&lang=en"
    response = httpx.get(url, timeout=60)
    assert response.status_code == 200
    assert "p-median · 3 new · 800 m · walking ·" in response.text  # the demo has roads
    bad = httpx.get(f"{map_server}/maps/siting?p=0", timeout=30)
    assert bad.status_code == 400 and "p='0' must be ≥ 1" in bad.json()["detail"]
