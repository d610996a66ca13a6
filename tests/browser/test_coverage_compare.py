"""A planned facility layer compared with today's on ``/maps/coverage``, offline: the page's
before/after figures equal two API runs, and the difference map shades each community by
its change."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from bench.offline_browser import serving as serve
from layers.store import open_store
from tests.browser.mapcheck import MapTab, check_map_page, click_feature, toggle_layer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def planned_server(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the demo with a planned meal-point layer: today's 84 meal points
    and 12 more at the communities with the most elderly left uncovered."""
    from api.app import create_app
    from api.config import Settings

    path = tmp_path_factory.mktemp("planned") / demo_store.name
    shutil.copyfile(demo_store, path)
    store = open_store(path)
    try:
        live = store.read("meal_points")
        communities = store.read("communities").nlargest(12, "elderly_60_plus")
        new = live.iloc[:12].copy()
        new["meal_point_id"] = [f"PLAN{i:02d}" for i in range(12)]
        new["name"] = [f"规划助餐点{i}" for i in range(12)]
        new = new.set_geometry(communities.geometry.representative_point().to_numpy())
        planned = live.__class__(
            np.concatenate([live.to_numpy(), new.to_numpy()]), columns=live.columns
        ).set_geometry("geometry", crs=live.crs)
        store.import_frame(planned, name="meal_points_plan", kind="meal_points")
    finally:
        store.close()
    with serve(create_app(Settings(store=str(path)))) as url:
        yield url


def _share(base: str, layer: str) -> float:
    body = {"facilities": layer, "tiers_m": [500, 1000], "per_demand": "none", "gaps": 0}
    response = httpx.post(f"{base}/analyses/coverage", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return float(
        response.json()["summary"]["weights"]["elderly_60_plus"]["tiers"]["1000m"]["share"]
    )


def test_planned_layer_compared_with_today(planned_server: str, map_tab: MapTab) -> None:
    before, after = (
        _share(planned_server, "meal_points"),
        _share(planned_server, "meal_points_plan"),
    )
    assert after > before
    query = "facilities=meal_points&compare=meal_points_plan&tiers=500,1000"
    url = f"{planned_server}/maps/coverage?{query}"
    check_map_page(map_tab, url, screenshot="coverage-compare.png", timeout_ms=90_000)
    page = map_tab.page
    cells = page.locator(".mzgis-cov-figures tr[data-tier='1000m'] td")
    assert float(cells.nth(0).get_attribute("data-share") or "nan") == pytest.approx(
        before, abs=1e-6
    )
    assert float(cells.nth(1).get_attribute("data-share") or "nan") == pytest.approx(
        after, abs=1e-6
    )
    assert cells.nth(2).inner_text() == f"{(after - before) * 100:+.1f}"
    assert page.evaluate("() => mzgis.counts()")["planned"] == 96
    # the difference map, one of the tier switch's layers
    toggle_layer(map_tab, "规划后覆盖率变化（1000m 内）")
    page.wait_for_timeout(100)  # the tier switch applies its rule after the click
    counts = page.evaluate("() => mzgis.counts()")
    assert counts["difference"] > 0 and counts["coverage-1000m"] == 0
    popup = click_feature(map_tab, "difference", 0)
    assert "现状覆盖率" in popup and "规划后覆盖率" in popup and "个百分点" in popup
    map_tab.assert_clean()
