"""The load script's ``--smoke`` size runs (so it never rots), on the demo GeoPackage; and its
load, at the same size, on PostGIS behind a real uvicorn. Speed is not asserted."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import numpy as np
import pytest

from tests.api.test_inspection_durability import server
from tests.api.test_inspection_kit import MARKERS_0001, build_kit, marker_body

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_inspections.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_inspections", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_inspections"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_load_script_smoke(demo_store: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--store", str(demo_store)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert "success: 100.00 % (20/20)" in done.stdout, done.stdout + done.stderr
    assert "p99" in done.stdout
    assert done.returncode == 0


@pytest.mark.slow
def test_smoke_load_on_postgis(pg_url: str) -> None:
    """The script's warm-up and ``--smoke`` load (10/s for 2 s) against uvicorn on a PostGIS
    store (the script itself copies a GeoPackage): every submission is acknowledged and
    stored once, with its audit entry."""
    run_load = _bench().run_load
    templates = [marker_body(m) for m in MARKERS_0001]  # each send gets a new record_id
    with (
        build_kit(pg_url) as kit,
        server(kit.location) as (url, _),
        httpx.Client(base_url=url, headers=kit.auth("insp_left"), timeout=30) as client,
    ):
        _, warm = run_load(client, templates, rate=20.0, duration_s=1.0)
        latency, ok = run_load(client, templates, rate=10.0, duration_s=2.0)
        stored = kit.snapshot()
    assert warm.all() and ok.all() and len(ok) == 20
    assert np.isfinite(latency).all()
    creates = [e for e in stored["audit"] if e.action == "record.create"]
    assert len(stored["marker"]) == len(creates) == 20 + 20
    assert not stored["segment"]
