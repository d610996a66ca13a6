"""Fixtures of the map tests: the service over the small store with the maps installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from api.maps.routes import install_maps


def maps_app(store: Path, **settings: object) -> FastAPI:
    """The app over ``store`` with the ``/maps`` router and assets."""
    app = create_app(Settings(store=str(store), **settings))  # type: ignore[arg-type]
    install_maps(app)  # a no-op once api/app.py installs the maps itself
    return app


@pytest.fixture(scope="module")
def maps_client(small_store: Path) -> Iterator[TestClient]:
    """The service over the small store, started."""
    with TestClient(maps_app(small_store)) as client:
        yield client
