"""The zones benchmark's smoke run, so it never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_zones_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_zones.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert out.count("contiguous zones: 100.0%") == 2
    assert "ratio spopt / mzgis:" in out
    assert "stations outside band: 0 of 60" in out
