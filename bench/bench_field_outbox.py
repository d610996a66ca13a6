"""How fast the field app's outbox drains after reconnecting: ``--records`` queued marker
inspections with one ``--photo-kb`` JPEG each (100 × 300 kB by default; target ≤ 30 s on 2
cores, 0 lost, 0 duplicated).

Builds the field world (``bench/field_world.py``: line 0003 with 200 markers, campaign
2025-0003) in a GeoPackage, serves it with uvicorn on loopback, opens the app in Debian's
Chromium at a phone's size (offline requests blocked, ``bench/field_phone.py``), signs in,
downloads the campaign, goes offline, queues the records through the app's own outbox (each
photo through its resize-and-hash step), goes online and times until the outbox is empty.
Then it counts on the server the records and photos, the ones lost, and the duplicates (audit
entries of creation beyond one per record). The anchor: the same number of records and
photos sent by a plain Python client (httpx, one request after another) to the same service
in the same run; the ratio is app / anchor.

    PYTHONPATH=. .venv/bin/python bench/bench_field_outbox.py            # 100 × 300 kB
    PYTHONPATH=. .venv/bin/python bench/bench_field_outbox.py --smoke    # 5 × 30 kB
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from bench.field_phone import Phone, service_process  # noqa: E402
from bench.field_world import (  # noqa: E402
    LONG_CAMPAIGN,
    LONG_MARKERS,
    PASSWORD,
    FieldWorld,
    build_field_world,
    jpeg,
    marker_body,
)
from bench.offline_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from layers.records import RecordFilter, parse_target  # noqa: E402

TARGET_S = 30.0


def photos_of_size(n: int, size_kb: float) -> list[bytes]:
    """``n`` distinct JPEGs of about ``size_kb`` each (noise keeps them from compressing)."""
    probe = len(jpeg(0)) / 1024
    scale = math.sqrt(size_kb / probe)
    width, height = max(64, round(900 * scale)), max(48, round(675 * scale))
    return [jpeg(1000 + i, width=width, height=height) for i in range(n)]


def drain_with_app(
    page: Page, phone: Phone, items: list[dict[str, object]]
) -> tuple[float, list[list[str]]]:
    """Queue ``items`` offline, reconnect; seconds until the outbox is empty."""
    phone.go_offline()
    hashes = Phone.queue(page, items, "insp_left")
    assert Phone.counts(page)["queued"] == len(items)
    start = time.perf_counter()
    phone.go_online()
    while Phone.counts(page)["waiting"]:
        page.wait_for_timeout(50)
    return time.perf_counter() - start, hashes


def drain_with_client(url: str, world: FieldWorld, photos: list[bytes]) -> float:
    """The anchor: the same records and photos sent by httpx, one request after another."""
    start = time.perf_counter()
    with httpx.Client(base_url=url, headers=world.auth("insp_left"), timeout=60) as client:
        for i, photo in enumerate(photos):
            sha = hashlib.sha256(photo).hexdigest()
            body = {**marker_body(i % LONG_MARKERS), "photos": [{"sha256": sha, "name": "p.jpg"}]}
            client.post("/inspections", json=body).raise_for_status()
            files = {"file": ("p.jpg", photo, "image/jpeg")}
            answer = client.post(
                f"/inspections/{body['record_id']}/photos", data={"sha256": sha}, files=files
            )
            answer.raise_for_status()
    return time.perf_counter() - start


def server_counts(world: FieldWorld, queued_ids: set[str]) -> dict[str, int]:
    records = world.records.list_records("marker", RecordFilter(campaign_id=LONG_CAMPAIGN))[0]
    ours = [r for r in records if r.record_id in queued_ids]
    log = world.records.audit_log()
    ours_in_log = [
        e
        for e in log
        if e.action in ("record.create", "photo.add")
        and parse_target(e.target).record_id in queued_ids
    ]
    creates = [e for e in ours_in_log if e.action == "record.create"]
    photos = [e for e in ours_in_log if e.action == "photo.add"]
    return {
        "records": len(ours),
        "photos": sum(len(r.photos) for r in ours),
        "lost": len(queued_ids - {r.record_id for r in ours}),
        "duplicates": (len(creates) - len(ours)) + (len(photos) - sum(len(r.photos) for r in ours)),
    }


def run(n: int, photo_kb: float, *, anchor: bool) -> dict[str, float]:
    photos = photos_of_size(n, photo_kb)
    items = [
        {"kind": "marker", "body": marker_body(i % LONG_MARKERS), "photos": [p]}
        for i, p in enumerate(photos)
    ]
    with tempfile.TemporaryDirectory(prefix="mzgis-field-bench-") as tmp:
        world = build_field_world(str(Path(tmp) / "field.gpkg"))
        try:
            with service_process(world.location) as service, sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                phone = Phone.open(browser, service.url, lon=116.38, lat=39.945)
                page = phone.page()
                Phone.sign_in(page, "insp_left", PASSWORD)
                Phone.download(page, LONG_CAMPAIGN)
                took, _ = drain_with_app(page, phone, items)
                counts = server_counts(world, {str(i["body"]["record_id"]) for i in items})  # type: ignore[index]
                assert not phone.blocked, phone.blocked
                browser.close()
                anchor_s = drain_with_client(service.url, world, photos) if anchor else math.nan
        finally:
            world.close()
    mean_kb = sum(len(p) for p in photos) / len(photos) / 1024
    print("load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"outbox drain: {n} records with one {mean_kb:.0f} kB photo each in {took:.2f} s "
          f"(target ≤ {TARGET_S:.0f} s: {'met' if took <= TARGET_S else 'MISSED'})")  # fmt: skip
    print(f"on the server: {counts['records']} records, {counts['photos']} photos; "
          f"{counts['lost']} lost, {counts['duplicates']} duplicated")  # fmt: skip
    if anchor:
        ratio = took / anchor_s
        print(
            f"anchor (httpx, sequential, same service): {anchor_s:.2f} s; app / anchor {ratio:.2f}x"
        )
    return {"seconds": took, **counts, "anchor_s": anchor_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--photo-kb", type=float, default=300.0)
    parser.add_argument("--smoke", action="store_true", help="5 records × 30 kB")
    parser.add_argument("--no-anchor", action="store_true")
    args = parser.parse_args()
    n, kb = (5, 30.0) if args.smoke else (args.records, args.photo_kb)
    result = run(n, kb, anchor=not args.no_anchor)
    if result["lost"] or result["duplicates"] or result["records"] != n:
        sys.exit(1)


if __name__ == "__main__":
    main()
