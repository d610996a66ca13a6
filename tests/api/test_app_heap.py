"""The service takes what it holds from its start out of the garbage collector's scans while
it runs (a full collection of it stalled every thread for up to 140 ms under load) and gives
it back when it stops, so apps made one after another in one process can be collected."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings


def test_the_startup_heap_is_frozen_while_the_service_runs(store_copy: Path) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(Settings(store=str(store_copy)))) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
