"""Coordinate systems people hand us: EPSG codes, CGCS2000, and the Chinese web-map
systems GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

GCJ-02 and BD-09 are published only as forward formulas from WGS84; their inverses are
solved here by fixed-point iteration until the forward image matches to under 1e-9 degrees
(about 0.1 mm), far below the 0.01 m the tests ask for. Everything is vectorised on arrays.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS
from pyproj.exceptions import CRSError

from layers._errors import LayerReadError

__all__ = [
    "CHINESE_SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "from_wgs84_frame",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "parse_crs",
    "to_wgs84",
    "to_wgs84_frame",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

Array = NDArray[np.float64]
ChineseSystem = Literal["gcj02", "bd09"]
CHINESE_SYSTEMS: tuple[ChineseSystem, ...] = ("gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 50

_ALIASES: dict[str, str | int] = {
    "wgs84": 4326,
    "wgs-84": 4326,
    "epsg:4326": 4326,
    "cgcs2000": 4490,
    "epsg:4490": 4490,
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "mars": "gcj02",
    "amap": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
}


def parse_crs(spec: str | int | CRS) -> CRS | ChineseSystem:
    """Read a coordinate-system name: ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``, an EPSG
    code (``4547`` or ``"EPSG:4547"``) or anything pyproj accepts."""
    if isinstance(spec, CRS):
        return spec
    key = str(spec).strip().lower()
    target = _ALIASES.get(key, spec)
    if target in CHINESE_SYSTEMS:
        return target
    try:
        return CRS.from_user_input(int(target) if str(target).isdigit() else target)
    except CRSError as exc:
        msg = (
            f"unknown coordinate system {spec!r}: use wgs84, cgcs2000, gcj02, bd09 or an EPSG"
            f" code / 无法识别的坐标系 {spec!r}"
        )
        raise LayerReadError(msg) from exc


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Where the GCJ-02 offset applies (the formula's own rectangle)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (x >= 72.004) & (x <= 137.8347) & (y >= 0.8293) & (y <= 55.8271)


def _delta_lat(x: Array, y: Array) -> Array:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: Array, y: Array) -> Array:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS84 → GCJ-02 (the published forward formula; no offset outside China)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _delta_lat(x - 105.0, y - 35.0)
    dlon = _delta_lon(x - 105.0, y - 35.0)
    rad = y / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(x, y)
    return np.where(inside, x + dlon, x), np.where(inside, y + dlat, y)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → BD-09 (Baidu's published forward formula)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS84 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:  # type: ignore[no-untyped-def]
    """Solve ``forward(x, y) == (lon, lat)`` by fixed-point iteration."""
    tx, ty = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    fx, fy = forward(tx, ty)
    x, y = tx - (fx - tx), ty - (fy - ty)
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - tx, fy - ty
        if np.all(np.abs(ex) < _TOLERANCE_DEG) and np.all(np.abs(ey) < _TOLERANCE_DEG):
            break
        x, y = x - ex, y - ey
    return x, y


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → WGS84, the forward formula inverted to under 1e-9 degrees."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → GCJ-02, the forward formula inverted to under 1e-9 degrees."""
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → WGS84, the composed forward formula inverted to under 1e-9 degrees."""
    return _invert(wgs84_to_bd09, lon, lat)


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


def to_wgs84(lon: ArrayLike, lat: ArrayLike, system: ChineseSystem) -> tuple[Array, Array]:
    """Convert lon/lat arrays from GCJ-02 or BD-09 to WGS84."""
    return _TO_WGS84[system](lon, lat)


def to_wgs84_frame(gdf: gpd.GeoDataFrame, source: str | int | CRS) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in EPSG:4326, its coordinates read as ``source``.

    ``source`` overrides whatever CRS the frame says it has (planners' files are often
    labelled WGS84 while holding GCJ-02 coordinates copied from a web map).
    """
    system = parse_crs(source)
    if isinstance(system, CRS):
        return gdf.set_crs(system, allow_override=True).to_crs(4326)

    def convert(coords: Array) -> Array:
        x, y = to_wgs84(coords[:, 0], coords[:, 1], system)
        return np.column_stack([x, y])

    out = gdf.copy()
    geoms = shapely.transform(out.geometry.to_numpy(), convert)
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index), crs=4326)


_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def from_wgs84(lon: ArrayLike, lat: ArrayLike, target: str) -> tuple[Array, Array]:
    """WGS84 lon/lat arrays in ``target``: ``wgs84`` (unchanged), ``gcj02`` or ``bd09``."""
    if target == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if target not in _FROM_WGS84:
        msg = f"crs {target!r} is not wgs84, gcj02 or bd09 / 坐标系须为 wgs84、gcj02 或 bd09"
        raise LayerReadError(msg)
    return _FROM_WGS84[target](lon, lat)


def from_wgs84_frame(gdf: gpd.GeoDataFrame, target: str) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` (any CRS) with lon/lat coordinates in GCJ-02 or BD-09, for
    pasting back into AMap, Tencent or Baidu maps (the inverse of :func:`to_wgs84_frame`).

    The frame keeps the EPSG:4326 label: these systems have no EPSG code.
    """
    system = parse_crs(target)
    if isinstance(system, CRS):
        msg = f"crs {target!r} is not gcj02 or bd09 / 坐标系 {target!r} 不是 gcj02 或 bd09"
        raise LayerReadError(msg)
    forward = _FROM_WGS84[system]

    def convert(coords: Array) -> Array:
        x, y = forward(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    out = gdf.to_crs(4326)
    geoms = shapely.transform(out.geometry.to_numpy(), convert)
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index), crs=4326)
