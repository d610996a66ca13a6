"""``/maps/inspection`` in Chromium, offline: the demo campaign (seeded records plus a
segment check) on its line, markers coloured by latest condition, and popups."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.auth import issue_token
from api.inspection.seed import seed_demo_records
from layers.records import User, open_record_store
from layers.store import open_store
from tests.browser.conftest import serve_app
from tests.browser.mapcheck import MapTab, check_map_page, click_feature

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def inspection_server(
    demo_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """``(base URL, viewer token)`` of the app on a seeded copy of the demo store."""
    from api.app import create_app
    from api.config import Settings

    path = tmp_path_factory.mktemp("inspection-map") / "demo.gpkg"
    shutil.copyfile(demo_store, path)
    store = open_store(path)
    records = open_record_store(store)
    seed_demo_records(store, records)
    for name, role in (("viewer", "viewer"), ("wang", "inspector")):
        records.add_user(User(name, role, name, "!"), actor="test")
    records.add_member("2025-0001", "wang", side="left", actor="test")
    viewer, _ = issue_token(records, "viewer", actor="test")
    inspector, _ = issue_token(records, "wang", actor="test")
    with serve_app(create_app(Settings(store=str(path)))) as url:
        segment = {
            "record_id": str(uuid.uuid4()),
            "campaign_id": "2025-0001",
            "from_marker": "0001002A",
            "to_marker": "0001005A",
            "checked_at": "2025-04-09T10:00:00+08:00",
            "status": "needs_resurvey",
            "inspectors": [{"name": "王建国", "side": "left"}, {"name": "刘洋", "side": "right"}],
        }
        answer = httpx.post(
            f"{url}/inspections/segments",
            json=segment,
            headers={"Authorization": f"Bearer {inspector}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        yield url, viewer


def test_inspection_map(inspection_server: tuple[str, str], map_tab: MapTab) -> None:
    url, token = inspection_server
    map_tab.page.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    report = check_map_page(
        map_tab,
        f"{url}/maps/inspection?campaign_id=2025-0001",
        expected_features={"line": 1, "segments": 1, "markers": 39},
        screenshot="inspection.png",
    )
    assert report.counts["suspected"] >= 1
    popup = click_feature(map_tab, "markers", 0)
    assert "0001001Q" in popup and "状况" in popup
    title = map_tab.page.locator(".mzgis-title").inner_text()
    assert "已检" in title and "公里" in title


def test_inspection_map_needs_a_token(inspection_server: tuple[str, str]) -> None:
    url, _ = inspection_server
    assert httpx.get(f"{url}/maps/inspection", timeout=30).status_code == 401
