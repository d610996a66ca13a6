"""The community resize benchmark's smoke run, so it never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_communities_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_communities.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "proposals within band, contiguous: 4 of 4" in out
    assert "proposals within band, contiguous: 12 of 12" in out
    assert "ratio spopt / mzgis:" in out
    assert out.count("cost above the LP bound: max") == 2
    assert out.count("gap to the best bound: max") == 2
