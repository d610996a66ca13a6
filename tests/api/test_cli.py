"""The ``mzgis`` command line, driven by typer's CliRunner on real stores."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()

GOOD_CSV = "station_id,name,capacity_persons,status,lon,lat\nN1,新驿站,40,运营,116.39,39.91\n"
BAD_CSV = (
    "station_id,name,capacity_persons,status,lon,lat\n"
    "N1,新驿站一,40,运营,116.39,39.91\n"
    "N2,新驿站二,-5,运营,116.40,39.91\n"
    "N3,新驿站三,30,运营,116.41,39.91\n"
)


def _layers_io() -> ModuleType:
    io = pytest.importorskip("layers.io", reason="layers.io (import/export) is not written yet")
    if not hasattr(io, "import_file"):
        pytest.skip("layers.io has no import_file yet")
    return io


def test_help_is_bilingual() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "demo", "layers"):
        assert command in result.output
    assert "民政" in result.output
    assert runner.invoke(app, ["layers", "--help"]).exit_code == 0


def test_layers_list(small_store: Path) -> None:
    result = runner.invoke(app, ["layers", "list", "--store", str(small_store)])
    assert result.exit_code == 0, result.output
    assert "5 layers" in result.output
    for line_start, count in (("│ roads", "25"), ("│ stations", "5"), ("│ streets", "2")):
        line = next(x for x in result.output.splitlines() if x.startswith(line_start))
        assert f" {count} " in line


def test_layers_list_on_a_bad_store_exits_1(tmp_path: Path) -> None:
    (tmp_path / "layers.txt").write_text("not a store")
    result = runner.invoke(app, ["layers", "list", "--store", str(tmp_path / "layers.txt")])
    assert result.exit_code == 1
    assert ".gpkg" in result.output
    assert "Traceback" not in result.output


def test_failing_import_names_the_bad_row_and_changes_nothing(
    store_copy: Path, tmp_path: Path
) -> None:
    _layers_io()
    csv = tmp_path / "stations.csv"
    csv.write_text(BAD_CSV, encoding="utf-8")
    args = ["layers", "import", str(csv), "--kind", "stations", "--store", str(store_copy)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "row 3 (id 'N2') / 第 3 行" in result.output  # as the spreadsheet shows it
    assert "capacity_persons" in result.output
    assert "-5" in result.output
    assert "Traceback" not in result.output
    listing = runner.invoke(app, ["layers", "list", "--store", str(store_copy)]).output
    assert "5 layers" in listing  # nothing was written


def test_import_then_export_with_bbox(store_copy: Path, tmp_path: Path) -> None:
    _layers_io()
    csv = tmp_path / "new.csv"
    csv.write_text(GOOD_CSV, encoding="utf-8")
    args = ["layers", "import", str(csv), "--kind", "stations", "--name", "new_stations"]
    result = runner.invoke(app, [*args, "--lon", "lon", "--lat", "lat", "--store", str(store_copy)])
    assert result.exit_code == 0, result.output
    assert "imported 1 features" in result.output

    out = tmp_path / "west.geojson"
    args = ["layers", "export", "stations", str(out), "--bbox", "116.38,39.90,116.40,39.92"]
    result = runner.invoke(app, [*args, "--store", str(store_copy)])
    assert result.exit_code == 0, result.output
    ids = {f["properties"]["station_id"] for f in json.loads(out.read_text())["features"]}
    assert ids == {"S1", "S2"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--kind", "hospitals"], "hospitals"),
        (["--kind", "stations", "--lon", "lon"], "--lat"),
        (["--kind", "stations", "--lon", "a", "--lat", "b", "--x", "c", "--y", "d"], "--x"),
    ],
)
def test_import_option_errors_exit_1(
    store_copy: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    _layers_io()
    csv = tmp_path / "new.csv"
    csv.write_text(GOOD_CSV, encoding="utf-8")
    result = runner.invoke(app, ["layers", "import", str(csv), *extra, "--store", str(store_copy)])
    assert result.exit_code == 1
    assert message in result.output
    assert " / " in result.output


def test_export_with_a_bad_bbox_exits_1(small_store: Path, tmp_path: Path) -> None:
    _layers_io()
    args = ["layers", "export", "stations", str(tmp_path / "x.geojson"), "--bbox", "1,2,3"]
    result = runner.invoke(app, [*args, "--store", str(small_store)])
    assert result.exit_code == 1
    assert "--bbox" in result.output
    assert "'1,2,3'" in result.output
    assert not (tmp_path / "x.geojson").exists()


def test_export_of_an_unknown_layer_exits_1(small_store: Path, tmp_path: Path) -> None:
    _layers_io()
    args = ["layers", "export", "hospitals", str(tmp_path / "x.geojson")]
    result = runner.invoke(app, [*args, "--store", str(small_store)])
    assert result.exit_code == 1
    assert "'hospitals'" in result.output


def test_serve_refuses_a_bad_store_before_starting(tmp_path: Path) -> None:
    (tmp_path / "x.shp").write_bytes(b"")
    result = runner.invoke(app, ["serve", "--store", str(tmp_path / "x.shp"), "--port", "8799"])
    assert result.exit_code == 1
    assert ".gpkg" in result.output
    assert "serving" not in result.output


def test_serve_refuses_a_bad_port() -> None:
    result = runner.invoke(app, ["serve", "--port", "70000"])
    assert result.exit_code == 2  # a usage error, reported by typer before anything runs
    assert "--port" in result.output
