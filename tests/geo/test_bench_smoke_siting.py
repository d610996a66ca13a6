"""The siting benchmark's smoke run, so it never rots."""

from __future__ import annotations

from tests.bench_smoke import run_bench


def test_bench_siting_smoke() -> None:
    out = run_bench("bench_siting.py", "--smoke", timeout_s=180)
    assert "objectives equal: yes" in out
    assert "ratio spopt / mzgis:" in out
    assert out.count("Capacitated MCLP") == 2
    assert out.count("feasible: yes") == 2
