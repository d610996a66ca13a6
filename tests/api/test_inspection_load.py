"""The load script's ``--smoke`` size runs (so it never rots); speed is not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_inspections.py"


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
