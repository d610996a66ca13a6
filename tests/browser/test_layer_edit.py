"""Editing a feature on its layer's page, in Chromium, offline: a planner changes a
station's capacity and drags its point (OGC API - Features Part 4 with If-Match); the store
holds both and the next coverage run uses the new position; a second person's stale save
gets the 412 flow (their values kept in the form, saved again on the new version)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page

from layers.store import open_store
from tests.browser.conftest import WebSite
from tests.browser.pagecheck import PASSWORD, person, sign_in

pytestmark = pytest.mark.browser

READY = "() => window.mzgisLayer && window.mzgisLayer.ready === true"
SAVED = "() => document.getElementById('edit-status').textContent.startsWith('✓')"


def station(site: WebSite, station_id: str) -> dict:
    store = open_store(site.store)
    try:
        frame = store.read("stations")
    finally:
        store.close()
    row = frame[frame["station_id"] == station_id].iloc[0]
    return {"capacity": int(row["capacity_persons"]), "x": row.geometry.x, "y": row.geometry.y}


def open_row(page: Page, site: WebSite, station_id: str) -> None:
    page.goto(f"{site.url}/layers/stations")
    page.wait_for_function(READY)
    page.fill("#search", station_id)
    page.wait_for_function("() => document.querySelectorAll('#rows tbody tr').length === 1")
    page.locator("#rows tbody tr").first.click()
    page.locator("#edit-form").wait_for(state="visible")


def coverage_of(site: WebSite, station_id: str) -> dict:
    body = {"facilities": "stations", "tiers_m": [300], "mode": "euclidean"}
    answer = httpx.post(f"{site.url}/analyses/coverage", json=body, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_edit_capacity_and_drag_the_point(web_site: WebSite, chromium: Browser) -> None:
    target = "YZ0010"
    before = station(web_site, target)
    coverage_before = coverage_of(web_site, target)
    with person(chromium) as tab:
        page = tab.page
        sign_in(page, web_site.url, "planner")
        open_row(page, web_site, target)
        page.fill("#edit-form input[name=capacity_persons]", str(before["capacity"] + 7))
        handle = page.locator("#layer-map .drag-handle").first
        box = handle.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 60, y + 40, steps=8)
        page.mouse.up()
        assert "moved" in page.locator("#edit-geometry").get_attribute("class")
        page.click("#edit-save")
        page.wait_for_function(
            "() => document.getElementById('edit-status').textContent.includes('✓')"
        )
        page.screenshot(path=str(_shot("layer-edit")), full_page=True)
        tab.assert_clean()
    after = station(web_site, target)
    assert after["capacity"] == before["capacity"] + 7
    assert after["x"] > before["x"] and after["y"] < before["y"]  # right and down on screen
    assert coverage_of(web_site, target) != coverage_before  # the next run uses it


def test_a_stale_save_gets_the_412_flow_and_keeps_the_values(
    web_site: WebSite, chromium: Browser
) -> None:
    target = "YZ0011"
    before = station(web_site, target)
    with person(chromium) as first, person(chromium) as second:
        sign_in(first.page, web_site.url, "planner")
        sign_in(second.page, web_site.url, "admin")
        open_row(first.page, web_site, target)
        open_row(second.page, web_site, target)
        first.page.fill("#edit-form input[name=capacity_persons]", str(before["capacity"] + 1))
        first.page.click("#edit-save")
        first.page.wait_for_function(SAVED)
        second.page.fill("#edit-form input[name=operator]", "街道办")
        second.page.click("#edit-save")  # based on the old ETag: 412
        second.page.wait_for_function(
            "() => document.getElementById('edit-status').classList.contains('bad')"
        )
        assert second.page.input_value("#edit-form input[name=operator]") == "街道办"
        assert second.page.input_value("#edit-form input[name=capacity_persons]") == str(
            before["capacity"] + 1
        )  # the other person's value is shown, the own edit kept
        second.page.click("#edit-save")
        second.page.wait_for_function(SAVED)
        second.console_errors[:] = [e for e in second.console_errors if "412" not in e]
        first.assert_clean()
        second.assert_clean()
    store = open_store(web_site.store)
    row = store.read("stations").set_index("station_id").loc[target]
    store.close()
    assert row["capacity_persons"] == before["capacity"] + 1 and row["operator"] == "街道办"


def test_viewers_see_no_edit_form(web_site: WebSite, chromium: Browser) -> None:
    with person(chromium) as tab:
        sign_in(tab.page, web_site.url, "viewer")
        tab.page.goto(f"{web_site.url}/layers/stations")
        tab.page.wait_for_function(READY)
        tab.page.locator("#rows tbody tr").first.click()
        assert tab.page.locator("#edit-form").count() == 0
        token = httpx.post(
            f"{web_site.url}/auth/token", data={"username": "viewer", "password": PASSWORD}
        ).json()["access_token"]
        denied = httpx.patch(
            f"{web_site.url}/collections/stations/items/YZ0001",
            json={"properties": {"operator": "x"}},
            headers={"Authorization": f"Bearer {token}", "If-Match": '"x"'},
        )
        assert denied.status_code == 403


def _shot(name: str):  # type: ignore[no-untyped-def]
    from tests.browser.mapcheck import output_dir

    return output_dir() / f"web-{name}-desktop.png"
