"""The siting benchmark's smoke run, so it never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_siting_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_siting.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "objectives equal: yes" in result.stdout
    assert "ratio spopt / mzgis:" in result.stdout
    assert result.stdout.count("Capacitated MCLP") == 2
