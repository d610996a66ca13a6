"""Steps of the field-app tests, done as an inspector does them: through the page, with the
phone moved to each marker before its form is filled (``bench.field_phone``)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from bench.field_phone import Phone, ServiceProcess
from bench.field_world import (
    LONG_CAMPAIGN,
    PASSWORD,
    FieldWorld,
    long_marker_lonlat,
    long_marker_no,
)
from tests.browser.mapcheck import output_dir

CAMPAIGN_PATH = f"/field/#/c/{LONG_CAMPAIGN}"


@contextmanager
def phone_at(browser: Browser, service: ServiceProcess, marker: int = 0) -> Iterator[Phone]:
    """A phone standing at marker ``marker`` of line 0003."""
    lon, lat = long_marker_lonlat(marker, dy_m=2.0)
    phone = Phone.open(browser, service.url, lon=lon, lat=lat)
    try:
        yield phone
    finally:
        phone.close()


def signed_in_with_campaign(phone: Phone, username: str = "insp_left") -> tuple[Page, str]:
    """Open the app, sign in, download the long campaign; the page and the size label."""
    page = phone.page()
    Phone.sign_in(page, username, PASSWORD)
    label = Phone.download(page, LONG_CAMPAIGN)
    return page, label


def open_list(page: Page) -> None:
    page.evaluate(f"location.hash = '#/c/{LONG_CAMPAIGN}/markers'")
    page.wait_for_selector("#marker-list li")


def inspect_marker(
    page: Page, phone: Phone, i: int, *, condition: str = "完好", photo: Path | None = None,
    offset_m: tuple[float, float] = (0.3, 0.0), notes: str = "", shot: str | None = None,
) -> None:  # fmt: skip
    """Walk to marker ``i``, open its form from the list, take a GPS fix, fill and submit."""
    phone.move_to(*long_marker_lonlat(i, dx_m=offset_m[0], dy_m=offset_m[1]), accuracy_m=0.5)
    open_list(page)
    page.locator(f"#marker-list li[data-marker='{long_marker_no(i)}']").click()
    page.wait_for_selector("#marker-form")
    page.locator("#condition-choices label", has_text=condition).click()
    if condition != "完好":
        page.fill("textarea[name=damage_detail]", f"{condition}：桩体一角缺损")
    page.click("#use-gps")
    page.wait_for_function("() => document.querySelector('#displacement').textContent !== ''")
    if photo is not None:
        page.set_input_files("input[name=photo]", str(photo))
        page.wait_for_selector("#thumbs[data-count='1']")
    page.fill("textarea[name=actions]", "拍照记录\n清理周边杂物")
    if notes:
        page.fill("textarea[name=notes]", notes)
    if shot:
        screenshot(page, shot, full_page=True)
    page.click("#submit")
    page.wait_for_selector("#marker-list")


def check_segment(page: Page, i: int, status_label: str = "走向未变") -> None:
    """Check the segment from marker ``i`` to ``i + 1``."""
    page.evaluate(f"location.hash = '#/c/{LONG_CAMPAIGN}/segments'")
    key = f"{long_marker_no(i)}-{long_marker_no(i + 1)}"
    page.locator(f"#segment-list li[data-segment='{key}']").click()
    page.wait_for_selector("#segment-form")
    page.locator("#status-choices label", has_text=status_label).click()
    page.fill("textarea[name=description]", "界线走向清楚")
    page.click("#submit")
    page.wait_for_selector("#segment-list")


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    path = output_dir() / f"field-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def api_get(service: ServiceProcess, world: FieldWorld, path: str, user: str) -> Any:
    request = urllib.request.Request(service.url + path, headers=world.auth(user))
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def wait_until(page: Page, predicate: Any, timeout_s: float) -> float:
    """Seconds until ``predicate()`` holds; fails after ``timeout_s``. Waits with the page,
    so that Playwright keeps serving the phone's routed requests meanwhile."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"not within {timeout_s} s")
        page.wait_for_timeout(200)
    return time.monotonic() - start


def wait_badge(page: Page, count: int) -> None:
    """Wait until the outbox badge shows ``count`` (it follows the outbox within 150 ms)."""
    page.wait_for_function(
        "n => document.querySelector('#badge').textContent === String(n)", arg=count
    )
