"""A record a reviewer changes on the server while the phone edits it offline: on reconnect
the phone shows "needs attention" with both versions side by side and the reviewer's
comment; nothing is overwritten until the inspector chooses. "Keep mine" sends the phone's
version on the server's current one; "take the server's" drops the phone's change."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Browser, Page

from bench.field_phone import Phone, ServiceProcess
from bench.field_world import LONG_CAMPAIGN, FieldWorld, long_marker_no
from layers.records import Record, RecordFilter
from tests.browser.field_steps import (
    inspect_marker,
    phone_at,
    screenshot,
    signed_in_with_campaign,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
COMMENT = "照片不清楚，请补拍"


def _record(world: FieldWorld, i: int) -> Record:
    flt = RecordFilter(campaign_id=LONG_CAMPAIGN, marker_no=long_marker_no(i))
    (record,) = world.records.list_records("marker", flt)[0]
    return record


def _review(
    service: ServiceProcess,
    world: FieldWorld,
    record: Record,
    *,
    state: str = "has_issues",
    comment: str = COMMENT,
) -> None:
    """The planner reviews the record, with a comment (over HTTP)."""
    body = json.dumps({"state": state, "comment": comment}).encode()
    headers = {**world.auth("planner"), "If-Match": record.etag}
    headers["Content-Type"] = "application/json"
    url = f"{service.url}/inspections/{record.record_id}/review"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _edit_notes(page: Page, record_id: str, notes: str) -> None:
    page.evaluate(f"location.hash = '#/c/{LONG_CAMPAIGN}/mine'")
    page.locator(f"#mine-list li[data-record='{record_id}'] button").click()
    page.wait_for_selector("#marker-form")
    page.fill("textarea[name=notes]", notes)
    page.click("#submit")
    page.wait_for_selector("#marker-list")


def test_reviewer_change_while_phone_edits_offline(
    world: FieldWorld, service: ServiceProcess, field_browser: Browser
) -> None:
    with phone_at(field_browser, service) as phone:
        page, _ = signed_in_with_campaign(phone)
        inspect_marker(page, phone, 0, notes="原始备注 A")
        inspect_marker(page, phone, 1, notes="原始备注 B")
        assert phone.wait_drained(page, 30)["sent"] == 2
        first, second = _record(world, 0), _record(world, 1)

        phone.go_offline()
        _edit_notes(page, first.record_id, "现场复核后修改 A")
        _edit_notes(page, second.record_id, "现场复核后修改 B")
        for record in (first, second):
            _review(service, world, record)
        phone.go_online()
        wait_until(page, lambda: Phone.counts(page)["attention"] == 2, 30)

        page.evaluate("location.hash = '#/outbox'")
        card = page.locator(f"#outbox-list li[data-record='{first.record_id}']")
        card.wait_for()
        assert card.get_attribute("data-state") == "attention"
        row = card.locator("table.versions tr.differs", has_text="备注")
        assert row.locator("td.mine").inner_text() == "现场复核后修改 A"
        assert row.locator("td.theirs").inner_text() == "原始备注 A"
        assert COMMENT in card.inner_text()
        screenshot(page, "outbox-attention", full_page=True)
        for i, notes in ((0, "原始备注 A"), (1, "原始备注 B")):  # nothing overwritten
            assert (_record(world, i).body["notes"], _record(world, i).review_state) == (
                notes,
                "has_issues",
            )

        card.locator("button.keep-mine").click()
        wait_until(page, lambda: _record(world, 0).body["notes"] == "现场复核后修改 A", 30)
        page.locator(
            f"#outbox-list li[data-record='{second.record_id}'] button.take-server"
        ).click()
        counts = phone.wait_drained(page, 30)
        assert (counts["waiting"], counts["attention"]) == (0, 0)
        kept, taken = _record(world, 0), _record(world, 1)
        assert (kept.review_state, kept.version) == ("received", 3)
        assert (taken.body["notes"], taken.version) == ("原始备注 B", 2)

        page.evaluate(f"location.hash = '#/c/{LONG_CAMPAIGN}/mine'")
        page.locator(f"#mine-list li[data-record='{second.record_id}'] button").click()
        assert COMMENT in page.locator("#review-comments").inner_text()
        assert page.locator("textarea[name=notes]").input_value() == "原始备注 B"

        _review(service, world, _record(world, 0), state="approved", comment="同意")
        page.evaluate(f"location.hash = '#/c/{LONG_CAMPAIGN}/mine'")
        page.click("#refresh")  # reviews reach the phone; an approved record is final
        approved = page.locator(f"#mine-list li[data-record='{first.record_id}']")
        approved.filter(has_text="已通过").wait_for()
        assert approved.locator("button").count() == 0
        assert "planner: 同意" in approved.inner_text()
        assert not phone.blocked
