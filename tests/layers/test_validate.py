"""One test per validation rule, each with a frame (or file) that breaks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from layers import LayerValidationError, Problem, validate
from layers.io import read_file

BEIJING = (115.4, 39.4, 117.5, 41.1)


def stations(**changes: list[Any]) -> gpd.GeoDataFrame:
    """Three valid stations in Beijing; ``changes`` replace whole columns."""
    data: dict[str, list[Any]] = {
        "station_id": ["s1", "s2", "s3"],
        "name": ["东四驿站", "西单驿站", "和平里驿站"],
        "capacity_persons": [30, 40, 50],
        "status": ["运营", "筹建", "运营"],
    }
    geometry = changes.pop("geometry", None) or [
        shapely.Point(116.417, 39.932),
        shapely.Point(116.374, 39.913),
        shapely.Point(116.418, 39.960),
    ]
    data.update(changes)
    return gpd.GeoDataFrame(data, geometry=geometry, crs=4326)


def streets(codes: list[str], parents: list[str]) -> gpd.GeoDataFrame:
    boxes = [shapely.box(116.30 + i / 100, 39.90, 116.305 + i / 100, 39.905) for i in range(9)]
    return gpd.GeoDataFrame(
        {"code": codes, "name": ["街道"] * len(codes), "district_code": parents},
        geometry=boxes[: len(codes)],
        crs=4326,
    )


def errors_of(frame: gpd.GeoDataFrame, kind: str, **kw: Any) -> list[Problem]:
    with pytest.raises(LayerValidationError) as info:
        validate(frame, kind, **kw)
    assert info.value.kind == kind
    return info.value.errors


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_valid_frame_passes_and_is_typed() -> None:
    clean, report = validate(stations(), "stations")
    assert report.rows == 3
    assert report.warnings == []
    assert str(clean["capacity_persons"].dtype) == "Int64"
    assert clean.crs.to_epsg() == 4326


def test_missing_column() -> None:
    frame = stations().drop(columns="status")
    problem = only(errors_of(frame, "stations"))
    assert (problem.row, problem.field, problem.value) == (None, "status", None)
    assert "missing" in problem.reason


def test_missing_value() -> None:
    problem = only(errors_of(stations(name=["a", "  ", "c"]), "stations"))
    assert (problem.row, problem.field) == (1, "name")
    assert "missing" in problem.reason


def test_non_numeric_value(tmp_path: Path) -> None:
    path = tmp_path / "stations.csv"
    path.write_text(
        "station_id,name,capacity_persons,status,lon,lat\n"
        "s1,东四驿站,30,运营,116.417,39.932\n"
        "s2,西单驿站,三十,运营,116.374,39.913\n",
        encoding="utf-8",
    )
    problem = only(errors_of(read_file(path), "stations"))
    assert (problem.row, problem.field, problem.value) == (1, "capacity_persons", "三十")
    assert "int" in problem.reason


def test_fractional_count_is_not_an_int() -> None:
    problem = only(errors_of(stations(capacity_persons=[30, 40.5, 50]), "stations"))
    assert (problem.row, problem.field, problem.value) == (1, "capacity_persons", 40.5)


def test_negative_capacity() -> None:
    problem = only(errors_of(stations(capacity_persons=[30, -5, 50]), "stations"))
    assert (problem.row, problem.field, problem.value) == (1, "capacity_persons", -5)
    assert "≥ 0" in problem.reason


def test_bad_choice() -> None:
    problem = only(errors_of(stations(status=["运营", "营业中", "运营"]), "stations"))
    assert (problem.row, problem.field, problem.value) == (1, "status", "营业中")
    assert "运营" in problem.reason


def test_duplicate_id_reports_every_copy() -> None:
    problems = errors_of(stations(station_id=["s1", "s2", "s1"]), "stations")
    assert {(p.row, p.field, p.value) for p in problems} == {
        (0, "station_id", "s1"),
        (2, "station_id", "s1"),
    }
    assert all(p.reason.startswith("duplicate id") for p in problems)


def test_malformed_division_code_digit_count() -> None:
    frame = streets(["110101001", "11010100"], ["110101", "110101"])
    problem = only(errors_of(frame, "streets"))
    assert (problem.row, problem.field, problem.value) == (1, "code", "11010100")
    assert r"\d{9}" in problem.reason


def test_child_code_must_start_with_parent_code() -> None:
    frame = streets(["110101001", "110102001"], ["110101", "110101"])
    problem = only(errors_of(frame, "streets"))
    assert (problem.row, problem.field, problem.value) == (1, "code", "110102001")
    assert "parent code '110101'" in problem.reason


def test_missing_and_empty_geometry() -> None:
    geometry = [shapely.Point(116.4, 39.9), None, shapely.Point()]
    problems = errors_of(stations(geometry=geometry), "stations")
    assert [(p.row, p.field) for p in problems] == [(1, "geometry"), (2, "geometry")]
    assert all("missing or empty" in p.reason for p in problems)


def test_self_intersecting_polygon_is_repaired_with_a_warning() -> None:
    bowtie = shapely.Polygon([(116.30, 39.90), (116.31, 39.91), (116.31, 39.90), (116.30, 39.91)])
    assert not bowtie.is_valid
    frame = streets(["110101001"], ["110101"]).set_geometry([bowtie], crs=4326)
    clean, report = validate(frame, "streets")
    fixed = clean.geometry.iloc[0]
    assert fixed.is_valid
    assert fixed.geom_type in ("Polygon", "MultiPolygon")
    assert fixed.area == pytest.approx(0.01 * 0.01 / 2)  # both triangles kept
    warning = only(report.warnings)
    assert (warning.row, warning.field, warning.severity) == (0, "geometry", "warning")
    assert "Self-intersection" in str(warning.value)


def test_wrong_geometry_type() -> None:
    geometry = [shapely.Point(116.4, 39.9), shapely.box(116.3, 39.9, 116.31, 39.91), None]
    problems = errors_of(stations(geometry=geometry), "stations")
    wrong = [p for p in problems if p.row == 1]
    assert len(wrong) == 1
    assert (wrong[0].field, wrong[0].value) == ("geometry", "Polygon")
    assert "must be Point" in wrong[0].reason


def test_point_outside_region() -> None:
    geometry = [shapely.Point(116.4, 39.9), shapely.Point(121.47, 31.23), shapely.Point(116.3, 40)]
    problem = only(errors_of(stations(geometry=geometry), "stations", region=BEIJING))
    assert (problem.row, problem.field, problem.value) == (1, "geometry", (121.47, 31.23))
    assert "outside the expected region" in problem.reason


def test_swapped_lon_lat() -> None:
    geometry = [
        shapely.Point(116.4, 39.9),
        shapely.Point(39.913, 116.374),
        shapely.Point(116.3, 40),
    ]
    problem = only(errors_of(stations(geometry=geometry), "stations"))
    assert (problem.row, problem.field) == (1, "geometry")
    assert "swapped" in problem.reason


def test_frame_without_crs_is_refused() -> None:
    problem = only(errors_of(stations().set_crs(None, allow_override=True), "stations"))
    assert (problem.row, problem.field) == (None, "crs")


def test_one_error_lists_every_problem_with_row_field_value() -> None:
    frame = stations(
        station_id=["s1", "s1", "s3"],
        capacity_persons=[30, -1, "many"],
        status=["运营", "运营", "关门"],
        geometry=[shapely.Point(116.4, 39.9), shapely.Point(116.4, 39.9), None],
    )
    with pytest.raises(LayerValidationError) as info:
        validate(frame, "stations")
    found = {(p.row, p.field, p.value) for p in info.value.errors}
    assert found == {
        (0, "station_id", "s1"),
        (1, "station_id", "s1"),
        (1, "capacity_persons", -1),
        (2, "capacity_persons", "many"),
        (2, "status", "关门"),
        (2, "geometry", None),
    }
    text = str(info.value)
    assert "6 problem(s)" in text
    assert "row 1, field 'capacity_persons', value -1" in text
    assert "row 2, field 'status', value '关门'" in text
    assert "未导入" in text
