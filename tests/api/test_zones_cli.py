"""``mzgis zones`` on the 4×6 grid store of tests/api/test_zones_api.py (24 communities of
workload 10, 4 stations of capacity 60): files by suffix, the printed table, and a
hand-drawn table checked by ``validate`` (exit 1 naming the problem)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from api.cli import app
from layers.store import open_store
from tests.api.test_zones_api import STATION_CELLS, _code, _communities, _stations

runner = CliRunner()


@pytest.fixture(scope="module")
def grid_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zones_cli") / "grid.gpkg"
    store = open_store(path)
    store.import_frame(_communities(), name="communities", kind="communities")
    store.import_frame(_stations(), name="stations", kind="stations")
    store.close()
    return path


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["zones", *args])
    return result.exit_code, result.output


def _station_of_own_cell() -> dict[str, str]:
    return {_code(r, c): s for s, (r, c) in STATION_CELLS.items()}


def test_zones_is_listed_with_bilingual_help() -> None:
    code, output = _run("--help")
    assert code == 0 and "solve" in output and "validate" in output and "责任片区" in output
    code, output = _run("solve", "--help")
    assert code == 0 and "--best-effort" in output and "--cross-street" in output


def test_solve_writes_two_geopackage_layers(grid_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.gpkg"
    code, output = _run("solve", "--store", str(grid_store), "--out", str(out))
    assert code == 0, output
    assert "plan OK / 方案无问题" in output and "workload by station" in output
    rows = [line for line in output.splitlines() if line.startswith("│")]
    assert len(rows) == 4 and all(" 60 " in row and "100%" in row for row in rows)
    assert {name for name, _ in pyogrio.list_layers(out)} == {"zones", "assignment"}
    zones = pyogrio.read_dataframe(out, layer="zones")
    assert sorted(zones["station_id"]) == sorted(STATION_CELLS)
    assert zones["workload"].tolist() == [60.0] * 4
    assignment = pyogrio.read_dataframe(out, layer="assignment")
    assert len(assignment) == 24 and assignment["unit_id"].is_unique
    assert assignment.groupby("station_id").size().tolist() == [6] * 4
    own = assignment.set_index("unit_id").loc[list(_station_of_own_cell()), "station_id"]
    assert own.to_dict() == _station_of_own_cell()
    # the zones cover the grid: 24 cells of 0.005° in total
    assert zones.to_crs(assignment.crs).area.sum() == pytest.approx(assignment.area.sum())


def test_solve_csv_writes_assignment_beside(grid_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    code, output = _run("solve", "--store", str(grid_store), "--out", str(out), "--band", "0.1")
    assert code == 0, output
    zones = pd.read_csv(out, encoding="utf-8-sig")
    assignment = pd.read_csv(tmp_path / "plan_assignment.csv", encoding="utf-8-sig", dtype=str)
    assert len(zones) == 4 and len(assignment) == 24
    assert {"lon", "lat"} <= set(assignment.columns)  # a point inside each unit


def test_infeasible_band_refused_unless_best_effort(grid_store: Path, tmp_path: Path) -> None:
    # 24 units of workload 11 = 264 > 4 stations × 60.6 (capacity 60 + 1 %): infeasible
    store = open_store(grid_store)
    store.import_frame(_communities().assign(basic_recipients=11), name="heavy", kind="communities")
    store.close()
    args = ("solve", "--store", str(grid_store), "--units", "heavy", "--band", "0.01")
    code, output = _run(*args)
    assert code == 1 and "error / 错误" in output
    code, output = _run(*args, "--best-effort")
    assert code == 0, output
    assert "overloaded stations / 超负荷驿站" in output and "plan has problems" in output


def _hand_table(path: Path, moves: dict[str, str | None]) -> Path:
    units = _communities()["code"].tolist()
    # a valid plan: columns 0-2 of rows 0-1 → S1, columns 3-5 of rows 0-1 → S2, etc.
    station: dict[str, str | None] = {
        _code(r, c): ("S1", "S2", "S3", "S4")[(r >= 2) * 2 + (c >= 3)]
        for r in range(4)
        for c in range(6)
    }
    station.update(moves)
    frame = pd.DataFrame({"code": units, "zone": [station[u] for u in units]})
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_validate_accepts_a_good_table(grid_store: Path, tmp_path: Path, suffix: str) -> None:
    table = _hand_table(tmp_path / f"good{suffix}", {})
    args = ("--unit-col", "code", "--station-col", "zone", "--store", str(grid_store))
    code, output = _run("validate", str(table), *args)
    assert code == 0, output
    assert "plan OK" in output


def test_validate_of_a_bad_table_exits_1(grid_store: Path, tmp_path: Path) -> None:
    moved, blank = _code(0, 2), _code(3, 5)
    table = _hand_table(tmp_path / "bad.csv", {moved: "S4", blank: None})
    args = ("--unit-col", "code", "--station-col", "zone", "--store", str(grid_store))
    code, output = _run("validate", str(table), *args)
    assert code == 1
    assert f"unassigned units / 未分配单元: 1 ({blank})" in output
    assert "zones in pieces / 片区不连通: 1 (S4)" in output
    assert "plan has problems / 方案存在问题" in output


def test_validate_names_a_missing_column(grid_store: Path, tmp_path: Path) -> None:
    table = _hand_table(tmp_path / "t.csv", {})
    code, output = _run("validate", str(table), "--store", str(grid_store))
    assert code == 1 and "unit_id" in output and "--unit-col" in output


def test_validate_has_the_problem_options_of_solve() -> None:
    code, output = _run("validate", "--help")
    assert code == 0
    for option in ("--band", "--mode", "--cross-street", "--units", "--workload"):
        assert option in output


def test_validate_checks_against_the_band_given(grid_store: Path, tmp_path: Path) -> None:
    # one unit of S1's zone handed to S2 (still contiguous): workloads 50 and 70 of 60
    table = _hand_table(tmp_path / "shifted.csv", {_code(0, 2): "S2"})
    args = ("--unit-col", "code", "--station-col", "zone", "--store", str(grid_store))
    code, output = _run("validate", str(table), *args)
    assert code == 1
    assert "overloaded stations / 超负荷驿站: 1 (S2)" in output
    assert "underloaded stations / 欠负荷驿站: 1 (S1)" in output
    code, output = _run("validate", str(table), *args, "--band", "0.2")
    assert code == 0, output
    assert "plan OK" in output
    code, output = _run("validate", str(table), *args, "--mode", "network")
    assert code == 1 and "network" in output  # the grid store has no roads


def test_street_without_station_is_hosted(grid_store: Path) -> None:
    # column 5 becomes a street of its own with no station: it joins S2's and S4's street
    frame = _communities()
    lonely = frame.geometry.bounds["minx"] == frame.geometry.bounds["minx"].max()
    frame.loc[lonely, "street_code"] = "110101002"
    frame.loc[lonely, "code"] = [f"110101002{i + 1:03d}" for i in range(int(lonely.sum()))]
    store = open_store(grid_store)
    store.import_frame(frame, name="two_streets", kind="communities")
    store.close()
    code, output = _run("solve", "--store", str(grid_store), "--units", "two_streets")
    assert code == 0, output
    assert "110101002 → 110101001" in output and "无驿站街道并入相邻街道" in output
    assert "zones hosting streets without a station / 接纳无驿站街道的片区: 2 (S2, S4)" in output
    assert "plan OK / 方案无问题" in output and "zones crossing streets" not in output


def test_solve_save_stores_the_plan_and_plans_lists_it(grid_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "saved.gpkg"
    store.write_bytes(grid_store.read_bytes())
    code, output = _run("solve", "--store", str(store), "--save")
    assert code == 0, output
    saved = [line for line in output.splitlines() if line.startswith("saved plan / 已保存方案")]
    assert len(saved) == 1
    plan_id = saved[0].rsplit(" ", 1)[1]
    code, listed = _run("plans", "--store", str(store))
    assert code == 0 and plan_id in listed
    code, shown = _run("show", plan_id, "--store", str(store))
    assert code == 0 and "plan OK / 方案无问题" in shown


def test_solve_by_street_in_process_equals_the_single_solve(grid_store: Path) -> None:
    _, single = _run("solve", "--store", str(grid_store))
    code_by, by = _run("solve", "--store", str(grid_store), "--by", "street", "--scheduler", "none")
    assert code_by == 0, by
    tables = [[ln for ln in text.splitlines() if ln.startswith("│")] for text in (single, by)]
    assert tables[0] and tables[0] == tables[1]  # the same workload per station
    code, output = _run("solve", "--store", str(grid_store), "--by", "nothing-like-this")
    assert code != 0 and "nothing-like-this" in output


def test_solve_xlsx_is_one_workbook_with_names(grid_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.xlsx"
    code, output = _run("solve", "--store", str(grid_store), "--out", str(out), "--band", "0.1")
    assert code == 0, output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["概况 summary", "片区 zones", "分配 assignment"]
    summary = {r[0]: r[2] for r in book["概况 summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["驿站数"] == 4 and summary["单元数"] == 24
    assert summary["数据存储"] == str(grid_store)
    zones = list(book["片区 zones"].values)
    assert zones[0][:3] == ("驿站编号", "驿站名称", "街道")
    names = dict(zip(_stations()["station_id"], _stations()["name"], strict=True))
    assert {row[0]: row[1] for row in zones[1:]} == names
    load = book["片区 zones"]["G2"]
    assert load.number_format == "0.0%" and 0.85 <= load.value <= 1.15
    units = list(book["分配 assignment"].values)
    assert len(units) == 1 + 24 and units[0][:4] == ("单元编号", "单元名称", "驿站编号", "驿站名称")


def test_zones_export_for_amap(grid_store: Path, tmp_path: Path) -> None:
    for crs in ("wgs84", "bd09"):
        out = tmp_path / f"{crs}.geojson"
        args = ("solve", "--store", str(grid_store), "--out", str(out), "--band", "0.1")
        code, output = _run(*args, "--crs", crs)
        assert code == 0, output
    plain, baidu = (gpd.read_file(tmp_path / f"{c}.geojson") for c in ("wgs84", "bd09"))
    shift = shapely.get_x(shapely.centroid(baidu.geometry.to_numpy())) - shapely.get_x(
        shapely.centroid(plain.geometry.to_numpy())
    )
    assert (shift > 0.005).all()  # BD-09 lies ~0.006° east of WGS84 in Beijing
