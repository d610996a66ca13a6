"""The field outbox benchmark's smoke run (5 records × 30 kB), so it never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_bench_field_outbox_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_field_outbox.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "on the server: 5 records, 5 photos; 0 lost, 0 duplicated" in result.stdout
    assert "app / anchor" in result.stdout
