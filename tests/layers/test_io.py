"""Import and export of layers: every format, encodings, column detection, projected x/y
(importing into a store is in test_io_import.py)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from layers import GeoPackageStore, validate
from layers.coords import wgs84_to_bd09
from layers.io import (
    LayerReadError,
    LayerWriteError,
    import_file,
    read_file,
    shapefile_names,
    write_file,
)

FORMATS = (".gpkg", ".geojson", ".shp", ".csv", ".xlsx")
OGRINFO = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"


# -- sample layers -----------------------------------------------------------------------


def stations_frame(n: int = 4, *, lon0: float = 116.40, lat0: float = 39.92) -> gpd.GeoDataFrame:
    names = ["东四驿站", "西单驿站", "和平里驿站", "景山驿站", "北新桥驿站", "交道口驿站"]
    return gpd.GeoDataFrame(
        {
            "station_id": [f"S{i:03d}" for i in range(n)],
            "name": [names[i % len(names)] for i in range(n)],
            "operator": ["颐养（北京）有限公司", None, "社区服务中心", "x"][:n] + ["y"] * (n - 4),
            "capacity_persons": [30 + i for i in range(n)],
            "status": ["运营", "筹建"] * (n // 2) + ["运营"] * (n % 2),
        },
        geometry=gpd.points_from_xy(lon0 + np.arange(n) * 0.003, lat0 + np.arange(n) * 0.002),
        crs=4326,
    )


def markers_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "marker_no": ["0101001Q", "0101002A"],
            "line_code": ["0101", "0101"],
            "sequence": [1, 2],
            "marker_type": ["Q", "A"],
            "sigma_m": [0.05, 1.5],
            "reference_objects": [
                ["电线杆 N 12m", "古槐树", "井盖"],
                [{"名称": "路灯", "距离_m": 8}],
            ],
            "installed_year": [1998, None],
        },
        geometry=[shapely.Point(116.3801, 39.9102), shapely.Point(116.3815, 39.9117)],
        crs=4326,
    )


def inspections_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "inspection_id": ["I1", "I2"],
            "campaign_id": ["2025-东西城", "2025-东西城"],
            "marker_no": ["0101001Q", "0101002A"],
            "inspected_at": pd.to_datetime(["2025-04-01T09:30:00Z", "2025-04-02T15:05:07Z"]),
            "condition": ["完好", "损坏"],
            "accuracy_m": [0.02, 3.0],
            "fix_type": ["RTK", "single"],
            "inspectors": [["张三", "李四"], ["王五"]],
            "review_state": ["received", "approved"],
            "suspected_displaced": [None, True],
        },
        geometry=[shapely.Point(116.3801, 39.9102), shapely.Point(116.3815, 39.9117)],
        crs=4326,
    )


def communities_frame() -> gpd.GeoDataFrame:
    hole = [(116.405, 39.901), (116.407, 39.901), (116.407, 39.903)]
    return gpd.GeoDataFrame(
        {
            "code": ["110101001001", "110101001002"],
            "name": ["多福巷社区", "銮庆胡同社区"],
            "street_code": ["110101001", "110101001"],
            "population": [4512, 3870],
            "elderly_60_plus": [1002, 801],
            "elderly_80_plus": [150, 99],
            "basic_recipients": [31, 12],
            "households": [2100, 1600],
        },
        geometry=[
            shapely.Polygon([(116.40, 39.90), (116.41, 39.90), (116.41, 39.91)], [hole]),
            shapely.MultiPolygon([shapely.box(116.42, 39.90, 116.43, 39.91)]),
        ],
        crs=4326,
    )


SAMPLES = {
    "stations": stations_frame,
    "markers": markers_frame,
    "inspections": inspections_frame,
    "communities": communities_frame,
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plain(value: Any) -> Any:
    """``None`` for every kind of missing value."""
    if isinstance(value, list | dict):
        return value
    return None if pd.isna(value) else value


def assert_same_layer(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame, *, tol_deg: float) -> None:
    assert len(got) == len(want)
    for col in want.columns:
        if col == want.geometry.name:
            continue
        a, b = got[col].tolist(), want[col].tolist()
        if pd.api.types.is_float_dtype(want[col]):
            np.testing.assert_allclose(np.array(a, float), np.array(b, float), err_msg=col)
        else:
            assert [plain(v) for v in a] == [plain(v) for v in b], col
    for g, w in zip(got.geometry, want.geometry, strict=True):
        # Hausdorff: a shapefile gives single-part polygons back as Polygon, not MultiPolygon
        assert shapely.hausdorff_distance(g, w) < tol_deg, (g, w)
        assert g.area == pytest.approx(w.area, rel=1e-6)


# -- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("kind", list(SAMPLES))
def test_round_trip_through_every_format(kind: str, suffix: str, tmp_path: Path) -> None:
    clean, _ = validate(SAMPLES[kind](), kind)
    path = write_file(clean, tmp_path / f"{kind}{suffix}")
    store = GeoPackageStore(tmp_path / "store.gpkg")
    report = import_file(store, path, name=kind, kind=kind)
    assert report.rows == len(clean)
    back = store.read(kind)
    assert_same_layer(back, clean, tol_deg=1e-7)  # GeoJSON (RFC 7946) keeps 7 decimals


def test_csv_is_excel_friendly_with_lon_lat_columns(tmp_path: Path) -> None:
    clean, _ = validate(markers_frame(), "markers")
    path = write_file(clean, tmp_path / "markers.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert list(table.columns[-2:]) == ["lon", "lat"]
    assert table["lon"].astype(float).tolist() == [116.3801, 116.3815]
    assert table["reference_objects"][1] == '[{"名称": "路灯", "距离_m": 8}]'
    assert table["line_code"][0] == "0101"


def test_csv_of_polygons_has_a_wkt_column(tmp_path: Path) -> None:
    path = write_file(communities_frame(), tmp_path / "c.csv")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert "lon" not in table.columns
    assert table["geometry"][1].startswith("MULTIPOLYGON")


def test_xlsx_datetimes_are_iso_8601(tmp_path: Path) -> None:
    clean, _ = validate(inspections_frame(), "inspections")
    path = write_file(clean, tmp_path / "i.xlsx", layer="联检")
    table = pd.read_excel(path, engine="calamine", sheet_name="联检", dtype=str)
    assert table["inspected_at"][1] == "2025-04-02T15:05:07+00:00"
    assert table["inspectors"][0] == '["张三", "李四"]'


def test_read_file_returns_chinese_text_from_every_format(tmp_path: Path) -> None:
    for suffix in FORMATS:
        path = write_file(stations_frame(), tmp_path / f"s{suffix}")
        frame = read_file(path)
        assert frame["name"].tolist()[:2] == ["东四驿站", "西单驿站"], suffix
        assert frame.crs.to_epsg() == 4326


def test_shapefile_names_are_cut_predictably() -> None:
    names = shapefile_names(
        [
            "capacity_persons",
            "reference_objects",
            "reference_status",
            "Reference_x",
            "短名",
            "经度经度经度",
        ]
    )
    assert names == {
        "capacity_persons": "capacity_p",
        "reference_objects": "reference_",
        "reference_status": "referenc_1",
        "Reference_x": "Referenc_2",  # case-insensitive: "reference_" is taken
        "短名": "短名",
        "经度经度经度": "经度经",  # 9 bytes in UTF-8: a 4th character would need 12
    }


def test_shapefile_refuses_mixed_geometry_and_leaves_no_file(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"a": [1, 2]},
        geometry=[shapely.Point(116.4, 39.9), shapely.box(116, 39, 117, 40)],
        crs=4326,
    )
    with pytest.raises(LayerWriteError, match="one geometry type"):
        write_file(frame, tmp_path / "mixed.shp")
    assert list(tmp_path.iterdir()) == []


# -- the store's GeoPackage seen by other tools -------------------------------------------


def test_store_geopackage_opens_in_pyogrio_and_ogrinfo(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "store.gpkg")
    clean, _ = validate(stations_frame(6), "stations")
    store.write("stations", clean, kind="stations")
    frame = pyogrio.read_dataframe(store.path, layer="stations")
    assert len(frame) == 6
    assert frame["name"][0] == "东四驿站"
    assert frame.crs.to_epsg() == 4326
    result = subprocess.run(
        [OGRINFO, "-ro", "-so", str(store.path), "stations"],
        capture_output=True,
        text=True,
        check=True,
    )
    output = result.stdout + result.stderr
    assert "Layer name: stations" in output
    assert "Feature Count: 6" in output
    assert "Geometry: Point" in output
    assert "ERROR" not in output
    assert read_file(store.path)["station_id"].tolist() == clean["station_id"].tolist()


# -- encodings and columns ---------------------------------------------------------------


def test_csv_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    text = "编号,名称,经度,纬度\nS1,东四驿站,116.417,39.932\nS2,西单驿站,116.374,39.913\n"
    path.write_bytes(text.encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    frame = read_file(path)
    assert frame["名称"].tolist() == ["东四驿站", "西单驿站"]
    assert frame.geometry.x.tolist() == [116.417, 116.374]
    assert "经度" not in frame.columns


@pytest.mark.parametrize(
    ("xname", "yname"),
    [
        ("lon", "lat"),
        ("lng", "lat"),
        ("Longitude", "Latitude"),
        ("经度", "纬度"),
        ("经度（°）", "纬度（°）"),
        ("lon_wgs84", "lat_wgs84"),
        (" LON ", " LAT "),
    ],
)
def test_lon_lat_columns_are_detected(xname: str, yname: str, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"id": ["a"], xname: [116.4], yname: [39.9]}).to_csv(path, index=False)
    frame = read_file(path)
    assert (frame.geometry.x[0], frame.geometry.y[0]) == (116.4, 39.9)
    assert list(frame.columns) == ["id", "geometry"]


def test_coordinate_columns_by_option_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": [116.4], "b": [39.9], "c": [1]}).to_csv(path, index=False)
    with pytest.raises(LayerReadError, match=r"t\.csv.*no coordinate columns"):
        read_file(path)
    assert read_file(path, lon="a", lat="b").geometry.y[0] == 39.9
    with pytest.raises(LayerReadError, match="'zz'"):
        read_file(path, lon="a", lat="zz")
    pd.DataFrame({"lon": [1], "lng": [2], "lat": [3]}).to_csv(path, index=False)
    with pytest.raises(LayerReadError, match=r"t\.csv: cannot tell which columns"):
        read_file(path)


def test_bd09_columns_are_converted_on_read(tmp_path: Path) -> None:
    lon, lat = np.array([116.397, 116.35]), np.array([39.909, 39.93])
    blon, blat = wgs84_to_bd09(lon, lat)
    path = tmp_path / "baidu.csv"
    pd.DataFrame({"名称": ["a", "b"], "lng": blon, "lat": blat}).to_csv(path, index=False)
    frame = read_file(path, crs="baidu")
    assert frame.crs.to_epsg() == 4326
    np.testing.assert_allclose(frame.geometry.x, lon, atol=1e-8)
    np.testing.assert_allclose(frame.geometry.y, lat, atol=1e-8)


def test_non_numeric_coordinates_name_every_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,lon,lat\na,116.4,39.9\nb,116.4E,39.9\nc,,\nd,116.5,北纬39\n", "utf-8")
    with pytest.raises(LayerReadError) as info:
        read_file(path)
    text = str(info.value)
    assert "bad.csv" in text
    assert "data row 1 (spreadsheet row 3), column 'lon', value '116.4E'" in text
    assert "data row 3 (spreadsheet row 5), column 'lat', value '北纬39'" in text
    assert "data row 2" not in text  # an empty cell is a missing geometry, not a bad number


def test_projected_x_y_with_an_epsg_code(tmp_path: Path) -> None:
    lon, lat = np.array([116.397, 116.35]), np.array([39.909, 39.93])
    to_gk = Transformer.from_crs(4326, 4548, always_xy=True)  # CGCS2000 GK CM 117E
    x, y = to_gk.transform(lon, lat)
    path = tmp_path / "gk.xlsx"
    pd.DataFrame({"名称": ["天安门", "b"], "X": x, "Y": y}).to_excel(path, index=False)
    with pytest.raises(LayerReadError, match="crs"):
        read_file(path)
    frame = read_file(path, crs=4548)
    assert frame.crs.to_epsg() == 4548
    back = frame.to_crs(4326)
    np.testing.assert_allclose(back.geometry.x, lon, atol=1e-9)
    np.testing.assert_allclose(back.geometry.y, lat, atol=1e-9)
    path2 = tmp_path / "gk.csv"
    pd.DataFrame({"东坐标": x, "北坐标": y}).to_csv(path2, index=False)
    np.testing.assert_allclose(read_file(path2, crs="EPSG:4548").geometry.x, x)


def test_read_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(LayerReadError, match="not found"):
        read_file(tmp_path / "nope.csv")
    odd = tmp_path / "layer.dat"
    odd.write_text("x")
    with pytest.raises(LayerReadError, match=r"layer\.dat.*unknown file type '\.dat'"):
        read_file(odd)
    broken = tmp_path / "broken.gpkg"
    broken.write_text("not a database")
    with pytest.raises(LayerReadError, match=r"broken\.gpkg"):
        read_file(broken)
    multi = tmp_path / "multi.gpkg"
    write_file(stations_frame(), multi, layer="a")
    write_file(stations_frame(), multi, layer="b")
    with pytest.raises(LayerReadError, match="several layers"):
        read_file(multi)
    assert len(read_file(multi, layer="b")) == 4
    with pytest.raises(LayerReadError, match="no sheet"):
        read_file(write_file(stations_frame(), tmp_path / "s.xlsx"), sheet="Sheet9")


# -- importing into a store --------------------------------------------------------------
