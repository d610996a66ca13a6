"""``/maps/zones`` in Chromium, offline: the default best-effort plan of the demo, and a plan
kept by ``POST /analyses/zones`` after a hand edit."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from layers.store import open_store
from tests.browser.mapcheck import MapTab, check_map_page, click_feature, toggle_layer

pytestmark = pytest.mark.browser


def test_zones_map_default(map_server: str, map_tab: MapTab, demo_store: Path) -> None:
    store = open_store(demo_store)
    try:
        n_units, n_stations = store.count("communities"), store.count("stations")
        closed = int((store.read("stations")["status"] == "停业").sum())
    finally:
        store.close()
    check_map_page(
        map_tab,
        f"{map_server}/maps/zones",
        expected_features={
            "units": n_units,
            "zones": 0,
            "stations": n_stations,
        },
        screenshot="zones.png",
    )
    popup = click_feature(map_tab, "units", 0)
    assert "责任驿站" in popup and "YZ" in popup
    assert "片区状态" in popup
    toggle_layer(map_tab, "片区")
    assert map_tab.page.evaluate("() => mzgis.counts()")["zones"] == n_stations - closed
    title = map_tab.page.locator(".mzgis-title").inner_text()
    assert "责任片区" in title and "超负荷" in title
    map_tab.assert_clean()


def test_zones_map_of_a_stored_plan(map_server: str, planner_auth: dict[str, str]) -> None:
    solved = httpx.post(
        f"{map_server}/analyses/zones",
        json={"best_effort": True},
        headers=planner_auth,
        timeout=60,
    )
    assert solved.status_code == 200, solved.text
    plan_id = solved.json()["plan_id"]
    page = httpx.get(f"{map_server}/maps/zones", params={"plan_id": plan_id}, timeout=60)
    assert page.status_code == 200 and "v1" in page.text
    missing = httpx.get(f"{map_server}/maps/zones", params={"plan_id": "nope"}, timeout=60)
    assert missing.status_code == 404
