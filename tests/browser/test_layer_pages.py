"""The layers pages in Chromium, offline, at both sizes: the index, a layer's table (sort,
search, pages) beside its map, and importing an XLSX with Chinese headers, GCJ-02 points and
one bad row through the page: the report names the Excel row and nothing is imported; the
fixed file imports, and replacing a layer needs the confirmation that names what is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from layers.store import open_store
from tests.api.test_layer_pages import MAPPING, sheet
from tests.browser.conftest import WebSite
from tests.browser.pagecheck import VIEWPORTS, check_page, person, sign_in

pytestmark = pytest.mark.browser

READY = "() => window.mzgisLayer && window.mzgisLayer.ready === true"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_layers_index_and_table(web_site: WebSite, chromium: Browser, viewport: str) -> None:
    with person(chromium, viewport=viewport) as tab:
        page = tab.page
        index = check_page(tab, f"{web_site.url}/layers", name="layers", viewport=viewport)
        assert page.locator("a.button.primary").count() == 0  # no import for the signed-out
        url = f"{web_site.url}/layers/stations"
        report = check_page(tab, url, name="layer-stations", viewport=viewport, ready_js=READY)
        print(f"\n{viewport}: layers {index.load_ms:.0f} ms, stations {report.load_ms:.0f} ms")
        assert page.locator("#rows tbody tr").count() == 50
        assert page.locator("#layer-map path.leaflet-interactive").count() == 50
        page.click("button.sort[data-column=capacity_persons]")
        page.click("button.sort[data-column=capacity_persons]")  # descending
        page.wait_for_function("() => document.querySelector('th[aria-sort=descending]')")
        store = open_store(web_site.store)
        stations = store.read("stations")
        store.close()
        top = page.locator("#rows tbody tr").first.inner_text()
        assert str(stations["capacity_persons"].max()) in top
        name = stations["name"].iloc[7]
        page.fill("#search", name)
        page.wait_for_function("() => document.querySelectorAll('#rows tbody tr').length === 1")
        assert name in page.locator("#rows tbody tr").inner_text()
        page.fill("#search", "")
        page.wait_for_function("() => document.querySelectorAll('#rows tbody tr').length === 50")
        page.click("#next")
        page.wait_for_function("() => document.getElementById('count').textContent.includes('51')")
        tab.assert_clean()


def _upload(page: Page, path: Path) -> None:
    page.set_input_files("#file", str(path))
    page.click("#upload-form button[type=submit]")
    page.locator("#preview").wait_for(state="visible")


def _fill(page: Page, name: str) -> None:
    page.select_option("#kind", "stations")
    page.fill("#name", name)
    page.select_option("#crs", "gcj02")
    for column, field in MAPPING.items():
        page.select_option(f"#mapping select[data-field={field}]", column)


def _import_and_wait(page: Page) -> None:
    page.click("#import-button")
    page.wait_for_function(
        "() => document.querySelector('#result .ok')"
        " || document.getElementById('status').classList.contains('bad')"
        " || document.querySelector('#problems')"
    )


def test_import_bad_row_then_fixed_then_appended_then_replaced(
    web_site: WebSite, chromium: Browser, tmp_path: Path
) -> None:
    with person(chromium) as tab:
        page = tab.page
        sign_in(page, web_site.url, "planner")
        page.goto(f"{web_site.url}/layers")
        page.click("a.button.primary")
        page.wait_for_url(f"{web_site.url}/layers/import")
        _upload(page, sheet(tmp_path / "bad.xlsx", bad_capacity="四十"))
        assert "驿站编号" in page.locator("#preview-table thead").inner_text()
        assert page.locator("#preview-table tbody tr").count() == 3
        _fill(page, "web_stations")
        _import_and_wait(page)
        problems = page.locator("#problems tbody tr")
        assert problems.count() == 1
        assert problems.first.get_attribute("data-excel-row") == "3"
        assert "四十" in problems.first.inner_text()
        assert "capacity_persons" in problems.first.inner_text()
        page.screenshot(path=str(_shot("import-problems")), full_page=True)
        assert "web_stations" not in _layers(web_site)
        _upload(page, sheet(tmp_path / "good.xlsx"))
        _fill(page, "web_stations")
        _import_and_wait(page)
        assert "3" in page.locator("#result .ok").inner_text()
        assert _layers(web_site)["web_stations"] == 3
        _upload(page, sheet(tmp_path / "more.xlsx", ids=("N4", "N5", "N6")))
        _fill(page, "web_stations")
        _import_and_wait(page)  # the name is taken: the page says so
        assert "web_stations" in page.locator("#status").inner_text()
        page.check("input[name=mode][value=append]")
        _import_and_wait(page)
        assert page.locator("#result .ok").count() == 1
        assert _layers(web_site)["web_stations"] == 6  # the old rows are kept
        _upload(page, sheet(tmp_path / "fewer.xlsx", ids=("N1", "N7", "N8")))
        _fill(page, "web_stations")
        page.check("input[name=mode][value=replace]")
        _import_and_wait(page)  # replace: the page shows what it drops and waits
        label = page.locator("#confirm-replace-label").inner_text()
        assert "N2, N3, N4, N5, N6" in label and "web_stations" in label
        assert _layers(web_site)["web_stations"] == 6
        page.screenshot(path=str(_shot("import-replace-confirm")), full_page=True)
        page.check("#confirm-replace")
        _import_and_wait(page)
        assert page.locator("#result .ok").count() == 1
        assert _layers(web_site)["web_stations"] == 3
        page.click("#result a.button")
        page.wait_for_function(READY)
        assert "N7" in page.locator("#rows tbody").inner_text()
        tab.console_errors[:] = [e for e in tab.console_errors if "409" not in e and "422" not in e]
        tab.assert_clean()


def test_import_page_at_both_sizes_and_a_viewer_is_told_why(
    web_site: WebSite, chromium: Browser
) -> None:
    for viewport in VIEWPORTS:
        with person(chromium, viewport=viewport) as tab:
            sign_in(tab.page, web_site.url, "planner")
            url = f"{web_site.url}/layers/import"
            report = check_page(tab, url, name="import", viewport=viewport)
            print(f"\nimport page {viewport}: {report.load_ms:.0f} ms")
    with person(chromium) as tab:
        sign_in(tab.page, web_site.url, "viewer")
        url = f"{web_site.url}/layers/import"
        check_page(tab, url, name="import-viewer", viewport="desktop", status=403)
        assert "规划人员" in tab.page.locator("main").inner_text()


def _layers(site: WebSite) -> dict[str, int]:
    store = open_store(site.store)
    try:
        return {i.name: i.count for i in store.layers()}
    finally:
        store.close()


def _shot(name: str) -> Path:
    from tests.browser.mapcheck import output_dir

    return output_dir() / f"web-{name}-desktop.png"
