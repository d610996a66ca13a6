"""The field app's outbox against a real service: killed with SIGKILL while it sends 20
records (every record lands exactly once, none stays stuck), and a token that expires
while the phone is offline (the sign-in prompt appears on reconnect, then the queue
drains, nothing lost)."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import Browser

from bench.field_phone import Phone, ServiceProcess, free_port
from bench.field_world import LONG_CAMPAIGN, PASSWORD, FieldWorld, jpeg, marker_body
from layers.records import RecordFilter
from tests.browser.field_steps import (
    inspect_marker,
    phone_at,
    signed_in_with_campaign,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _stored(world: FieldWorld) -> int:
    return world.records.list_records("marker", RecordFilter(campaign_id=LONG_CAMPAIGN))[1]


def test_service_killed_while_sending_twenty(world: FieldWorld, field_browser: Browser) -> None:
    service = ServiceProcess(world.location, free_port())
    service.start()
    try:
        with phone_at(field_browser, service) as phone:
            page, _ = signed_in_with_campaign(phone)
            phone.go_offline()
            items = [
                {"kind": "marker", "body": marker_body(i), "photos": [jpeg(100 + i, width=1400)]}
                for i in range(20)
            ]
            hashes = Phone.queue(page, items, "insp_left")
            assert Phone.counts(page)["queued"] == 20
            phone.go_online()
            wait_until(page, lambda: _stored(world) >= 3, 30)
            service.kill()
            at_kill = _stored(world)
            assert at_kill < 20, "the outbox finished before the kill: nothing was tested"
            page.wait_for_timeout(1500)  # the phone meets a dead service and backs off
            service.start(pause=lambda s: page.wait_for_timeout(s * 1000))
            counts = phone.wait_drained(page, 60)
            assert counts == {**counts, "waiting": 0, "attention": 0, "sent": 20}
            assert not phone.errors or all("Failed to load" in e for e in phone.errors)
    finally:
        service.kill()
    records, total = world.records.list_records("marker", RecordFilter(campaign_id=LONG_CAMPAIGN))
    assert total == 20
    assert {r.record_id for r in records} == {i["body"]["record_id"] for i in items}
    log = world.records.audit_log()
    assert sum(e.action == "record.create" for e in log) == 20  # each created once
    assert sum(e.action == "photo.add" for e in log) == 20
    for record, (sha,) in zip(
        sorted(records, key=lambda r: r.body["marker_no"]), hashes, strict=True
    ):
        assert [p.sha256 for p in record.photos] == [sha]
    assert world.records.verify_audit().to_public()["ok"]


def test_expired_token_offline_prompts_then_drains(
    world: FieldWorld, service: ServiceProcess, field_browser: Browser
) -> None:
    with phone_at(field_browser, service) as phone:
        page, _ = signed_in_with_campaign(phone)
        phone.go_offline()
        inspect_marker(page, phone, 10)
        inspect_marker(page, phone, 11, condition="移位")
        with sqlite3.connect(world.location) as con:  # the token expires meanwhile
            con.execute(
                "UPDATE mzgis_tokens SET expires_at = '2000-01-01T00:00:00.000000Z'"
                " WHERE username = 'insp_left'"
            )
        phone.go_online()
        page.wait_for_selector("#signin-dialog[open]")
        assert "登录已过期" in page.locator("#signin-reason").inner_text()
        assert Phone.counts(page)["queued"] == 2
        assert _stored(world) == 0
        Phone.sign_in(page, "insp_left", PASSWORD)
        counts = phone.wait_drained(page, 30)
        assert (counts["waiting"], counts["sent"]) == (0, 2)
    assert _stored(world) == 2
