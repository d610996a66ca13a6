"""The zones benchmark's smoke run, so it never rots."""

from __future__ import annotations

from tests.bench_smoke import run_bench


def test_bench_zones_smoke() -> None:
    out = run_bench("bench_zones.py", "--smoke", timeout_s=180)
    assert out.count("contiguous zones: 100.0%") == 2
    assert "ratio spopt / mzgis:" in out
    assert "stations outside band: 0 of 60" in out
