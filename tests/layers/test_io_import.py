"""Importing into a store (all or nothing, the shifted-points warning) and exporting
from it by suffix."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers import GeoPackageStore, LayerValidationError
from layers.coords import wgs84_to_gcj02
from layers.io import (
    LayerWriteError,
    export_layer,
    import_file,
    looks_shifted,
    read_file,
    write_file,
)
from tests.layers.test_io import FORMATS, digest, stations_frame


def test_import_good_file(tmp_path: Path) -> None:
    path = tmp_path / "stations.csv"
    frame = stations_frame(6)
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table["经度"], table["纬度"] = frame.geometry.x, frame.geometry.y
    table.to_csv(path, index=False, encoding="gbk")
    store = GeoPackageStore(tmp_path / "store.gpkg")
    report = import_file(store, path, name="stations", kind="stations")
    assert report.rows == 6
    assert report.warnings == []
    info = store.info("stations")
    assert (info.kind, info.count, info.version) == ("stations", 6, 1)
    assert store.feature("stations", "S002")["name"].iloc[0] == "和平里驿站"


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "store.gpkg")
    import_file(
        store, write_file(stations_frame(3), tmp_path / "ok.csv"), name="stations", kind="stations"
    )
    before = digest(store.path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "station_id,name,capacity_persons,status,lon,lat\n"
        "S1,东四驿站,30,运营,116.417,39.932\n"
        "S2,西单驿站,-4,运营,116.374,39.913\n"
        "S3,景山驿站,20,营业,116.39,39.92\n"
        "S4,北新桥驿站,20,运营,东经116,39.94\n"
        "S1,交道口驿站,10,运营,116.40,39.93\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError) as info:
        import_file(store, bad, name="stations", kind="stations")
    found = {(p.row, p.field, p.value) for p in info.value.errors}
    assert found == {
        (0, "station_id", "S1"),
        (4, "station_id", "S1"),
        (1, "capacity_persons", -4),
        (2, "status", "营业"),
        (3, "lon", "东经116"),
    }
    assert "nothing was imported" in str(info.value)
    assert digest(store.path) == before
    assert not Path(f"{store.path}-wal").exists() or Path(f"{store.path}-wal").stat().st_size == 0
    assert store.read("stations")["station_id"].tolist() == ["S000", "S001", "S002"]


# -- shifted points ----------------------------------------------------------------------


def synthetic_roads() -> gpd.GeoDataFrame:
    """Three east-west streets 2.2 km apart across Dongcheng and Xicheng."""
    lats = (39.90, 39.92, 39.94)
    lines = [shapely.LineString([(116.34, lat), (116.46, lat)]) for lat in lats]
    return gpd.GeoDataFrame(
        {"edge_id": [0, 1, 2], "name": ["南街", "中街", "北街"]}, geometry=lines, crs=4326
    )


def stations_on_roads() -> gpd.GeoDataFrame:
    """Twelve stations on the streets' centre lines (within a metre)."""
    frame = stations_frame(12)
    lons = 116.36 + np.arange(12) * 0.007
    lats = np.array([39.90, 39.92, 39.94] * 4) + np.array([5e-6, 5e-6, -5e-6] * 4)
    return frame.set_geometry(gpd.points_from_xy(lons, lats), crs=4326)


def test_looks_shifted_finds_gcj02_points() -> None:
    roads = synthetic_roads()
    points = stations_on_roads()
    assert looks_shifted(points, roads) is None
    glon, glat = wgs84_to_gcj02(points.geometry.x, points.geometry.y)
    shifted = points.set_geometry(gpd.points_from_xy(glon, glat), crs=4326)
    report = looks_shifted(shifted, roads)
    assert report is not None
    assert report.system == "gcj02"
    assert report.points == 12
    assert report.median_converted_m < 2  # a parallel is slightly curved in UTM
    assert 100 < report.median_given_m < 200  # GCJ-02 moves Beijing ~140 m north
    assert looks_shifted(shifted, roads.iloc[:0]) is None


def test_import_warns_when_wgs84_points_look_like_gcj02(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "store.gpkg")
    store.import_frame(synthetic_roads(), name="roads", kind="roads")
    points = stations_on_roads()
    good = write_file(points, tmp_path / "good.csv")
    assert import_file(store, good, name="stations", kind="stations").warnings == []

    glon, glat = wgs84_to_gcj02(points.geometry.x, points.geometry.y)
    shifted = write_file(
        points.set_geometry(gpd.points_from_xy(glon, glat), crs=4326), tmp_path / "gcj.xlsx"
    )
    report = import_file(
        store, shifted, name="stations", kind="stations", crs="wgs84", mode="upsert"
    )
    (warning,) = report.warnings
    assert warning.severity == "warning"
    assert "GCJ02" in warning.reason
    assert "crs='gcj02'" in warning.reason
    assert re.fullmatch(r"1[0-9]{2} m -> [0-9] m", warning.value)

    fixed = import_file(
        store, shifted, name="stations", kind="stations", crs="gcj02", mode="upsert"
    )
    assert fixed.warnings == []
    back = store.read("stations")
    np.testing.assert_allclose(back.geometry.x, points.geometry.x, atol=1e-8)


# -- export ------------------------------------------------------------------------------


def test_export_layer_by_suffix(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "store.gpkg")
    store.import_frame(stations_frame(6), name="stations", kind="stations")
    box = (116.399, 39.919, 116.404, 39.923)
    for suffix in (*FORMATS, ".json"):
        out = export_layer(store, "stations", tmp_path / "out" / f"stations{suffix}")
        assert out == tmp_path / "out" / f"stations{suffix}"
        assert len(read_file(out)) == 6, suffix
        part = export_layer(store, "stations", tmp_path / f"part{suffix}", bbox=box)
        id_header = "驿站编号" if suffix in (".csv", ".xlsx") else "station_id"  # for people
        assert read_file(part)[id_header].tolist() == ["S000", "S001"], suffix


def test_bad_suffix_errors(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "store.gpkg")
    store.import_frame(stations_frame(), name="stations", kind="stations")
    with pytest.raises(LayerWriteError, match=r"unknown file type '\.kml'"):
        export_layer(store, "stations", tmp_path / "x.kml")
    with pytest.raises(LayerWriteError, match="无法识别"):
        write_file(stations_frame(), tmp_path / "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.gpkg"]


def test_write_needs_a_crs_for_lon_lat_formats(tmp_path: Path) -> None:
    frame = stations_frame().set_crs(None, allow_override=True)
    with pytest.raises(LayerWriteError, match="no CRS"):
        write_file(frame, tmp_path / "x.geojson")
