"""``/maps/communities`` in Chromium, offline: the demo's proposal for 未英社区 (9,002
households, five parts) with its old boundary, parts and blocks, and their popups."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.communities import resize_communities
from layers.store import open_store
from tests.browser.mapcheck import MapTab, check_map_page, click_feature, toggle_layer

pytestmark = pytest.mark.browser

CODE = "110102001028"  # 未英社区居委会, the demo's largest community


def test_communities_map_of_one_proposal(
    map_server: str, map_tab: MapTab, demo_store: Path
) -> None:
    store = open_store(demo_store)
    try:
        expected = resize_communities(
            store.read("communities"), roads=store.read("roads"), codes=[CODE]
        )
    finally:
        store.close()
    (proposal,) = expected.proposals
    check_map_page(
        map_tab,
        f"{map_server}/maps/communities?codes={CODE}",
        expected_features={"parts": proposal.parts, "blocks": len(proposal.blocks), "old": 1},
        screenshot="communities.png",
    )
    parts = expected.parts_gdf().to_crs(3857).geometry  # Leaflet's plane, where it clicks
    inside = parts.contains(parts.centroid)
    popup = click_feature(map_tab, "parts", int(inside.to_numpy().argmax()))
    assert "暂定代码" in popup and "户数" in popup and CODE in popup
    assert any(code in popup for code in proposal.codes)
    assert "估算" in popup  # the demo's households are spread by area, and say so
    map_tab.page.evaluate("() => mzgis.featureAt('parts', 0)._map.closePopup()")
    toggle_layer(map_tab, "调整后社区")  # parts lie on top: hide them to reach a block
    block = click_feature(map_tab, "blocks", 0)
    assert "街区" in block and str(proposal.blocks["block_id"].iloc[0]) in block
    title = map_tab.page.locator(".mzgis-title").inner_text()
    assert "社区规模调整" in title and "方案 1" in title
    map_tab.assert_clean()
