"""Fixtures of the browser tests: the real app served by uvicorn on a free loopback port, and
Debian's Chromium (never a downloaded browser) driven by Playwright, offline.

Use them for any map page::

    @pytest.mark.browser
    def test_my_page(map_server, map_tab):
        report = check_map_page(map_tab, f"{map_server}/maps/my-page", expected_features={...})
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Playwright

from bench.field_phone import ServiceProcess, service_process
from bench.field_world import FieldWorld, build_field_world
from tests.browser.mapcheck import CHROMIUM, CHROMIUM_ARGS, MapTab


def _app(store: Path) -> FastAPI:
    from api.app import create_app
    from api.config import Settings
    from api.maps.routes import install_maps

    app = create_app(Settings(store=str(store)))
    install_maps(app)  # a no-op once api/app.py installs the maps itself
    return app


@contextlib.contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port for the ``with`` block; yields its
    base URL (``http://127.0.0.1:PORT``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            msg = "the test server did not start"
            raise RuntimeError(msg)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


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
    with serve_app(_app(served_store)) as url:
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
def field_browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Chromium for the field app's tests (each test opens its own phone context)."""
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


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
