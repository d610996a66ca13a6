"""``MZGIS_PUBLIC_READ``: layers (``/collections``) and map pages (``/maps``) open to anyone
by default; with it off, a signed-in reader only (401 / 403 with the bilingual error body),
by bearer token or by the map pages' cookie, while static assets and the landing page stay
open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import COOKIE_NAME, PERMISSIONS, hash_password, issue_token
from api.config import Settings
from api.maps.assets import MZGIS_CSS
from layers.records import User, open_record_store

#: one route of each family that ``read_access`` guards (cheap requests on the small store),
#: and its status once let in (the small store has no districts layer for the siting page:
#: a 422 from the handler still shows that the request got through)
GUARDED = {
    "/collections": 200,
    "/collections/stations": 200,
    "/collections/stations/items?limit=2": 200,
    "/collections/stations/items/S1": 200,
    "/maps": 200,
    "/maps/layers": 200,
    "/maps/data/stations": 200,
    "/maps/coverage?mode=euclidean&radius_m=500": 200,
    "/maps/siting?existing=stations&p=1": 422,
    "/maps/zones": 200,
    "/analyses/zones": 200,
    "/analyses/zones/no-such-plan": 404,
    "/analyses/network/quality?limit=5": 200,
    "/maps/network": 200,
}
#: open whatever the setting says
OPEN = ("/", "/conformance", "/healthz", MZGIS_CSS)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, small_store: Path) -> tuple[str, dict]:
    """A copy of the small store with a viewer and a planner, one token each."""
    path = tmp_path_factory.mktemp("read") / "read.gpkg"
    path.write_bytes(small_store.read_bytes())
    records = open_record_store(str(path))
    tokens = {}
    try:
        for name, role in (("vera", "viewer"), ("paul", "planner")):
            user = User(name, role, name.title(), hash_password("pw"))  # type: ignore[arg-type]
            records.add_user(user, actor="test")
            tokens[name] = issue_token(records, name, actor="test")[0]
    finally:
        records.close()
    return str(path), tokens


def client_for(location: str, *, public_read: bool) -> TestClient:
    return TestClient(create_app(Settings(store=location, public_read=public_read)))


@pytest.fixture(scope="module")
def public(world: tuple[str, dict]) -> Iterator[TestClient]:
    with client_for(world[0], public_read=True) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def private(world: tuple[str, dict]) -> Iterator[TestClient]:
    with client_for(world[0], public_read=False) as test_client:
        yield test_client


def test_the_setting_defaults_to_public_and_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().public_read is True
    monkeypatch.setenv("MZGIS_PUBLIC_READ", "false")
    assert Settings().public_read is False


@pytest.mark.parametrize("url", GUARDED)
def test_public_by_default(public: TestClient, url: str) -> None:
    answer = public.get(url)
    assert answer.status_code == GUARDED[url], answer.text


@pytest.mark.parametrize("url", GUARDED)
def test_private_needs_a_signed_in_reader(
    private: TestClient, public: TestClient, world: tuple[str, dict], url: str
) -> None:
    anonymous = private.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    body = anonymous.json()
    assert body["code"] == "http_401" and "sign in first" in body["detail"]
    assert "请先登录" in body["detail"]
    forged = private.get(url, headers={"Authorization": "Bearer mzgis_forged"})
    assert forged.status_code == 401 and "unknown, expired or revoked" in forged.json()["detail"]
    vera = {"Authorization": f"Bearer {world[1]['vera']}"}
    signed_in = private.get(url, headers=vera)
    assert signed_in.status_code == GUARDED[url], signed_in.text
    same = public.get(url, headers=vera)  # the same answer once let in (map ids differ)
    assert signed_in.headers["content-type"] == same.headers["content-type"]
    if "json" in same.headers["content-type"] and "items" not in url:
        assert signed_in.json() == same.json()


def test_the_map_cookie_signs_a_browser_in(private: TestClient, world: tuple[str, dict]) -> None:
    private.cookies.set(COOKIE_NAME, world[1]["paul"])
    try:
        assert private.get("/maps/layers").status_code == 200
        assert private.get("/collections/stations/items").status_code == 200
    finally:
        private.cookies.clear()
    assert private.get("/maps/layers").status_code == 401


def test_a_role_without_read_is_forbidden(
    private: TestClient, world: tuple[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(PERMISSIONS, "read", frozenset({"admin", "planner"}))
    headers = {"Authorization": f"Bearer {world[1]['vera']}"}
    answer = private.get("/collections", headers=headers)
    assert answer.status_code == 403
    assert answer.json() == {
        "code": "http_403",
        "detail": "role 'viewer' may not read / 角色 viewer 无权执行此操作（read）",
    }
    headers = {"Authorization": f"Bearer {world[1]['paul']}"}
    assert private.get("/maps", headers=headers).status_code == 200


@pytest.mark.parametrize("url", OPEN)
def test_assets_and_the_landing_page_stay_open(private: TestClient, url: str) -> None:
    assert private.get(url).status_code == 200


def test_the_inspection_map_needs_a_reader_even_when_public(public: TestClient) -> None:
    assert public.get("/maps/inspection").status_code == 401


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/analyses/coverage", {"facilities": "stations", "tiers_m": [500]}),
        ("/analyses/siting", {"p": 1, "candidates": {"source": "layer", "layer": "stations"}}),
    ],
)
def test_posted_analyses_need_a_reader_when_private(
    private: TestClient, world: tuple[str, dict], url: str, body: dict
) -> None:
    assert private.post(url, json=body).status_code == 401
    headers = {"Authorization": f"Bearer {world[1]['vera']}"}
    answer = private.post(url, json=body, headers=headers)
    assert answer.status_code == 200, answer.text
