"""Large layers drawn from vector tiles in headless Chromium, offline: the layers map switches
a layer above the threshold to tiles of the app's own server (``MZGIS_TILED_MIN_FEATURES``),
the tiles draw, a click opens the feature's popup, panning asks for new tiles, and nothing
outside the machine is requested."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.offline_browser import serving as serve
from layers.store import open_store
from tests.browser.mapcheck import MapTab, check_map_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tiled_server(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the demo store, drawing layers of more than 100 features
    (communities, roads) from vector tiles."""
    from api.app import create_app
    from api.config import Settings

    store = tmp_path_factory.mktemp("tiled") / demo_store.name
    shutil.copyfile(demo_store, store)
    with serve(create_app(Settings(store=str(store), tiled_min_features=100))) as url:
        yield url


def test_a_large_layer_is_drawn_from_tiles(
    tiled_server: str, map_tab: MapTab, demo_store: Path
) -> None:
    opened = open_store(demo_store)
    try:
        communities = opened.read("communities")
    finally:
        opened.close()
    check_map_page(map_tab, f"{tiled_server}/maps/layers", screenshot="layers-tiled.png")
    page = map_tab.page
    html = page.content()
    assert "Leaflet.VectorGrid.bundled.min.js" in html
    assert '"communities"' in html and communities["name"].iloc[0] not in html  # not embedded
    page.wait_for_function(
        "() => { const s = mzgis.tileState().communities; return s && s.loadedMs && s.tiles > 0; }",
        timeout=20_000,
    )
    drawn = page.evaluate("() => mzgis.tileState().communities.tiles")
    assert drawn >= 1
    assert page.locator(".leaflet-tile-container canvas").count() >= drawn
    # a click inside a community opens its popup, built from the tile's properties
    row = communities.iloc[len(communities) // 2]
    point = row.geometry.representative_point()
    before = page.evaluate("() => mzgis.tileState().communities.loadedMs")
    where = page.evaluate(
        """([lat, lon]) => {
            const map = mzgis.map;
            map.setView([lat, lon], 16, {animate: false});
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [point.y, point.x],
    )
    page.wait_for_function(  # the new view's tiles
        "t => mzgis.tileState().communities.loadedMs > t", arg=before, timeout=20_000
    )
    page.mouse.click(where["x"], where["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5_000)
    assert str(row["name"]) in popup.inner_text()
    map_tab.assert_clean()
