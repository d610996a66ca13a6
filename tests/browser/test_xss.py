"""Stored-XSS probe in Chromium: a campaign, a station name, a record note and an inspector
holding scripts are stored through the real paths; no page or report runs any of them. And
the Content-Security-Policy alone stops a script that escaping would have missed."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse

from api.auth import issue_token
from api.inspection.seed import seed_demo_records
from api.maps.builder import MapBuilder
from api.maps.routes import cached_page
from layers.records import Campaign, User, open_record_store
from layers.store import open_store
from tests.browser.conftest import serve_app
from tests.browser.mapcheck import MapTab, check_map_page, click_feature

pytestmark = pytest.mark.browser

PAYLOAD = (
    '</title><script>alert("script")</script><img src=x onerror=alert("img")>'
    '"\'><svg onload=alert("svg")>{{7*7}}'
)
CAMPAIGN = "2025-0666"


@pytest.fixture(scope="module")
def hostile(
    demo_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """``(base URL, admin token)`` of the app on a demo copy holding the payloads."""
    from api.app import create_app
    from api.config import Settings

    path = tmp_path_factory.mktemp("xss") / "demo.gpkg"
    shutil.copyfile(demo_store, path)
    store = open_store(path)
    stations = store.read("stations")
    stations["name"] = PAYLOAD + stations["name"].astype(str)
    store.write("stations", stations, kind="stations")
    markers = store.read("markers")["marker_no"].astype(str)
    marker_no = markers[markers.str.startswith("0001")].iloc[0]
    records = open_record_store(store)
    seed_demo_records(store, records)
    records.add_user(User("boss", "admin", PAYLOAD[:60], "!"), actor="test")
    records.add_user(User("wang", "inspector", "王", "!"), actor="test")
    campaign = Campaign(CAMPAIGN, "0001", 2, 2025, PAYLOAD, "110101", PAYLOAD, "110102", "西城区")
    records.add_campaign(campaign, actor="test")
    records.add_member(CAMPAIGN, "wang", side="left", actor="test")
    admin, _ = issue_token(records, "boss", actor="test")
    inspector, _ = issue_token(records, "wang", actor="test")
    app = create_app(Settings(store=str(path)))
    app.add_api_route("/test/unescaped", _unescaped_page, response_class=HTMLResponse)
    with serve_app(app) as url:
        marker = {
            "record_id": str(uuid.uuid4()), "campaign_id": CAMPAIGN, "marker_no": marker_no,
            "inspected_at": "2025-04-08T09:30:00+08:00", "condition": "丢失",
            "notes": PAYLOAD, "actions": [PAYLOAD[:100]],
            "inspectors": [{"name": PAYLOAD[:100], "side": "left"}],
        }  # fmt: skip
        sent = httpx.post(
            f"{url}/inspections",
            json=marker,
            headers={"Authorization": f"Bearer {inspector}"},
            timeout=30,
        )
        assert sent.status_code == 201, sent.text
        yield url, admin


def _unescaped_page(request: Request) -> HTMLResponse:
    """A map page with a script that escaping missed (as the campaign title once was)."""

    def build() -> str:
        html = MapBuilder(title="probe").render()
        return html.replace("<title>probe</title>", "<title></title><script>alert(1)</script>")

    return HTMLResponse(cached_page(request, ("xss-probe",), build))


def _visit(tab: MapTab, url: str) -> list[str]:
    dialogs: list[str] = []
    tab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.page.goto(url, wait_until="load")
    tab.page.wait_for_timeout(300)
    return dialogs


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/maps",
        f"/inspections/campaigns/{CAMPAIGN}/report.html",
        f"/inspections/campaigns/{CAMPAIGN}/progress",
        "/users",
    ],
)
def test_no_script_runs_on_pages_and_reports(
    hostile: tuple[str, str], map_tab: MapTab, path: str
) -> None:
    url, token = hostile
    map_tab.page.set_extra_http_headers(
        {"Authorization": f"Bearer {token}", "Accept": "text/html,*/*"}
    )
    dialogs = _visit(map_tab, f"{url}{path}")
    assert dialogs == []
    assert "<script>alert" not in map_tab.page.content()


@pytest.mark.parametrize(
    ("path", "layer"),
    [
        ("/maps/layers", "stations"),
        ("/maps/coverage?kind=stations&tiers=500", "facilities"),
        (f"/maps/inspection?campaign_id={CAMPAIGN}", "markers"),
    ],
)
def test_no_script_runs_on_map_pages_and_popups(
    hostile: tuple[str, str], map_tab: MapTab, path: str, layer: str
) -> None:
    url, token = hostile
    map_tab.page.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    dialogs: list[str] = []
    map_tab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    check_map_page(map_tab, f"{url}{path}")
    title = map_tab.page.title()
    popup = click_feature(map_tab, layer, 0)
    map_tab.page.wait_for_timeout(300)
    assert dialogs == []
    if "inspection" not in path:  # the campaign name is the inspection page's title
        assert "alert(" in popup, "the payload should be shown as text"
    else:
        assert "<script>" in title
    csp = httpx.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert "'unsafe-inline'" not in csp.headers["content-security-policy"].split("style-src")[0]


def test_the_policy_alone_stops_a_script_escaping_missed(
    hostile: tuple[str, str], map_tab: MapTab
) -> None:
    url, _ = hostile
    dialogs = _visit(map_tab, f"{url}/test/unescaped")
    assert dialogs == []
    assert any("Content Security Policy" in e for e in map_tab.console_errors)
    assert map_tab.page.evaluate("() => window.mzgis !== undefined")  # the page's own script ran
