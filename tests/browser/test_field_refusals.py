"""What the server refuses never disappears from the phone: a record whose UUID the server
holds with another body (409) and a record the server's checks refuse (422) go to "needs
attention" with the server's word, while the records queued after them are still sent; the
inspector keeps the phone's version of the first and corrects the second."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Browser

from bench.field_phone import Phone, ServiceProcess
from bench.field_world import LONG_CAMPAIGN, FieldWorld, marker_body
from layers.records import RecordFilter
from tests.browser.field_steps import phone_at, signed_in_with_campaign, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _post(service: ServiceProcess, world: FieldWorld, body: dict[str, object]) -> int:
    headers = {**world.auth("insp_left"), "Content-Type": "application/json"}
    data = json.dumps(body).encode()
    request = urllib.request.Request(f"{service.url}/inspections", data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def test_conflicting_and_refused_records_wait_for_the_inspector(
    world: FieldWorld, service: ServiceProcess, field_browser: Browser
) -> None:
    taken = marker_body(20, notes="本机记录")
    far = marker_body(199, offset_m=8000.0)  # 8 km past the line's end: refused
    fine = marker_body(22)
    with phone_at(field_browser, service) as phone:
        page, _ = signed_in_with_campaign(phone)
        phone.go_offline()
        items = [{"kind": "marker", "body": b, "photos": []} for b in (taken, far, fine)]
        Phone.queue(page, items, "insp_left")
        # another device already used the first record's UUID, with another body
        assert _post(service, world, {**taken, "notes": "另一台设备"}) == 201
        phone.go_online()
        # the third one is sent all the same
        wait_until(page, lambda: Phone.counts(page)["sent"] == 1, 30)
        counts = Phone.counts(page)
        assert (counts["attention"], counts["waiting"]) == (2, 2)

        page.evaluate("location.hash = '#/outbox'")
        conflict = page.locator(f"#outbox-list li[data-record='{taken['record_id']}']")
        row = conflict.locator("table.versions tr.differs", has_text="备注")
        assert row.locator("td.mine").inner_text() == "本机记录"
        assert row.locator("td.theirs").inner_text() == "另一台设备"
        refused = page.locator(f"#outbox-list li[data-record='{far['record_id']}']")
        assert "位置距界线" in refused.inner_text()
        assert refused.locator("button.keep-mine").count() == 0
        refused.locator("button.edit-record").click()  # the inspector corrects it
        page.wait_for_selector("#marker-form")
        page.fill("input[name=lon]", str(marker_body(199)["position"]["lon"]))  # type: ignore[index]
        page.click("#submit")
        page.wait_for_selector("#marker-list")
        page.evaluate("location.hash = '#/outbox'")

        conflict.locator("button.keep-mine").click()
        wait_until(page, lambda: Phone.counts(page)["sent"] == 3, 30)
    flt = RecordFilter(campaign_id=LONG_CAMPAIGN)
    stored = {r.record_id: r for r in world.records.list_records("marker", flt)[0]}
    assert set(stored) == {taken["record_id"], far["record_id"], fine["record_id"]}
    assert (stored[taken["record_id"]].body["notes"], stored[taken["record_id"]].version) == (
        "本机记录",
        2,
    )
