"""Projected CRSs for measuring: the CGCS2000 3-degree Gauss-Krüger zone in China, UTM
elsewhere. Measure only in a projected CRS; convert to lon/lat only at the edge."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from geo._errors import AnalysisError, CRSMismatchError

__all__ = ["gk_crs", "measuring_crs", "points_xy", "to_projected"]

#: EPSG:4534 is "CGCS2000 / 3-degree Gauss-Kruger CM 75E"; each next code is 3° further east
_GK_FIRST_EPSG, _GK_FIRST_CM, _GK_LAST_CM = 4534, 75, 135


def gk_crs(lon: float) -> CRS:
    """The CGCS2000 3-degree Gauss-Krüger CRS (no zone prefix) whose central meridian is
    nearest ``lon``."""
    cm = round(lon / 3) * 3
    if not _GK_FIRST_CM <= cm <= _GK_LAST_CM:
        msg = f"longitude {lon} has no CGCS2000 3-degree zone / 经度 {lon} 不在 CGCS2000 分带范围内"
        raise CRSMismatchError(msg)
    return CRS.from_epsg(_GK_FIRST_EPSG + (cm - _GK_FIRST_CM) // 3)


def measuring_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """A projected CRS for measuring ``gdf`` in metres: its own if projected, else the
    Gauss-Krüger zone (China) or the UTM zone (elsewhere) of its centre."""
    if gdf.crs is None:
        raise CRSMismatchError("the frame has no CRS / 图层没有坐标系")
    crs = CRS.from_user_input(gdf.crs)
    if crs.is_projected:
        return crs
    lonlat = gdf.to_crs(4326) if crs.to_epsg() != 4326 else gdf
    x0, y0, x1, y1 = lonlat.total_bounds
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    if 73 <= lon <= 136 and 17 <= lat <= 54:
        return gk_crs(lon)
    utm = lonlat.estimate_utm_crs()
    return CRS.from_user_input(utm)


def to_projected(gdf: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """``gdf`` in ``crs`` (default :func:`measuring_crs`)."""
    return gdf.to_crs(crs or measuring_crs(gdf))


def points_xy(points: gpd.GeoDataFrame | gpd.GeoSeries, crs: object) -> NDArray[np.float64]:
    """Coordinates of ``points`` in ``crs``; polygons and lines give a point inside them
    (their representative point, taken in the layer's own CRS)."""
    if points.crs is None:
        raise CRSMismatchError("the points have no CRS / 点图层没有坐标系")
    geoms = points.geometry.to_numpy()
    is_point = shapely.get_type_id(geoms) == 0
    if not is_point.all():
        geoms = np.where(is_point, geoms, shapely.point_on_surface(geoms))
    xy = np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)])
    missing = ~np.isfinite(xy).all(axis=1)
    if missing.any():
        rows = points.index[missing].tolist()[:10]
        msg = (
            f"{int(missing.sum())} features have no geometry (rows {rows}) / "
            f"{int(missing.sum())} 个要素没有几何（行 {rows}）"
        )
        raise AnalysisError(msg)
    src, dst = CRS.from_user_input(points.crs), CRS.from_user_input(crs)
    if src != dst:
        x, y = Transformer.from_crs(src, dst, always_xy=True).transform(xy[:, 0], xy[:, 1])
        xy = np.column_stack([x, y])
    return np.asarray(xy, dtype=np.float64)
