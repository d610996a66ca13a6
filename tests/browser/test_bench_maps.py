"""The map benchmark's smoke run, so it never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def test_bench_maps_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_maps.py"), "--smoke", "--no-anchor"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "map ready with 400 features drawn in" in result.stdout


def test_bench_tiles_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_tiles.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "tiles (GeoPackage): 2,000 polygons, first view in" in result.stdout
    assert "on the first visit after start-up" in result.stdout
    assert "ratio anchor / tiles (GeoPackage):" in result.stdout
