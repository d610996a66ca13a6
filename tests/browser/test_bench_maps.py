"""The map benchmark's smoke run, so it never rots."""

from __future__ import annotations

import pytest

from tests.bench_smoke import run_bench

pytestmark = pytest.mark.browser


def test_bench_maps_smoke() -> None:
    out = run_bench("bench_maps.py", "--smoke", "--no-anchor", timeout_s=180)
    assert "map ready with 400 features drawn in" in out


def test_bench_tiles_smoke() -> None:
    out = run_bench("bench_tiles.py", "--smoke", timeout_s=300)
    assert "tiles (GeoPackage): 2,000 polygons, first view in" in out
    assert "on the first visit after start-up" in out
    assert "ratio anchor / tiles (GeoPackage):" in out
