"""The field app without signal, end to end in Chromium at a phone's size: download a
campaign, reload offline, record 5 marker inspections (a photo each) and 2 segment checks,
close the app, reopen it offline (7 queued), reconnect: within 30 s the server holds
exactly those 7 records and 5 photos with the SHA-256 the phone computed, the outbox is
empty, and the app's sent count equals the API's count."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page

from bench.field_phone import Phone, ServiceProcess
from bench.field_world import LONG_CAMPAIGN, LONG_MARKERS, FieldWorld, jpeg, long_marker_no
from layers.records import RecordFilter
from tests.browser.field_steps import (
    api_get,
    check_segment,
    inspect_marker,
    open_list,
    phone_at,
    screenshot,
    signed_in_with_campaign,
    wait_badge,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONDITIONS = ["完好", "完好", "损坏", "完好", "遮挡掩埋"]


def _server_records(world: FieldWorld) -> tuple[list, list]:  # type: ignore[type-arg]
    flt = RecordFilter(campaign_id=LONG_CAMPAIGN)
    return (
        world.records.list_records("marker", flt)[0],
        world.records.list_records("segment", flt)[0],
    )


def _check_photos(world: FieldWorld, markers: list, photos: list[Path]) -> None:  # type: ignore[type-arg]
    """Each marker record has its photo, stored with the SHA-256 the phone computed; small
    JPEGs travel byte for byte, the large one was resized to the configured 1600 px."""
    photo_hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in photos[:4]}
    stored = []
    for record in markers:
        assert record.photo_status()["missing"] == []
        (ref,) = record.body["photos"]
        photo, data = world.records.photo_bytes(record.record_id, ref["sha256"])
        assert hashlib.sha256(data).hexdigest() == photo.sha256 == ref["sha256"]
        stored.append((ref["sha256"], Image.open(io.BytesIO(data)).size))
        assert record.body["position"]["fix_type"] == "single"
        assert record.body["position"]["accuracy_m"] == 0.5
        assert record.created_by == "insp_left"
    kept = {sha for sha, _ in stored if sha in photo_hashes}
    assert len(kept) == 4  # small JPEGs travel byte for byte
    assert max(max(size) for _, size in stored) == 1600  # the large one was resized
    assert sorted(r.body["condition"] for r in markers) == sorted(CONDITIONS)
    assert {r.body["marker_no"] for r in markers} == {long_marker_no(i) for i in range(5)}


def _check_list(page: Page) -> None:
    """Markers by distance from the phone, coloured by what was found."""
    open_list(page)  # the phone stands 0.3 m from marker 5 (index 4): it comes first
    page.wait_for_selector(f"#marker-list li:first-child[data-marker='{long_marker_no(4)}']")
    assert page.locator("#marker-list li .dist").first.inner_text() == "0.30 m"
    chips = page.locator("#marker-list li .chip")
    assert chips.filter(has_text="有问题").count() == 2  # 损坏, 遮挡掩埋
    assert chips.filter(has_text="已检").count() == 3


def test_offline_download_record_reopen_and_drain(
    world: FieldWorld, service: ServiceProcess, field_browser: Browser, tmp_path: Path
) -> None:
    photos = []
    for i in range(5):  # the last one is larger than the configured 1600 px: resized
        size = (2400, 1800) if i == 4 else (900, 675)
        photos.append(tmp_path / f"marker{i}.jpg")
        photos[-1].write_bytes(jpeg(i + 1, width=size[0], height=size[1]))
    with phone_at(field_browser, service) as phone:
        page, label = signed_in_with_campaign(phone)
        assert "已下载" in label and "kB" in label and f"{LONG_MARKERS} 界桩" in label
        assert "离线包已下载" in page.locator("#notice").inner_text()

        phone.go_offline()
        reloaded = page.reload()
        assert reloaded is not None and reloaded.from_service_worker  # the cached shell
        Phone.wait_ready(page)
        assert page.locator("#net").inner_text() == "离线"
        open_list(page)
        assert page.locator("#marker-list li").count() == LONG_MARKERS
        assert "精度" in page.locator("#position").inner_text()
        screenshot(page, "list")

        for i, condition in enumerate(CONDITIONS):
            shot = "form" if i == 2 else None
            inspect_marker(page, phone, i, condition=condition, photo=photos[i], shot=shot)
        check_segment(page, 0)
        check_segment(page, 1, "有变化但可辨认")
        wait_badge(page, 7)
        page.close()

        reopened = phone.page("/field/#/outbox")  # still offline: from the service worker
        Phone.wait_ready(reopened)
        reopened.wait_for_selector("#outbox-list")
        counts = Phone.counts(reopened)
        assert (counts["queued"], counts["waiting"], counts["sent"]) == (7, 7, 0)
        assert reopened.locator("#outbox-list li[data-state='queued']").count() == 7
        assert _server_records(world) == ([], [])
        screenshot(reopened, "outbox-queued")

        phone.go_online()
        took = wait_until(reopened, lambda: phone.counts(reopened)["waiting"] == 0, 30)
        reopened.wait_for_selector("#sent-count:text('7')")
        screenshot(reopened, "outbox-sent")
        markers, segments = _server_records(world)
        assert (len(markers), len(segments)) == (5, 2), took
        sent_ids = set(reopened.evaluate("() => window.mzfield.db.get('kv', 'sent')"))
        assert sent_ids == {r.record_id for r in [*markers, *segments]}

        _check_photos(world, markers, photos)
        listed = api_get(service, world, f"/inspections?campaign_id={LONG_CAMPAIGN}", "insp_left")
        seg = api_get(
            service, world, f"/inspections/segments?campaign_id={LONG_CAMPAIGN}", "insp_left"
        )
        assert listed["total"] + seg["total"] == phone.counts(reopened)["sent"] == 7

        _check_list(reopened)
        assert not phone.blocked, phone.blocked
        assert not phone.errors, phone.errors
