"""The city siting benchmark's smoke run, so it never rots."""

from __future__ import annotations

import pytest

from tests.geo.test_bench_smoke import _load


def test_bench_city_siting_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    fig = _load("bench_city_siting").main(["--smoke"])
    assert fig["pairs"] > 1000
    assert fig["same_pairs"] == 1.0 and fig["max_diff_m"] < 1e-3
    assert 0 < fig["covered"] <= fig["bound"] <= fig["total_weight"]
    out = capsys.readouterr().out
    assert "ratio anchor / mzgis:" in out
    assert "sample pairs equal to the anchor's: yes" in out
