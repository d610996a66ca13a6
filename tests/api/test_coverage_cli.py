"""``mzgis coverage`` on the small store: the roll-up table, the gaps, the exported table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


def test_euclidean_by_street_to_csv(store_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "coverage.csv"
    args = ["coverage", "--facilities", "stations", "--radius", "800", "--mode", "euclidean"]
    result = runner.invoke(app, [*args, "--store", str(store_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "东华门街道 110101001" in result.output  # streets named from the streets layer
    assert "total / 合计" in result.output and "2,600" in result.output  # elderly 800+600+1200
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert len(table) == 3
    assert (
        table["elderly_60_plus_covered_800m"] + table["elderly_60_plus_uncovered_800m"]
        == table["elderly_60_plus"]
    ).all()


def test_network_tiers_to_xlsx(store_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "coverage.xlsx"
    args = ["coverage", "--facilities", "stations", "--tiers", "300,500", "--by", "community"]
    result = runner.invoke(app, [*args, "--store", str(store_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "≤ 300m" in result.output and "多福巷社区" in result.output
    assert (store_copy.parent / "copy.network.npz").is_file()  # built from roads and saved
    assert len(pd.read_excel(out, engine="openpyxl")) == 3


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--tiers", "500,300"], "strictly increasing"),
        (["--tiers", "a,b"], "radii in metres"),
        (["--radius", "-5"], "must be > 0"),
        (["--radius", "300", "--tiers", "300"], "not both"),
        (["--mode", "bus"], "network or euclidean"),
        (["--by", "city"], "community, street or district"),
        (["--weight", "nope"], "no such column"),
        (["--radius", "5000"], "beyond the walking network"),
    ],
)
def test_bad_options_exit_1(store_copy: Path, extra: list[str], words: str) -> None:
    args = ["coverage", "--facilities", "stations", "--store", str(store_copy), *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert words in result.output and "错误" in result.output


def test_unknown_layer(store_copy: Path) -> None:
    result = runner.invoke(app, ["coverage", "--facilities", "nope", "--store", str(store_copy)])
    assert result.exit_code == 1 and "no such layer" in result.output
