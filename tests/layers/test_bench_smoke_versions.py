"""The smoke run of ``bench/bench_versions.py``, so it never rots."""

from __future__ import annotations

import pytest

from tests.geo.test_bench_smoke import _load


def test_bench_versions_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    out = _load("bench_versions").main(["--smoke", "--repeat", "1"])
    assert set(out) == {"stations 2,000: geopackage", "communities 400: geopackage"}
    assert all(t["keep_s"] > 0 and t["gdal_s"] > 0 for t in out.values())
    assert "GDAL's" in capsys.readouterr().out
