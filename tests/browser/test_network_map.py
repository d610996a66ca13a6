"""``/maps/network`` in Chromium, offline: the demo's walking network with the findings of
its quality report, one layer per kind, counts equal to the API's report."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.mapcheck import MapTab, check_map_page, click_feature, toggle_layer

pytestmark = pytest.mark.browser


def test_network_map_shows_the_quality_findings(map_server: str, map_tab: MapTab) -> None:
    answer = httpx.get(
        f"{map_server}/analyses/network/quality", params={"limit": 5}, timeout=120
    ).json()
    worst = answer["findings"]["features"][0]["properties"]
    assert worst["kind"] == "detour"
    counts = answer["summary"]["findings"]
    edges = answer["summary"]["network"]["edges"]
    expected = {k: n for k, n in counts.items() if k != "chord"}  # chords start hidden
    report = check_map_page(
        map_tab,
        f"{map_server}/maps/network",
        expected_features={"network": edges, **expected, "chord": 0},
        screenshot="network.png",
        timeout_ms=60_000,
    )
    assert report.counts["detour"] > 10 and report.counts["missing_link"] > 0
    page = map_tab.page
    assert "绕行异常" in page.locator(".mzgis-title").inner_text()
    popup = click_feature(map_tab, "detour", 0)  # the worst first, as in the API
    assert worst["name"] in popup and worst["explanation_zh"] in popup
    toggle_layer(map_tab, "无中间形状的长直线边")
    assert page.evaluate("() => mzgis.counts()")["chord"] == counts["chord"]
    map_tab.assert_clean()
