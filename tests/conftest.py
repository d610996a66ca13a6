"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Playwright

    from layers.store import Store
    from tests.pg import Cluster

# --- the embedded demo store (layers.demo), built once per test session ----------------


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a demo GeoPackage built once per session from ``data/raw`` (seed 2023).

    Read it freely; copy it before writing to it (other tests share it)."""
    from layers.demo import DEFAULT_RAW_DIR, build_demo

    out = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    build_demo(DEFAULT_RAW_DIR, out, seed=2023)
    return out


# --- PostGIS: one throwaway cluster per session (tests/pg.py), a schema per store -------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL + PostGIS cluster started for this session, removed at its end.

    Skips when no server is installed (fails instead when ``CI`` is set)."""
    from tests.pg import require_cluster

    cluster = require_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a new, empty PostGIS store (its own schema in the session's database)."""
    from tests.pg import fresh_schema

    return f"{pg_cluster.url}?schema={fresh_schema()}"


@pytest.fixture(params=["gpkg", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend: a GeoPackage file, then a PostGIS schema."""
    from layers.store import open_store

    location = str(tmp_path / "store.gpkg")
    if request.param == "postgis":
        location = request.getfixturevalue("pg_url")
    opened = open_store(location)
    try:
        yield opened
    finally:
        opened.close()


# --- the one Playwright driver of the session (browser, field-app and notebook tests) ------

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
# let context.route() see the service worker's own requests (the field app's tests take
# them offline with the page); read by the Playwright driver when it starts
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """The one Playwright driver of the session: a sync driver runs an event loop in this
    thread, so a second one could not start while it lives. Fails when Debian's Chromium
    is missing."""
    from playwright.sync_api import sync_playwright

    from bench.offline_browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: bash scripts/install.sh --test installs it")
    with sync_playwright() as pw:
        yield pw
