"""The web pages in Chromium, offline, at 1366×768 and 390×844: home, sign-in and sign-out,
the "needs a role" page, CSRF on a cookie-authenticated write, the language toggle across
pages, and /docs and /redoc rendering from local assets."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import WebSite
from tests.browser.mapcheck import output_dir
from tests.browser.pagecheck import PASSWORD, VIEWPORTS, check_page, person, sign_in

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u4e00-\u9fff]")
REDOC_LOGO = "'https://cdn.redoc.ly/redoc/logo-mini.svg' violates the following Content Security"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pages_at_both_sizes(web_site: WebSite, chromium: Browser, viewport: str) -> None:
    with person(chromium, viewport=viewport) as tab:
        home = check_page(tab, f"{web_site.url}/", name="home", viewport=viewport)
        assert tab.page.locator(".job-link").count() == 7
        assert tab.page.locator(".notice").inner_text().startswith("注意")
        signin = check_page(tab, f"{web_site.url}/signin", name="signin", viewport=viewport)
        sign_in(tab.page, web_site.url, "planner")
        signed = check_page(tab, f"{web_site.url}/", name="home-signed-in", viewport=viewport)
        print(f"\n{viewport}: home {home.load_ms:.0f} ms, sign-in {signin.load_ms:.0f} ms,")
        print(f"home signed in {signed.load_ms:.0f} ms")


def test_sign_in_and_out(web_site: WebSite, chromium: Browser) -> None:
    with person(chromium) as tab:
        page = tab.page
        page.goto(f"{web_site.url}/")
        page.click("a.signin-link")
        page.fill("#username", "planner")
        page.fill("#password", "wrong")
        page.click("form.form button[type=submit]")
        assert "用户名或密码错误" in page.locator(".alert").inner_text()
        assert tab.console_errors == [
            "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
        ]
        tab.console_errors.clear()
        page.fill("#username", "planner")
        page.fill("#password", "correct horse battery")
        page.click("form.form button[type=submit]")
        page.wait_for_url(f"{web_site.url}/")
        assert page.locator(".whoami").inner_text().split() == ["王规划", "规划人员"]
        page.click("form.signout button")
        page.wait_for_url(re.compile(r"/signin\?out=1$"))
        assert "已退出登录" in page.locator(".info").inner_text()
        assert page.locator(".whoami").count() == 0
        page.goto(f"{web_site.url}/maps/inspection")  # the session is gone
        assert page.url.startswith(f"{web_site.url}/signin?next=")
        tab.assert_clean()


def test_signed_out_map_page_goes_to_sign_in_and_back(web_site: WebSite, chromium: Browser) -> None:
    with person(chromium) as tab:
        page = tab.page
        page.goto(f"{web_site.url}/maps/inspection")
        assert page.url == f"{web_site.url}/signin?next=%2Fmaps%2Finspection"
        assert "请先登录" in page.locator(".info").inner_text()
        page.fill("#username", "viewer")
        page.fill("#password", "correct horse battery")
        page.click("form.form button[type=submit]")
        page.wait_for_url(f"{web_site.url}/maps/inspection")
        assert page.locator(".leaflet-container").count() == 1  # the map, not JSON


def test_a_viewer_opening_a_planner_page_sees_why(web_site: WebSite, chromium: Browser) -> None:
    with person(chromium, viewport="phone") as tab:
        sign_in(tab.page, web_site.url, "viewer")
        url = f"{web_site.url}/users"
        check_page(tab, url, name="forbidden", viewport="phone", status=403)
        text = tab.page.locator("main").inner_text()
        assert "无权访问" in text and "李查看" in text
        assert tab.page.locator("a.button").count() == 2


def test_cookie_write_without_the_csrf_token_is_refused(
    web_site: WebSite, chromium: Browser
) -> None:
    with person(chromium) as tab:
        sign_in(tab.page, web_site.url, "admin")
        statuses = tab.page.evaluate(
            """async () => {
                const body = JSON.stringify({username: 'from_page', role: 'viewer',
                                             password: 'a long password'});
                const headers = {'Content-Type': 'application/json'};
                const bare = await fetch('/users', {method: 'POST', headers, body});
                const token = document.querySelector('meta[name=csrf-token]').content;
                const withToken = await fetch('/users', {method: 'POST', body,
                    headers: {...headers, 'X-CSRF-Token': token}});
                return [bare.status, (await bare.json()).detail, withToken.status];
            }"""
        )
        assert statuses[0] == 403 and "CSRF" in statuses[1]
        assert statuses[2] == 201


def test_language_toggle_switches_labels_and_persists(web_site: WebSite, chromium: Browser) -> None:
    with person(chromium) as tab:
        page = tab.page
        page.goto(f"{web_site.url}/")
        assert page.locator("h1").inner_text() == "民政设施规划与覆盖分析"
        page.click("a.lang-link[hreflang=en]")
        page.wait_for_function("() => document.documentElement?.lang === 'en'")
        assert page.url == f"{web_site.url}/"
        for url in ("/", "/signin"):
            page.goto(f"{web_site.url}{url}")
            shown = page.locator("body").inner_text().replace("中文", "")
            assert not HAN.findall(shown), f"{url}: {HAN.findall(shown)[:10]}"
        page.click("a.lang-link[hreflang=zh]")
        page.wait_for_function("() => document.documentElement?.lang === 'zh-CN'")
        assert page.locator("h1").inner_text() == "登录"


@pytest.mark.parametrize(
    ("path", "ready"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")]
)
def test_docs_render_offline(web_site: WebSite, chromium: Browser, path: str, ready: str) -> None:
    for viewport in VIEWPORTS:
        with person(chromium, viewport=viewport) as tab:
            started = time.perf_counter()
            response = tab.page.goto(f"{web_site.url}{path}")
            assert response is not None and response.ok
            title = tab.page.locator(f"#api-docs {ready}").first
            title.wait_for(timeout=20_000)
            print(
                f"\n{path} {viewport}: rendered in {(time.perf_counter() - started) * 1000:.0f} ms"
            )
            assert "mzgis" in title.inner_text()
            name = path.strip("/")
            tab.page.screenshot(path=str(output_dir() / f"web-{name}-{viewport}.png"))
            # ReDoc's sidebar links its logo from cdn.redoc.ly, hard-coded: the page's CSP
            # stops it before any request is made (and ReDoc then hides the image)
            tab.console_errors[:] = [e for e in tab.console_errors if REDOC_LOGO not in e]
            tab.assert_clean()


#: what a person reads as labels (data such as community names is left out)
LABELS_JS = """() => [...document.querySelectorAll(
    'h1, h2, h3, h4, label, legend, summary, .lead, .hint, .job-title, .job-text, '
    + '.site-nav a, .whoami-role, .lang-toggle, button:not([data-unit]), th[scope=col], '
    + '.muted, .notice, .crumbs, .site-footer')]
    .filter(el => el.offsetParent !== null)
    .map(el => el.innerText.replace('中文', '')).join('\\n')"""


def test_every_page_in_english_after_the_toggle(web_site: WebSite, chromium: Browser) -> None:
    import httpx

    token = httpx.post(
        f"{web_site.url}/auth/token", data={"username": "planner", "password": PASSWORD}
    ).json()["access_token"]
    plan = httpx.post(
        f"{web_site.url}/analyses/zones",
        json={},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    ).json()["plan_id"]
    pages = {
        "/": None,
        "/maps": None,
        "/layers": None,
        "/layers/stations": "() => window.mzgisLayer && window.mzgisLayer.ready",
        "/layers/import": None,
        f"/zones?plan={plan}": "() => window.mzgisZones && window.mzgisZones.ready",
        "/signin": None,
    }
    with person(chromium) as tab:
        page = tab.page
        sign_in(page, web_site.url, "planner")
        page.click("a.lang-link[hreflang=en]")  # on the home page, once
        page.wait_for_function("() => document.documentElement?.lang === 'en'")
        page.wait_for_load_state("load")
        for path, ready in pages.items():
            page.goto(f"{web_site.url}{path}")
            if ready:
                page.wait_for_function(ready)
            assert page.locator("html").get_attribute("lang") == "en", path
            shown = page.evaluate(LABELS_JS)
            assert not HAN.findall(shown), f"{path}: {HAN.findall(shown)[:20]}"
        page.goto(f"{web_site.url}/maps/layers")  # a map page follows the toggle too
        assert "Legend" in page.locator("body").inner_text()
        tab.assert_clean()
