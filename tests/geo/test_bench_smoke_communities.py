"""The community resize benchmark's smoke run, so it never rots."""

from __future__ import annotations

from tests.bench_smoke import run_bench


def test_bench_communities_smoke() -> None:
    out = run_bench("bench_communities.py", "--smoke", timeout_s=300)
    assert "proposals within band, contiguous: 4 of 4" in out
    assert "proposals within band, contiguous: 12 of 12" in out
    assert "ratio spopt / mzgis:" in out
    assert out.count("cost above the LP bound: max") == 2
    assert out.count("gap to the best bound: max") == 2
