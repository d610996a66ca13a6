"""``mzgis site`` on the small store (see tests/api/test_siting_api.py for the distances):
the printed summary, the files by suffix, and user errors (exit 1, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.api.test_siting_api import save_grid_network

runner = CliRunner()
MCLP = ["site", "--candidates", "stations", "-p", "2", "--radius-m", "600"]


def _run(small_store: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*MCLP, *args, "--store", str(small_store)])
    return result.exit_code, result.output


def test_site_is_listed_with_bilingual_help() -> None:
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0 and "site" in top.output
    result = runner.invoke(app, ["site", "--help"])
    assert result.exit_code == 0
    assert "设施选址" in result.output and "--radius-m" in result.output


def test_summary_and_gains_are_printed(small_store: Path) -> None:
    code, output = _run(small_store)
    assert code == 0, output
    assert "mclp: optimal" in output and "objective / 目标值 1,400.00" in output
    assert "0 (0.0%) → 1,400 (53.8%) of / 共 2,600" in output
    rows = [line for line in output.splitlines() if line.startswith("│")]
    assert "S1" in rows[0] and "800" in rows[0] and "30.8%" in rows[0]
    assert "S2" in rows[1] and "600" in rows[1] and "53.8%" in rows[1]
    assert "solving mclp" in output  # the progress lines


def test_geopackage_gets_three_layers(small_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "answer.gpkg"
    code, output = _run(small_store, "--out", str(out))
    assert code == 0, output
    assert {name for name, _ in pyogrio.list_layers(out)} == {"sites", "demand", "assignment"}
    sites = pyogrio.read_dataframe(out, layer="sites")
    assert list(sites["facility_id"]) == ["S1", "S2"] and list(sites["rank"]) == [1, 2]
    demand = pyogrio.read_dataframe(out, layer="demand").set_index("demand_id")
    assert demand.geom_type.unique().tolist() == ["Polygon"]
    assert demand["coverage"].to_dict() == {
        "110101001001": "new",
        "110101001002": "new",
        "110101002001": "none",
    }


def _table(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_excel(path, engine="openpyxl")


@pytest.mark.parametrize("suffix", [".csv", ".geojson"])
def test_other_formats_write_three_files(small_store: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"answer{suffix}"
    code, output = _run(small_store, "--out", str(out))
    assert code == 0, output
    names = ("answer", "answer_demand", "answer_assignment")
    paths = [tmp_path / f"{name}{suffix}" for name in names]
    assert all(p.exists() for p in paths) and all(str(p) in output for p in paths)
    if suffix == ".geojson":
        sites = json.loads(paths[0].read_text(encoding="utf-8"))
        assert [f["properties"]["facility_id"] for f in sites["features"]] == ["S1", "S2"]
        return
    sites, demand = _table(paths[0]), _table(paths[1])
    assert sites[["facility_id", "rank", "lon", "lat"]].iloc[0].tolist() == [
        "S1", 1, pytest.approx(116.385), pytest.approx(39.905),
    ]  # fmt: skip
    assert {"lon", "lat", "coverage", "distance_m"} <= set(demand.columns)
    assert len(_table(paths[2])) == 3


def test_xlsx_is_one_workbook(small_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "answer.xlsx"
    code, output = _run(small_store, "--out", str(out))
    assert code == 0, output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answer.xlsx"]
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "概况 summary", "选址结果 sites", "增益曲线 gain curve", "需求 demand", "分配 assignment",
    ]  # fmt: skip
    summary = {r[0]: r[2] for r in book["概况 summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["问题"] == "mclp" and summary["数据存储"] == str(small_store)
    sites = list(book["选址结果 sites"].values)
    assert sites[0][:3] == ("设施编号", "名称", "类型")
    assert sites[1][0] == "S1" and sites[1][2] == "新建 new"
    share = book["增益曲线 gain curve"]["F2"]
    assert share.number_format == "0.0%" and 0 < share.value <= 1
    assert all(ws.freeze_panes == "A2" for ws in book)


def test_walking_distances(store_copy: Path) -> None:
    save_grid_network(store_copy)
    code, output = _run(store_copy, "-p", "1", "--radius-m", "800", "--mode", "network")
    assert code == 0, output
    # walking the grid, S3 and S4 are 983 m from B: the best single site is S1 (A1, 800)
    assert "distances / 距离: network" in output and "objective / 目标值 800.00" in output
    rows = [line for line in output.splitlines() if line.startswith("│")]
    assert len(rows) == 1 and "S1" in rows[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--demand", "homes"], ["demand_layer", "homes", "没有该图层"]),
        (["--setback", "stations"], ["--setback", "LAYER:METRES"]),
        (["-p", "9"], ["p = 9", "5"]),
        (["--problem", "lscp"], ["leave p out"]),
    ],
)
def test_user_errors_exit_1_with_a_message(
    small_store: Path, args: list[str], words: list[str]
) -> None:
    code, output = _run(small_store, *args)
    assert code == 1
    assert "Traceback" not in output and "error / 错误" in output
    for word in words:
        assert word in output, (word, output)
