"""The network benchmarks' smoke runs, so they never rot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_network_smoke(raw_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _load("bench_network").main(["--smoke", "--repeat", "1"])
    assert out["max_diff_m"] < 0.05
    assert out["mzgis_warm_s"] > 0 and out["networkx_s"] > 0 and out["pandana_s"] > 0
    assert "networkx" in capsys.readouterr().out


def test_bench_city_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    out = _load("bench_city").main(["--smoke"])
    assert 0 < out["covered"] <= out["total"]
    assert out["bare_s"] > 0
    printed = capsys.readouterr().out
    assert "coverage + roll-ups" in printed and "coverage / bare =" in printed
    assert out["cpu_s"] > 0 and out["bare_cpu_s"] > 0
    stages = out["stages"]
    assert stages["multi-source Dijkstra"] > 0 and stages["snap demand"] > 0
    assert sum(v for k, v in stages.items() if k != "total") == pytest.approx(stages["total"])


def test_bench_network_quality_smoke(raw_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _load("bench_network_quality").main(["--smoke"])
    # every lane node more than 2.5 blocks from the lane's joined end is a missing link
    assert out["city_links"] == 12 * 9
    assert out["city_mzgis_s"] > 0 and out["import_osmnx_s"] > 0
    assert "same pairs: True" in capsys.readouterr().out
