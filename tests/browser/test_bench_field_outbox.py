"""The field outbox benchmark's smoke run (5 records × 30 kB), so it never rots."""

from __future__ import annotations

import pytest

from tests.bench_smoke import run_bench

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_bench_field_outbox_smoke() -> None:
    out = run_bench("bench_field_outbox.py", "--smoke", timeout_s=300)
    assert "on the server: 5 records, 5 photos; 0 lost, 0 duplicated" in out
    assert "app / anchor" in out
