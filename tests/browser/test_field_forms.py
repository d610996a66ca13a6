"""The marker form checks what the API checks, in Chinese and (by the toggle) in English,
keeping what was typed; it shows the displacement against the register at once, with the
server's 2σ rule, and the server computes the same; the map shows the markers by status
and the phone's position."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from bench.field_phone import Phone, ServiceProcess
from bench.field_world import (
    LONG_CAMPAIGN,
    LONG_MARKERS,
    FieldWorld,
    long_marker_lonlat,
    long_marker_no,
)
from layers.records import RecordFilter
from tests.browser.field_steps import (
    open_list,
    phone_at,
    screenshot,
    signed_in_with_campaign,
    wait_badge,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _problems(page: Page) -> str:
    page.click("#submit")
    return page.locator("#problems").inner_text()


def _fill_from_gps(page: Page, phone: Phone, i: int, dx_m: float) -> str:
    phone.move_to(*long_marker_lonlat(i, dx_m=dx_m), accuracy_m=0.5)
    open_list(page)
    page.locator(f"#marker-list li[data-marker='{long_marker_no(i)}']").click()
    page.locator("#condition-choices label", has_text="完好").click()
    page.click("#use-gps")
    page.wait_for_function("() => document.querySelector('#displacement').textContent !== ''")
    return page.locator("#displacement").inner_text()


def test_form_checks_like_the_api_and_shows_displacement(
    world: FieldWorld, service: ServiceProcess, field_browser: Browser
) -> None:
    with phone_at(field_browser, service, marker=3) as phone:
        page, _ = signed_in_with_campaign(phone)
        phone.go_offline()  # the checks need no server
        open_list(page)
        page.locator(f"#marker-list li[data-marker='{long_marker_no(3)}']").click()
        assert "请选择界桩状况" in _problems(page)
        page.locator("#condition-choices label", has_text="完好").click()
        assert "界桩状况为完好时必须提供位置" in _problems(page)
        page.fill("input[name=lon]", "117.6")  # typed by hand, 100 km east of the line's end
        page.fill("input[name=lat]", "39.945")
        assert page.locator("select[name=fix_type]").input_value() == "manual"
        assert "位置距界线" in _problems(page)
        page.click("#lang")
        assert "km from the line" in page.locator("#problems").inner_text()
        assert page.locator("input[name=lon]").input_value() == "117.6"
        assert page.locator("#use-gps").inner_text() == "Use GPS"
        page.click("#lang")

        far = _fill_from_gps(page, phone, 3, 3.0)
        assert "疑似移位" in far and "偏移 3.0 m" in far
        assert page.locator("select[name=fix_type]").input_value() == "single"
        screenshot(page, "form-displaced", full_page=True)
        page.click("#submit")
        near = _fill_from_gps(page, phone, 4, 0.3)
        assert "在限差内" in near and "偏移 0.30 m" in near
        page.click("#submit")
        page.wait_for_selector("#marker-list")
        wait_badge(page, 2)
        _fill_from_gps(page, phone, 5, 0.2)
        page.click("#save-draft")  # a draft stays on the phone until submitted
        page.wait_for_selector("#marker-list")
        counts = Phone.counts(page)
        assert (counts["waiting"], counts["draft"]) == (2, 1)

        phone.go_online()
        counts = phone.wait_drained(page, 30)
        assert (counts["sent"], counts["draft"]) == (2, 1)
        page.evaluate("location.hash = '#/outbox'")
        page.locator("#outbox-list li[data-state='draft'] button.primary").click()
        wait_until(page, lambda: Phone.counts(page)["sent"] == 3, 30)
        assert Phone.counts(page)["waiting"] == 0
        flt = RecordFilter(campaign_id=LONG_CAMPAIGN)
        by_marker = {r.body["marker_no"]: r for r in world.records.list_records("marker", flt)[0]}
        displaced, fine = (
            by_marker[long_marker_no(3)].computed,
            by_marker[long_marker_no(4)].computed,
        )
        assert displaced["suspected_displaced"] and not fine["suspected_displaced"]
        assert displaced["displacement_m"] == pytest.approx(3.0, abs=0.05)

        page.evaluate(f"location.hash = '#/c/{LONG_CAMPAIGN}/map'")
        page.wait_for_selector("#field-map path.mz-here")
        counts = {
            s: page.locator(f"#field-map path.mz-st-{s}").count() for s in ("todo", "done", "issue")
        }
        assert counts == {"todo": LONG_MARKERS - 3, "done": 2, "issue": 1}
        screenshot(page, "map")
        assert not phone.blocked and not phone.errors, (phone.blocked, phone.errors)


def test_the_phone_blocks_outside_requests(field_browser: Browser) -> None:
    """The tests' guard itself (the app's CSP would stop such a request even earlier)."""
    phone = Phone.open(field_browser, "http://127.0.0.1:9", lon=116.38, lat=39.9)
    try:
        probe = phone.context.new_page()
        probe.evaluate("fetch('https://example.com/tile.png').catch(() => null)")
        assert phone.blocked == ["https://example.com/tile.png"]
    finally:
        phone.close()
