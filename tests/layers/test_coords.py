"""GCJ-02 / BD-09 conversions: round trips, the independent prcoords package, frames, and
the real GCJ-02 shelter file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest
import shapely
from pyproj import Geod

from layers.coords import (
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_crs,
    to_wgs84_frame,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from layers.io import read_file

REPO = Path(__file__).resolve().parents[2]
SHELTERS = REPO / "data" / "raw" / "shelters" / "beijing_shelters_gcj02.csv"
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """Every 1° (jittered) over mainland China's extent: ~2,200 points."""
    rng = np.random.default_rng(7)
    lon, lat = np.meshgrid(np.arange(73.5, 135.0, 1.0), np.arange(18.0, 53.6, 1.0))
    lon = lon.ravel() + rng.uniform(0, 0.9, lon.size)
    lat = lat.ravel() + rng.uniform(0, 0.9, lat.size)
    return lon, lat


def metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Geodesic distance on the WGS84 ellipsoid."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_gcj02_round_trip_within_a_centimetre(china_grid: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = china_grid
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift = metres(lon, lat, glon, glat)
    assert shift.min() > 1 and shift.max() < 1000  # the offset is real, and bounded
    back = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, *back).max() < 0.01


def test_bd09_round_trip_within_a_centimetre(china_grid: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = china_grid
    blon, blat = wgs84_to_bd09(lon, lat)
    assert metres(lon, lat, blon, blat).min() > 100
    back = bd09_to_wgs84(blon, blat)
    assert metres(lon, lat, *back).max() < 0.01


def test_forward_transforms_match_prcoords(china_grid: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = china_grid
    gcj = np.array([prcoords.wgs_gcj((y, x)) for x, y in zip(lon, lat, strict=True)])
    bd = np.array([prcoords.gcj_bd(tuple(c)) for c in gcj])
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = gcj02_to_bd09(glon, glat)
    assert np.abs(glon - gcj[:, 1]).max() < 1e-6
    assert np.abs(glat - gcj[:, 0]).max() < 1e-6
    assert np.abs(blon - bd[:, 1]).max() < 1e-6
    assert np.abs(blat - bd[:, 0]).max() < 1e-6


def test_inverse_transforms_match_prcoords(
    china_grid: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    # prcoords stops iterating at 1e-5 degree steps (about 2 cm): ask it for its best
    monkeypatch.setattr(prcoords, "PRC_EPS", 1e-12)
    lon, lat = china_grid
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = wgs84_to_bd09(lon, lat)
    ref_g = np.array([prcoords.gcj_wgs_bored((y, x)) for x, y in zip(glon, glat, strict=True)])
    ref_b = np.array([prcoords.bd_wgs_bored((y, x)) for x, y in zip(blon, blat, strict=True)])
    ours_g = gcj02_to_wgs84(glon, glat)
    ours_b = bd09_to_wgs84(blon, blat)
    assert metres(*ours_g, ref_g[:, 1], ref_g[:, 0]).max() < 0.01
    assert metres(*ours_b, ref_b[:, 1], ref_b[:, 0]).max() < 0.01


def test_points_outside_china_unchanged() -> None:
    lon = np.array([2.3522, -74.006, 139.6917, 151.2093, 37.6173])  # Paris … Moscow
    lat = np.array([48.8566, 40.7128, 35.6895, -33.8688, 55.7558])
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84):
        x, y = convert(lon, lat)
        np.testing.assert_array_equal(x, lon)
        np.testing.assert_array_equal(y, lat)


def test_parse_crs_names() -> None:
    assert parse_crs("GCJ-02") == "gcj02"
    assert parse_crs("baidu") == "bd09"
    assert parse_crs("cgcs2000").to_epsg() == 4490  # type: ignore[union-attr]
    assert parse_crs("EPSG:4548").to_epsg() == 4548  # type: ignore[union-attr]


def test_to_wgs84_frame_points() -> None:
    lon = np.array([116.397, 116.35, 116.42])
    lat = np.array([39.909, 39.93, 39.88])
    glon, glat = wgs84_to_gcj02(lon, lat)
    frame = gpd.GeoDataFrame(
        {"name": ["天安门", "b", "c"]},
        geometry=gpd.points_from_xy(glon, glat),
        crs=4326,
        index=[10, 11, 12],
    )
    before = frame.copy()
    out = to_wgs84_frame(frame, "gcj02")
    assert out.crs.to_epsg() == 4326
    assert list(out.index) == [10, 11, 12]
    assert list(out["name"]) == ["天安门", "b", "c"]
    assert metres(out.geometry.x.to_numpy(), out.geometry.y.to_numpy(), lon, lat).max() < 0.01
    pd.testing.assert_frame_equal(frame, before)  # input not mutated


def test_to_wgs84_frame_polygons_every_vertex() -> None:
    ring = np.array([[116.30, 39.90], [116.32, 39.90], [116.32, 39.92], [116.30, 39.92]])
    hole = np.array([[116.305, 39.905], [116.31, 39.905], [116.31, 39.91]])
    original = shapely.Polygon(ring, [hole])
    shifted = shapely.transform(original, lambda c: np.column_stack(wgs84_to_bd09(*c.T)))
    frame = gpd.GeoDataFrame({"code": ["1"]}, geometry=[shifted], crs=4326)
    out = to_wgs84_frame(frame, "bd09").geometry.iloc[0]
    assert out.equals_exact(original, tolerance=1e-8)
    assert not shifted.equals_exact(original, tolerance=1e-3)


def test_to_wgs84_frame_with_an_epsg_code_projects() -> None:
    # on the central meridian of CGCS2000 / 3-degree Gauss-Kruger CM 117E the easting is the
    # false easting, 500 km, whatever the latitude
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(500_000, 4_420_000)], crs=None)
    out = to_wgs84_frame(frame, 4548)
    assert out.crs.to_epsg() == 4326
    assert out.geometry.iloc[0].x == pytest.approx(117.0, abs=1e-9)
    assert 39.5 < out.geometry.iloc[0].y < 40.5


def test_real_gcj02_shelters_move_south_west() -> None:
    raw = pd.read_csv(SHELTERS)
    frame = read_file(SHELTERS, crs="gcj02")
    assert len(frame) == len(raw) == 1181
    assert frame.crs.to_epsg() == 4326
    assert list(frame["sid"][:3]) == ["bj0", "bj1", "bj2"]
    dlon = frame.geometry.x.to_numpy() - raw["lon_gcj02"].to_numpy()
    dlat = frame.geometry.y.to_numpy() - raw["lat_gcj02"].to_numpy()
    assert np.median(dlon) == pytest.approx(-0.006, abs=0.0005)
    assert np.median(dlat) == pytest.approx(-0.0013, abs=0.0003)
    assert (dlon < 0).all()
    assert (dlat < 0).all()
