"""The smoke run of ``bench/bench_network_store.py``, so it never rots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.geo.test_bench_smoke import _load


def test_bench_network_store_smoke(raw_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _load("bench_network_store").main(["--smoke", "--repeat", "1"])
    assert set(out) == {"demo walking network: file", "demo walking network: geopackage table"}
    assert all(t["save_s"] > 0 and t["load_s"] > 0 for t in out.values())
    assert "x the file's load time" in capsys.readouterr().out
