"""The coverage dashboard in Chromium, offline, at 1366×768 and 390×844: one canvas per
chart, the charts' numbers equal to the API's answer, the street table, and the print view
rendered to PDF (A4 and A3 landscape) holding the title, parameters, date and data notice."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import WebSite
from tests.browser.mapcheck import output_dir
from tests.browser.pagecheck import VIEWPORTS, check_page, person
from tests.browser.pdftext import pdf_text, plain

pytestmark = pytest.mark.browser

URL = "/dashboards/coverage?facilities=stations&tiers=300,500,1000"


def _answer(base: str) -> dict:
    body = {"facilities": "stations", "tiers_m": [300, 500, 1000], "levels": ["street"],
            "per_demand": "none", "gaps": 15}  # fmt: skip
    response = httpx.post(f"{base}/analyses/coverage", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_dashboard_charts_equal_the_api(
    web_site: WebSite, chromium: Browser, viewport: str
) -> None:
    answer = _answer(web_site.url)
    with person(chromium, viewport=viewport) as tab:
        report = check_page(
            tab, f"{web_site.url}{URL}", name="dashboard-coverage", viewport=viewport
        )
        page = tab.page
        page.wait_for_function("() => window.mzgisDashboard && mzgisDashboard.ready")
        for chart in ("chart-streets", "chart-distance", "chart-gaps"):
            assert page.locator(f"#{chart} canvas").count() == 1
        shown = page.evaluate("() => mzgisDashboard.charts")
        # covered share by street at 1,000 m, as the API rolls it up
        api = {
            r["street_code"]: r["elderly_60_plus_covered_share_1000m"]
            for r in answer["rollups"]["street"]
        }
        codes = page.locator("#streets-table tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.code)"
        )
        assert sorted(codes) == sorted(api)
        by_code = dict(zip(codes, shown["chart-streets"]["series"][2], strict=True))
        for code, share in api.items():
            assert by_code[code] == pytest.approx(round(share * 1000) / 10, abs=0.051)
        # the gaps, most uncovered first (the chart lists them bottom-up)
        gaps = [g["elderly_60_plus_uncovered_1000m"] for g in answer["gaps"]]
        assert shown["chart-gaps"]["series"][0][::-1] == gaps
        # the distance histogram counts every community once per mode
        units = answer["summary"]["units"]
        assert [sum(s) for s in shown["chart-distance"]["series"]] == [units, units]
        headline = page.locator(".figure[data-tier='1000m']").get_attribute("data-share")
        share = answer["summary"]["weights"]["elderly_60_plus"]["tiers"]["1000m"]["share"]
        assert float(headline or "nan") == pytest.approx(share, abs=1e-6)
        print(f"\n{viewport}: coverage dashboard {report.load_ms:.0f} ms")
        tab.assert_clean()


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_dashboard_prints(web_site: WebSite, chromium: Browser, paper: str) -> None:
    with person(chromium) as tab:
        page = tab.page
        page.goto(f"{web_site.url}/dashboards/zones")
        page.wait_for_function("() => window.mzgisDashboard && mzgisDashboard.ready")
        page.emulate_media(media="print")
        zones = pdf_text(page.pdf(format=paper, landscape=True, print_background=True))
        for words in ("责任片区看板", "生成时间（北京时间）", "各驿站工作量与允许区间", "估算值"):
            assert plain(words) in zones, words
        page.emulate_media(media="screen")
        page.goto(f"{web_site.url}{URL}")
        page.wait_for_function("() => window.mzgisDashboard && mzgisDashboard.ready")
        page.emulate_media(media="print")
        pdf = page.pdf(format=paper, landscape=True, print_background=True)
        (output_dir() / f"dashboard-coverage-{paper}.pdf").write_bytes(pdf)
        compact = pdf_text(pdf)
        for words in (
            "覆盖分析看板",
            "生成时间（北京时间）",
            "服务半径（米）300,500,1000",
            "估算值",
            "街道明细",
        ):
            assert plain(words) in compact, words
        assert "退出登录" not in compact and "更新" not in compact  # controls are not printed
        tab.assert_clean()


def test_zones_dashboard_workloads_against_band(web_site: WebSite, chromium: Browser) -> None:
    from api.catalog import Catalog
    from api.zones.map import DEFAULT_REQUEST
    from api.zones.service import solve_zones
    from layers.store import open_store

    store = open_store(web_site.store)
    try:
        plan, _ = solve_zones(Catalog.build(store), DEFAULT_REQUEST)
    finally:
        store.close()
    expected = plan.validate().stations.set_index("station_id")["workload"]
    ready = "() => window.mzgisDashboard && mzgisDashboard.ready"
    with person(chromium) as tab:
        url = f"{web_site.url}/dashboards/zones"
        check_page(tab, url, name="dashboard-zones", viewport="desktop", ready_js=ready)
        page = tab.page
        assert page.locator("#chart-workload canvas").count() == 1
        shown = page.evaluate("() => mzgisDashboard.charts['chart-workload']")
        rows = page.locator("#stations-table tbody tr")
        ids = rows.evaluate_all("rows => rows.map(r => r.dataset.id)")
        assert sorted(ids) == sorted(expected.index.astype(str))
        # the chart's workloads are the plan's, station by station (fullest first)
        assert shown["series"][0] == [round(float(expected[i])) for i in ids]
        counts = [int(page.locator(f".figure[data-band='{b}']").get_attribute("data-count") or "-1")
                  for b in ("ok", "over", "under")]  # fmt: skip
        assert sum(counts) == len(ids)
        tab.assert_clean()
