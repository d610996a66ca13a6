"""Fixtures of the browser tests: the real app served by uvicorn on a free loopback port, and
Debian's Chromium (never a downloaded browser) driven by Playwright, offline.

Use them for any map page::

    @pytest.mark.browser
    def test_my_page(map_server, map_tab):
        report = check_map_page(map_tab, f"{map_server}/maps/my-page", expected_features={...})
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Playwright

from bench.field_phone import ServiceProcess, service_process
from bench.field_world import FieldWorld, build_field_world
from bench.offline_browser import serving
from tests.browser.mapcheck import CHROMIUM, CHROMIUM_ARGS, MapTab


def _app(store: Path) -> FastAPI:
    from api.app import create_app
    from api.config import Settings
    from api.maps.routes import install_maps

    app = create_app(Settings(store=str(store)))
    install_maps(app)  # a no-op once api/app.py installs the maps itself
    return app


#: the app served on a free loopback port for a ``with`` block (shared with the benchmarks)
serve_app = serving


@pytest.fixture(scope="session")
def served_store(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy of the demo store that :func:`map_server` serves (the pages save zone plans,
    and other tests share the demo store)."""
    store = tmp_path_factory.mktemp("served") / demo_store.name
    shutil.copyfile(demo_store, store)
    return store


@pytest.fixture(scope="session")
def map_server(served_store: Path) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of the app serving :func:`served_store`."""
    with serving(_app(served_store)) as url:
        yield url


@pytest.fixture(scope="session")
def planner_auth(served_store: Path) -> dict[str, str]:
    """The ``Authorization`` header of a planner of :func:`served_store` (saves plans)."""
    from api.auth import issue_token
    from layers.records import User, open_record_store
    from layers.store import open_store

    records = open_record_store(open_store(served_store))
    records.add_user(User("map_planner", "planner", "planner", "!"), actor="test")
    token, _ = issue_token(records, "map_planner", actor="test")
    records.close()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def browser_context(
    playwright_driver: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """A Chromium context with a fresh user-data-dir, 1280×800, Chinese locale."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 800},
        locale="zh-CN",
        service_workers="block",
    )
    yield context
    context.close()


@pytest.fixture(scope="session")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, for tests that need several independent contexts
    (two people, two screen sizes, a phone): ``chromium.new_context(...)``."""
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def field_browser(chromium: Browser) -> Browser:
    """Chromium for the field app's tests (each test opens its own phone context)."""
    return chromium


@pytest.fixture
def map_tab(browser_context: BrowserContext) -> Iterator[MapTab]:
    """A fresh tab: non-local requests blocked and logged, console errors collected."""
    tab = MapTab.open(browser_context)
    yield tab
    tab.close()


# --- the field app: a world of its own and the service as a real process ------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FieldWorld]:
    """A new field world (line 0003, users, campaign 2025-0003) in a GeoPackage."""
    built = build_field_world(str(tmp_path / "field.gpkg"))
    yield built
    built.close()


@pytest.fixture
def service(world: FieldWorld) -> Iterator[ServiceProcess]:
    """The service on the world's store, as a uvicorn process (killed at the end)."""
    with service_process(world.location) as running:
        yield running


# --- the web pages: the demo with people who sign in ---------------------------------------


@dataclass(frozen=True)
class WebSite:
    """The app on a private copy of the demo store, with people who sign in with
    :data:`tests.browser.pagecheck.PASSWORD`: ``admin``, ``planner`` (王规划), ``viewer``."""

    url: str
    store: Path


@pytest.fixture(scope="session")
def web_site(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    """The web pages served by uvicorn on a copy of the demo store (with the demo's
    inspection campaign) and three users."""
    from api.auth import hash_password
    from api.inspection.seed import seed_demo_records
    from layers.records import User, open_record_store
    from layers.store import open_store
    from tests.browser.pagecheck import PASSWORD

    path = tmp_path_factory.mktemp("web") / demo_store.name
    shutil.copyfile(demo_store, path)
    store = open_store(path)
    records = open_record_store(store)
    seed_demo_records(store, records)  # campaign 2025-0001 for the inspection map
    password = hash_password(PASSWORD)
    for username, role, name in (
        ("admin", "admin", "管理员甲"),
        ("planner", "planner", "王规划"),
        ("viewer", "viewer", "李查看"),
    ):
        records.add_user(User(username, role, name, password), actor="test")  # type: ignore[arg-type]
    records.close()
    store.close()
    with serving(_app(path)) as url:
        yield WebSite(url, path)
