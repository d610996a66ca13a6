"""The province zones benchmark's smoke run (Dask local cluster included), so it never rots."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_province_zones.py"


def test_bench_province_zones_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_province_zones", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_province_zones"] = module
    spec.loader.exec_module(module)
    fig = module.main(["--smoke", "--workers", "1"])
    assert fig["identical"] == 1.0 and fig["units"] == 400
    assert fig["single_s"] > 0 and fig["dask_s"] > 0
    assert 0 < fig["largest_kb"] < fig["whole_kb"] / 2
    out = capsys.readouterr().out
    assert "Dask identical to the in-process partitioned solve: yes" in out
    assert "against the single-process solve:" in out
