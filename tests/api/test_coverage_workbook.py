"""The coverage workbook read back with openpyxl: its sheets, bilingual headers with units,
number formats, names beside codes, the summary, and a formula probe kept as text."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from api.cli import app
from layers.store import open_store

runner = CliRunner()
PROBE = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def workbook(store_copy: Path, tmp_path: Path) -> Path:
    store = open_store(store_copy)
    try:
        stations = store.read("stations")
        stations.loc[0, "name"] = PROBE
        store.write("stations", stations, kind="stations", expected_version=1)
    finally:
        store.close()
    out = tmp_path / "coverage.xlsx"
    args = ["coverage", "--facilities", "stations", "--tiers", "300,800", "--mode", "euclidean"]
    result = runner.invoke(app, [*args, "--store", str(store_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_sheets_headers_and_formats(workbook: Path, store_copy: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == [
        "概况 summary", "合计 totals", "按街道 by street", "社区 communities", "缺口 gaps",
    ]  # fmt: skip
    summary = {r[0]: r[2] for r in book["概况 summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["服务半径 / 分级"] == "300m、800m"
    assert summary["距离"].startswith("直线距离")
    assert summary["数据存储"] == str(store_copy)
    assert summary["生成时间（北京时间）"][:2] == "20"
    assert summary["估算数据"].startswith(("是", "否"))
    for ws in book:
        assert ws.freeze_panes == "A2"
    units = book["社区 communities"]
    headers = [c.value for c in units[1]]
    assert headers[:7] == [
        "社区代码", "社区名称", "街道代码", "街道名称",
        "最近设施编号", "最近设施名称", "直线距离（m）",
    ]  # fmt: skip
    share = headers.index("60岁以上老人覆盖率 ≤800m（%）") + 1
    assert units.cell(row=2, column=share).number_format == "0.0%"
    assert 0 <= units.cell(row=2, column=share).value <= 1
    assert units.cell(row=2, column=7).number_format == "#,##0"
    assert headers[-2:] == ["中心经度（WGS84）", "中心纬度（WGS84）"]
    assert "WKT" not in str(headers) and "geometry" not in headers
    streets = book["按街道 by street"]
    assert [c.value for c in streets[1]][:3] == ["街道代码", "街道名称", "社区数"]
    assert {r[1] for r in streets.iter_rows(min_row=2, values_only=True)} <= {
        "东华门街道",
        "景山街道",
    }


def test_formula_probe_in_a_facility_name_stays_text(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert PROBE in {c.value for c in cells}


def test_english_headers(store_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "en.xlsx"
    args = ["coverage", "--facilities", "stations", "--radius", "800", "--mode", "euclidean"]
    result = runner.invoke(
        app, [*args, "--lang", "en", "--store", str(store_copy), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:2] == ["summary", "totals"]
    headers = [c.value for c in book["communities"][1]]
    assert "residents aged 60+ covered ≤ 800m (%)" in headers


def test_gcj02_workbook_round_trips_within_1_cm(store_copy: Path, tmp_path: Path) -> None:
    from pyproj import Geod

    from layers.coords import gcj02_to_wgs84

    args = ["coverage", "--facilities", "stations", "--radius", "800", "--mode", "euclidean"]
    tables = {}
    for crs in ("wgs84", "gcj02"):
        out = tmp_path / f"{crs}.xlsx"
        result = runner.invoke(
            app, [*args, "--crs", crs, "--store", str(store_copy), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        rows = list(openpyxl.load_workbook(out)["社区 communities"].values)
        assert rows[0][-1] == ("中心纬度（WGS84）" if crs == "wgs84" else "中心纬度（GCJ-02）")
        tables[crs] = [(r[-2], r[-1]) for r in rows[1:]]
    lon, lat = zip(*tables["gcj02"], strict=True)
    back_lon, back_lat = gcj02_to_wgs84(list(lon), list(lat))
    want_lon, want_lat = zip(*tables["wgs84"], strict=True)
    _, _, shift_m = Geod(ellps="WGS84").inv(want_lon, want_lat, lon, lat)
    _, _, error_m = Geod(ellps="WGS84").inv(want_lon, want_lat, back_lon, back_lat)
    assert min(shift_m) > 100 and max(error_m) < 0.01
