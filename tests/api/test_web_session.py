"""The browser session: sign-in and sign-out pages, the session cookie's flags, CSRF on
cookie-authenticated writes, safe ``next=`` targets, the "needs a role" page and the sign-in
redirect of pages (the inspection map included), the language toggle, ``/`` by ``Accept``;
on both store backends."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.auth import token_digest
from api.web.session import csrf_token, safe_next
from tests.api.test_inspection_kit import PASSWORD, Kit, build_kit, make_app

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    """The module's world, on a GeoPackage and on PostGIS in turn."""
    with build_kit(new_location("web")) as kit:
        yield kit


@pytest.fixture
def browser(kit: Kit) -> Iterator[TestClient]:
    """A fresh "browser": its own cookie jar, redirects not followed."""
    with TestClient(make_app(kit.location), follow_redirects=False) as client:
        yield client


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found is not None, html
    return found.group(1)


def sign_in(client: TestClient, username: str, *, next_url: str = "/") -> str:
    """Sign in through the form; the session token of the cookie."""
    page = client.get(f"/signin?next={next_url}", headers=HTML)
    assert page.status_code == 200
    form = {"username": username, "password": PASSWORD, "csrf_token": form_token(page.text)}
    answer = client.post("/signin", data={**form, "next": next_url})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == safe_next(next_url)
    token = client.cookies.get("mzgis_token")
    assert token
    return token


def test_home_answers_html_to_browsers_and_json_to_clients(browser: TestClient) -> None:
    page = browser.get("/", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for link in ("/maps", "/layers", "/zones", "/maps/coverage", "/maps/inspection", "/docs"):
        assert f'href="{link}"' in page.text
    assert "markers" in page.text and "数据概况" in page.text  # the store's layers
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text  # no inline script anywhere
    landing = browser.get("/")
    assert landing.headers["content-type"] == "application/json"
    assert {link["rel"] for link in landing.json()["links"]} >= {"service-desc", "data"}
    assert browser.get("/?f=json", headers=HTML).headers["content-type"] == "application/json"
    assert browser.get("/?f=html").headers["content-type"].startswith("text/html")


def test_sign_in_sets_a_safe_cookie_and_the_header_shows_who(browser: TestClient, kit: Kit) -> None:
    page = browser.get("/signin", headers=HTML)
    form = {"username": "planner", "password": PASSWORD, "csrf_token": form_token(page.text)}
    answer = browser.post("/signin", data={**form, "next": "/layers"})
    assert answer.status_code == 303 and answer.headers["location"] == "/layers"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "mzgis_token=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    home = browser.get("/", headers=HTML)
    assert "Planner" in home.text and "规划人员" in home.text and "退出登录" in home.text
    me = browser.get("/users/me")
    assert me.status_code == 200 and me.json()["role"] == "planner"


def test_cookie_is_secure_over_https(kit: Kit) -> None:
    with TestClient(
        make_app(kit.location), base_url="https://mzgis.test", follow_redirects=False
    ) as client:
        page = client.get("/signin", headers=HTML)
        form = {"username": "viewer", "password": PASSWORD, "csrf_token": form_token(page.text)}
        answer = client.post("/signin", data=form)
        assert answer.status_code == 303
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "mzgis_token=" in c)
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_wrong_password_and_missing_csrf_are_refused(browser: TestClient, kit: Kit) -> None:
    page = browser.get("/signin", headers=HTML)
    token = form_token(page.text)
    wrong = browser.post(
        "/signin", data={"username": "planner", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    assert "mzgis_token" not in browser.cookies
    no_csrf = browser.post("/signin", data={"username": "planner", "password": PASSWORD})
    assert no_csrf.status_code == 400 and "mzgis_token" not in browser.cookies


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/zones?plan=3", "/zones?plan=3"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
    ],
)
def test_next_never_leaves_the_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_sign_in_with_a_hostile_next_stays_here(browser: TestClient) -> None:
    page = browser.get("/signin", headers=HTML)
    form = {"username": "viewer", "password": PASSWORD, "csrf_token": form_token(page.text)}
    answer = browser.post("/signin", data={**form, "next": "//evil.example/"})
    assert answer.headers["location"] == "/"


