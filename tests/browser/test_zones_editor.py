"""The zones editor (/zones) in Chromium, offline: a viewer is told why they cannot edit; a
planner solves a plan with the form; moves a community, sees the changed list and the band
warning, confirms, and the store holds a new version with exactly that change; a second
person editing the same version gets the 412 flow and loses nothing; the version history
compares two versions and exports one as XLSX."""

from __future__ import annotations

import io
from typing import Any

import geopandas as gpd
import httpx
import openpyxl
import pytest
from playwright.sync_api import Browser, Page

from layers.store import open_store
from tests.browser.conftest import WebSite
from tests.browser.pagecheck import PASSWORD, VIEWPORTS, check_page, person, sign_in

pytestmark = pytest.mark.browser

READY = "() => window.mzgisZones && window.mzgisZones.ready === true"


def token(site: WebSite, username: str) -> str:
    answer = httpx.post(
        f"{site.url}/auth/token", data={"username": username, "password": PASSWORD}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def api(site: WebSite, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token(site, 'planner')}", **kwargs.pop("headers", {})}
    return httpx.request(method, f"{site.url}{path}", headers=headers, timeout=120, **kwargs)


def assignment(site: WebSite, plan_id: str, version: int | None = None) -> dict[str, str]:
    path = f"/analyses/zones/{plan_id}" + (f"/versions/{version}" if version else "")
    rows = api(site, "GET", path).json()["assignment"]
    return {str(r["unit_id"]): r["station_id"] for r in rows}


def communities(site: WebSite) -> gpd.GeoDataFrame:
    store = open_store(site.store)
    try:
        return store.read("communities")[
            ["code", "name", "street_code", "basic_recipients", "geometry"]
        ]
    finally:
        store.close()


def neighbours(frame: gpd.GeoDataFrame) -> dict[str, set[str]]:
    """Communities sharing a border, within one street."""
    pairs = gpd.sjoin(frame, frame, predicate="intersects")
    pairs = pairs[
        (pairs["code_left"] != pairs["code_right"])
        & (pairs["street_code_left"] == pairs["street_code_right"])
    ]
    out: dict[str, set[str]] = {}
    for a, b in zip(pairs["code_left"], pairs["code_right"], strict=True):
        out.setdefault(a, set()).add(b)
    return out


def wait_saved(page: Page, version: int) -> None:
    """Wait for the page to say the edit was saved as ``version``."""
    page.wait_for_function(
        "v => document.getElementById('status').textContent === `已保存为版本 ${v}。`", arg=version
    )


def open_editor(page: Page, site: WebSite, plan_id: str) -> None:
    page.goto(f"{site.url}/zones?plan={plan_id}")
    page.wait_for_function(READY, timeout=30_000)


def move_in_page(page: Page, unit_name: str, station: str) -> None:
    """Find a community by name, choose the target station and preview the move."""
    page.fill("#f-search", unit_name)
    page.locator("#unit-list button").first.click()
    page.select_option("#move-target", station)
    page.click("#move-button")


@pytest.fixture(scope="module")
def plan(web_site: WebSite) -> str:
    answer = api(web_site, "POST", "/analyses/zones", json={"mode": "euclidean"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["plan_id"])


def test_a_viewer_is_told_why(web_site: WebSite, chromium: Browser) -> None:
    with person(chromium) as tab:
        sign_in(tab.page, web_site.url, "viewer")
        check_page(
            tab, f"{web_site.url}/zones", name="zones-viewer", viewport="desktop", status=403
        )
        text = tab.page.locator("main").inner_text()
        assert "无权访问" in text and "管理员、规划人员" in text and "李查看" in text


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_editor_at_both_sizes_and_the_solve_form(
    web_site: WebSite, chromium: Browser, plan: str, viewport: str
) -> None:
    with person(chromium, viewport=viewport) as tab:
        sign_in(tab.page, web_site.url, "planner", next_path="/zones")
        url = f"{web_site.url}/zones?plan={plan}"
        report = check_page(tab, url, name="zones", viewport=viewport, ready_js=READY)
        print(f"\nzones editor {viewport}: load {report.load_ms:.0f} ms")
        if viewport == "phone":
            return
        tab.page.click("details.solve summary")
        tab.page.fill("#solve-band", "15")
        tab.page.click("#solve-form button[type=submit]")
        tab.page.wait_for_url(lambda url: "/zones?plan=" in url and plan not in url)
        tab.page.wait_for_function(READY, timeout=30_000)
        assert tab.page.locator("#history tbody tr").count() == 1
        tab.assert_clean()


def test_move_warn_confirm_and_the_store_holds_exactly_that(
    web_site: WebSite, chromium: Browser, plan: str
) -> None:
    frame = communities(web_site)
    touching = neighbours(frame)
    workload = dict(zip(frame["code"], frame["basic_recipients"], strict=True))
    names = dict(zip(frame["code"], frame["name"], strict=True))
    before = assignment(web_site, plan)
    report = api(web_site, "GET", f"/analyses/zones/{plan}/report").json()
    version = report["version"]
    loads = {w["station_id"]: w for w in report["workload"]}
    # a station whose zone is locked whole, and a community next to it that overloads it
    unit, station = next(
        (u, before[n])
        for u in sorted(before)
        for n in sorted(touching.get(u, ()))
        if before[n] != before[u]
        and loads[before[n]]["workload"] + workload[u] > loads[before[n]]["upper"]
        and sum(1 for x in names.values() if x == names[u]) == 1
    )
    zone = [u for u, s in before.items() if s == station]
    locked = api(
        web_site, "POST", f"/analyses/zones/{plan}/edits",
        json={"locks": zone}, headers={"If-Match": f'"{version}"'},
    )  # fmt: skip
    assert locked.status_code == 200, locked.text
    version += 1
    with person(chromium) as tab:
        page = tab.page
        sign_in(page, web_site.url, "planner")
        open_editor(page, web_site, plan)
        move_in_page(page, names[unit], station)
        page.locator("#preview").wait_for(state="visible")
        rows = page.locator("#preview table.changes tbody tr")
        assert rows.first.get_attribute("data-unit") == unit
        assert "您移动的" in rows.first.inner_text() and names[unit] in rows.first.inner_text()
        shown = {rows.nth(i).get_attribute("data-unit") for i in range(rows.count())}
        warning = page.locator(".band-warning")
        assert warning.is_visible() and station in warning.inner_text()
        assert page.locator("#save-button").is_disabled()
        page.screenshot(path=str(tab_shot("zones-band-warning")), full_page=True)
        assert api(web_site, "GET", f"/analyses/zones/{plan}").json()["version"] == version
        page.check("#confirm-band")
        page.click("#save-button")
        wait_saved(page, version + 1)
        tab.assert_clean()
    after = assignment(web_site, plan)
    changed = {u for u in after if after[u] != before[u]}
    assert changed == shown and after[unit] == station
    history = api(web_site, "GET", f"/analyses/zones/{plan}/versions").json()["versions"]
    assert history[-1]["version"] == version + 1 and history[-1]["updated_by"] == "planner"
    assert set(history[-1]["changed"]) == shown


def tab_shot(name: str) -> Any:
    from tests.browser.mapcheck import output_dir

    return output_dir() / f"web-{name}-desktop.png"


def _free_moves(site: WebSite, plan_id: str, count: int) -> list[tuple[str, str, str]]:
    """``count`` (unit, unit name, station) moves to a touching zone, far apart, of units
    that are not locked."""
    frame = communities(site)
    touching = neighbours(frame)
    names = dict(zip(frame["code"], frame["name"], strict=True))
    rows = api(site, "GET", f"/analyses/zones/{plan_id}").json()["assignment"]
    z = {str(r["unit_id"]): r["station_id"] for r in rows}
    locked = {str(r["unit_id"]) for r in rows if r["locked"]}
    moves: list[tuple[str, str, str]] = []
    used_streets: set[str] = set()
    street = dict(zip(frame["code"], frame["street_code"], strict=True))
    for u in sorted(z):
        if u in locked or street[u] in used_streets or list(names.values()).count(names[u]) > 1:
            continue
        target = next((z[n] for n in sorted(touching.get(u, ())) if z[n] != z[u]), None)
        if target is not None:
            moves.append((u, names[u], target))
            used_streets.add(street[u])
        if len(moves) == count:
            return moves
    raise AssertionError("no free moves")


def _save_shown_preview(page: Page) -> None:
    page.locator("#preview").wait_for(state="visible")
    if page.locator("#confirm-band").count():
        page.check("#confirm-band")
    page.click("#save-button")


def test_a_second_person_on_the_same_version_gets_412_and_loses_nothing(
    web_site: WebSite, chromium: Browser
) -> None:
    plan_id = api(web_site, "POST", "/analyses/zones", json={}).json()["plan_id"]
    (a_unit, a_name, a_station), (b_unit, b_name, b_station) = _free_moves(web_site, plan_id, 2)
    with person(chromium) as first, person(chromium) as second:
        sign_in(first.page, web_site.url, "planner")
        sign_in(second.page, web_site.url, "admin")
        open_editor(first.page, web_site, plan_id)
        open_editor(second.page, web_site, plan_id)  # both on version 1
        move_in_page(first.page, a_name, a_station)
        _save_shown_preview(first.page)
        wait_saved(first.page, 2)
        move_in_page(second.page, b_name, b_station)  # still on version 1: 412
        conflict = second.page.locator("#conflict")
        conflict.wait_for(state="visible")
        assert "planner" in conflict.inner_text() and "2" in conflict.inner_text()
        theirs = conflict.locator("tbody tr")
        their_units = {theirs.nth(i).get_attribute("data-unit") for i in range(theirs.count())}
        assert a_unit in their_units
        second.page.screenshot(path=str(tab_shot("zones-conflict")), full_page=True)
        second.page.click("#reapply-button")
        _save_shown_preview(second.page)
        wait_saved(second.page, 3)
        # the 412 answers of the second browser are part of the flow
        second.console_errors[:] = [e for e in second.console_errors if "412" not in e]
        first.assert_clean()
        second.assert_clean()
    final = assignment(web_site, plan_id)
    assert final[a_unit] == a_station and final[b_unit] == b_station
    v2 = assignment(web_site, plan_id, 2)
    assert v2[a_unit] == a_station and v2[b_unit] != b_station


def test_history_compare_and_export(web_site: WebSite, chromium: Browser, plan: str) -> None:
    with person(chromium) as tab:
        page = tab.page
        sign_in(page, web_site.url, "planner")
        open_editor(page, web_site, plan)
        versions = page.locator("#history tbody tr").count()
        assert versions >= 2
        page.select_option("#cmp-a", "1")
        page.select_option("#cmp-b", str(versions))
        page.click("#compare-form button[type=submit]")
        rows = page.locator("#diff tbody tr")
        rows.first.wait_for()
        first, last = assignment(web_site, plan, 1), assignment(web_site, plan, versions)
        expected = {u for u in last if last[u] != first[u]}
        assert {rows.nth(i).get_attribute("data-unit") for i in range(rows.count())} == expected
        with page.expect_download() as download:
            page.locator("#history tbody tr").last.locator("a").click()
        data = download.value.path().read_bytes()
        tab.assert_clean()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["片区分配 assignment"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["社区编码 / unit", "社区名称 / name"]
    body = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(body) == len(last) and all(body[u][3] == s for u, s in last.items())
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_lock_and_unlock_in_the_page(web_site: WebSite, chromium: Browser) -> None:
    plan_id = api(web_site, "POST", "/analyses/zones", json={}).json()["plan_id"]
    ((unit, name, _),) = _free_moves(web_site, plan_id, 1)
    with person(chromium, viewport="phone") as tab:
        page = tab.page
        sign_in(page, web_site.url, "planner")
        open_editor(page, web_site, plan_id)
        for button, saved_as, locked in (("锁定", 2, True), ("解除锁定", 3, False)):
            page.fill("#f-search", name)
            page.locator("#unit-list button").first.click()
            assert page.locator("#lock-button").inner_text() == button
            page.click("#lock-button")
            page.locator("#preview").wait_for(state="visible")
            assert name in page.locator("#preview .locks").inner_text()
            assert "没有社区改变驿站" in page.locator("#preview").inner_text()
            page.click("#save-button")
            wait_saved(page, saved_as)
            rows = api(web_site, "GET", f"/analyses/zones/{plan_id}").json()["assignment"]
            assert next(r["locked"] for r in rows if str(r["unit_id"]) == unit) is locked
        tab.assert_clean()
