"""``mzgis coverage`` on the small store: the roll-up table, the gaps, the exported table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


def test_euclidean_by_street_to_csv_and_geopackage(store_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "coverage.csv"
    args = ["coverage", "--facilities", "stations", "--radius", "800", "--mode", "euclidean"]
    result = runner.invoke(app, [*args, "--store", str(store_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "东华门街道 110101001" in result.output  # streets named from the streets layer
    assert "total / 合计" in result.output and "2,600" in result.output  # elderly 800+600+1200
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert len(table) == 3
    assert list(table.columns[:4]) == ["社区代码", "社区名称", "街道代码", "街道名称"]
    assert set(table["街道名称"]) <= {"东华门街道", "景山街道"}

    layer = tmp_path / "coverage.gpkg"  # for GIS: every machine column
    result = runner.invoke(app, [*args, "--store", str(store_copy), "--out", str(layer)])
    assert result.exit_code == 0, result.output
    frame = gpd.read_file(layer)
    with sqlite3.connect(layer) as con:  # QGIS shows the Chinese field names
        aliases = dict(con.execute("SELECT column_name, name FROM gpkg_data_columns").fetchall())
    assert aliases["elderly_60_plus"] == "60岁以上老人" and aliases["name"] == "名称"
    assert (
        frame["elderly_60_plus_covered_800m"] + frame["elderly_60_plus_uncovered_800m"]
        == frame["elderly_60_plus"]
    ).all()


def test_network_tiers_to_xlsx(store_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "coverage.xlsx"
    args = ["coverage", "--facilities", "stations", "--tiers", "300,500", "--by", "community"]
    result = runner.invoke(app, [*args, "--store", str(store_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "≤ 300m" in result.output and "多福巷社区" in result.output
    assert (store_copy.parent / "copy.network.npz").is_file()  # built from roads and saved
    assert len(pd.read_excel(out, engine="openpyxl", sheet_name="社区 communities")) == 3


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--mode", "bike"], "--mode"),
        (["--by", "city"], "--by"),
        (["--radius", "500", "--tiers", "300,500"], "not both"),
    ],
)
def test_options_that_do_not_go_together_are_refused(
    store_copy: Path, options: list[str], said: str
) -> None:
    args = ["coverage", "--facilities", "stations", *options, "--store", str(store_copy)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert said in result.output