def test_cookie_write_needs_the_session_csrf_token(browser: TestClient, kit: Kit) -> None:
    sign_in(browser, "admin")
    body = {"username": "by_page", "role": "viewer", "password": "a long password"}
    before = kit.snapshot()
    refused = browser.post("/users", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert kit.snapshot() == before
    page = browser.get("/", headers=HTML)
    meta = re.search(r'name="csrf-token" content="([0-9a-f]{64})"', page.text)
    assert meta is not None
    accepted = browser.post("/users", json=body, headers={"X-CSRF-Token": meta.group(1)})
    assert accepted.status_code == 201, accepted.text
    # a bearer client never needs it
    bearer = {"Authorization": f"Bearer {kit.tokens['admin']}"}
    other = {**body, "username": "by_script"}
    with TestClient(make_app(kit.location)) as script:
        assert script.post("/users", json=other, headers=bearer).status_code == 201


def test_sign_out_revokes_only_this_session(browser: TestClient, kit: Kit) -> None:
    token = sign_in(browser, "viewer")
    page = browser.get("/", headers=HTML)
    refused = browser.post("/signout", data={})
    assert refused.status_code == 400  # no CSRF token: still signed in
    assert browser.get("/users/me").status_code == 200
    answer = browser.post("/signout", data={"csrf_token": form_token(page.text)})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
    assert "mzgis_token" not in browser.cookies
    now = "2026-01-01T00:00:00Z"
    assert kit.records.user_for_token(token_digest(token), now=now) is None
    script = kit.records.user_for_token(token_digest(kit.tokens["viewer"]), now=now)
    assert script is not None  # the viewer's other token still works
    browser.cookies.set("mzgis_token", token)  # a stolen cookie after sign-out
    assert browser.get("/users/me").status_code == 401


def test_pages_send_signed_out_people_to_sign_in(browser: TestClient) -> None:
    answer = browser.get("/maps/inspection?campaign_id=2025-0001", headers=HTML)
    assert answer.status_code == 303
    back = "%2Fmaps%2Finspection%3Fcampaign_id%3D2025-0001"
    assert answer.headers["location"] == f"/signin?next={back}"
    api = browser.get("/maps/inspection")  # an API client keeps its JSON 401
    assert api.status_code == 401 and api.json()["code"] == "http_401"


def test_a_role_too_weak_gets_a_page_saying_why(browser: TestClient) -> None:
    sign_in(browser, "viewer")
    answer = browser.get("/users", headers=HTML)  # admin only
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert "无权访问" in answer.text and "Viewer（查看人员）" in answer.text
    assert "需要以下角色之一：管理员" in answer.text


def test_language_toggle_persists(browser: TestClient) -> None:
    answer = browser.get("/lang/en?next=%2Fsignin")
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    page = browser.get("/signin", headers=HTML)
    assert 'lang="en"' in page.text and "Username" in page.text and "用户名" not in page.text
    home = browser.get("/", headers=HTML)
    assert "What you can do" in home.text
    assert browser.get("/lang/en?next=https://evil.example").headers["location"] == "/"
    assert browser.get("/lang/fr").status_code == 400


def test_docs_use_local_assets(browser: TestClient) -> None:
    for path, asset in (
        ("/docs", "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/redoc", "/static/vendor/redoc/redoc.standalone.js"),
    ):
        page = browser.get(path, headers=HTML)
        assert page.status_code == 200 and asset in page.text
        assert "cdn" not in page.text.lower() and "https://" not in page.text
        assert browser.get(asset).status_code == 200


def test_csrf_token_is_bound_to_the_session() -> None:
    from starlette.requests import Request

    def request(cookie: str) -> Request:
        return Request({"type": "http", "headers": [(b"cookie", cookie.encode())]})

    one, two = request("mzgis_token=a"), request("mzgis_token=b")
    assert csrf_token(one) != csrf_token(two) and len(csrf_token(one)) == 64
    assert csrf_token(request("")) == ""


def test_an_unknown_layer_is_a_page_for_browsers_and_json_for_clients(
    browser: TestClient,
) -> None:
    page = browser.get("/layers/nope", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "出错了" in page.text and "nope" in page.text
    api = browser.get("/collections/nope")
    assert api.status_code == 404 and api.json()["code"] == "unknown_layer"


def test_what_people_typed_is_escaped(browser: TestClient, kit: Kit) -> None:
    from api.auth import hash_password
    from layers.records import User

    name = '<script>alert("x")</script>'
    kit.records.add_user(User("mallory", "viewer", name, hash_password(PASSWORD)), actor="test")
    sign_in(browser, "mallory")
    page = browser.get("/", headers=HTML)
    assert name not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_password_guessing_is_slowed_down(browser: TestClient, kit: Kit) -> None:
    from api.auth import hash_password
    from api.config import Settings
    from layers.records import User

    kit.records.add_user(User("guessed", "viewer", "G", hash_password(PASSWORD)), actor="test")
    for _ in range(Settings().signin_max_failures):
        wrong = browser.post("/auth/token", data={"username": "guessed", "password": "nope"})
        assert wrong.status_code == 401
    right = {"username": "guessed", "password": PASSWORD}
    page = browser.get("/signin", headers=HTML)
    form = {**right, "csrf_token": form_token(page.text)}
    refused = browser.post("/signin", data=form)  # the page is throttled like /auth/token
    assert refused.status_code == 429 and "登录失败次数过多" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert "mzgis_token" not in browser.cookies
    other = browser.post("/auth/token", data={"username": "viewer", "password": PASSWORD})
    assert other.status_code == 200  # other people are not locked out
