"""The province benchmark's smoke run (Dask local cluster included), so it never rots."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_province.py"


def test_bench_province_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_province", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_province"] = module
    spec.loader.exec_module(module)
    fig = module.main(["--smoke", "--workers", "1"])
    assert fig["equal"] == 1.0 and fig["max_diff_m"] < 1e-6
    assert fig["single_s"] > 0 and fig["dask_s"] > 0
    assert fig["write_s"] > 0 and fig["pieces_mb"] > 0 and fig["w1_again_compute_s"] > 0
    out = capsys.readouterr().out
    assert "results equal: yes" in out and "1 worker(s), pieces read by key" in out
    assert "pieces sent with the tasks" in out and "ratio single / Dask 1 workers" in out
