"""Running a benchmark script's smoke size from a test, as a person would run it (its own
process, from the repository root), so a benchmark never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "run_bench"]

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str, timeout_s: float = 300) -> str:
    """Run ``bench/<script>`` with ``args``; its standard output (the test fails, showing
    the end of standard error, unless it exits 0)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
