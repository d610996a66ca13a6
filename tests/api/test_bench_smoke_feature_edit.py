"""The smoke run of ``bench/bench_feature_edit.py``, so it never rots."""

from __future__ import annotations

import pytest

from tests.geo.test_bench_smoke import _load


def test_bench_feature_edit_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    out = _load("bench_feature_edit").main(["--smoke"])
    assert set(out) == {"50 geopackage"}
    assert out["50 geopackage"]["edit_ms"] > 0 and out["50 geopackage"]["anchor_ms"] > 0
    assert "x the anchor" in capsys.readouterr().out
