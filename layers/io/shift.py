"""Do points declared as WGS84 look like Chinese web-map coordinates (GCJ-02, BD-09)?

GCJ-02 shifts Beijing by about 500–600 m, BD-09 by about 1 km: facilities geocoded on a web
map then labelled WGS84 sit beside the streets they front. The test compares the median
distance from the points to the nearest road as given with the median after converting them
from GCJ-02 (and from BD-09) to WGS84; if a conversion brings them clearly closer, they were
shifted. Distances are measured in the UTM zone of the roads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from layers._errors import Problem
from layers.coords import CHINESE_SYSTEMS, ChineseSystem, to_wgs84

__all__ = [
    "COVER_MARGIN_DEG",
    "MIN_DROP_M",
    "MIN_DROP_RATIO",
    "MIN_POINTS",
    "ShiftReport",
    "looks_shifted",
]

#: the converted median must be below this fraction of the given median …
MIN_DROP_RATIO = 0.5
#: … and lower by more than this many metres
MIN_DROP_M = 50.0
#: fewer points inside the roads' extent than this cannot tell
MIN_POINTS = 5
#: points this far (degrees, ~1 km) outside the roads' extent still count: GCJ-02 moves ~600 m
COVER_MARGIN_DEG = 0.01


@dataclass(frozen=True)
class ShiftReport:
    """Evidence that points are in a Chinese web-map system rather than WGS84."""

    system: ChineseSystem
    points: int
    median_given_m: float
    median_converted_m: float

    @property
    def message(self) -> str:
        return (
            f"the points look like {self.system.upper()} web-map coordinates labelled WGS84:"
            f" median distance to the nearest road is {self.median_given_m:.0f} m as given and"
            f" {self.median_converted_m:.0f} m after {self.system.upper()} → WGS84"
            f" ({self.points} points); re-import with crs={self.system!r}"
            f" / 坐标疑似为 {self.system.upper()}（网络地图坐标）而非 WGS84：到最近道路的距离中位数"
            f"由 {self.median_given_m:.0f} 米降至 {self.median_converted_m:.0f} 米，"
            f"请以 crs={self.system!r} 重新导入"
        )

    def to_problem(self) -> Problem:
        """The warning an import adds to its report."""
        value = f"{self.median_given_m:.0f} m -> {self.median_converted_m:.0f} m"
        return Problem(None, "geometry", value, self.message, "warning")

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "points": self.points,
            "median_given_m": self.median_given_m,
            "median_converted_m": self.median_converted_m,
        }


def looks_shifted(
    points_gdf: gpd.GeoDataFrame,
    roads_gdf: gpd.GeoDataFrame,
    *,
    min_drop_ratio: float = MIN_DROP_RATIO,
    min_drop_m: float = MIN_DROP_M,
    min_points: int = MIN_POINTS,
) -> ShiftReport | None:
    """Whether ``points_gdf`` (declared WGS84) sit where GCJ-02 or BD-09 points would.

    Parameters
    ----------
    points_gdf
        Points with a CRS; non-point and empty geometries are ignored.
    roads_gdf
        Road lines with a CRS covering the points.
    min_drop_ratio, min_drop_m
        The converted median distance to the nearest road must be below
        ``min_drop_ratio`` times the given one and lower by more than ``min_drop_m``.
    min_points
        At least this many points must lie inside the roads' extent.

    Returns
    -------
    ShiftReport or None
        The evidence (for the system whose conversion brings the points closest) when the
        points look shifted; ``None`` when they do not, or when too few points lie inside
        the roads' extent to tell.
    """
    if points_gdf.crs is None or roads_gdf.crs is None or roads_gdf.empty:
        return None
    roads = roads_gdf.to_crs(4326)
    geoms = points_gdf.to_crs(4326).geometry.to_numpy()
    keep = (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
    lon, lat = shapely.get_x(geoms[keep]), shapely.get_y(geoms[keep])
    x0, y0, x1, y1 = roads.total_bounds + np.array([-1, -1, 1, 1]) * COVER_MARGIN_DEG
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    if inside.sum() < min_points:
        return None
    lon, lat = lon[inside], lat[inside]
    utm = CRS.from_user_input(roads.estimate_utm_crs())
    lines = roads.to_crs(utm)
    given = _median_distance_m(lon, lat, lines)
    best: ShiftReport | None = None
    for system in CHINESE_SYSTEMS:
        converted = _median_distance_m(*to_wgs84(lon, lat, system), lines)
        if converted < given * min_drop_ratio and given - converted > min_drop_m:
            report = ShiftReport(system, int(inside.sum()), given, converted)
            if best is None or converted < best.median_converted_m:
                best = report
    return best


def _median_distance_m(lon: np.ndarray, lat: np.ndarray, lines: gpd.GeoDataFrame) -> float:
    points = gpd.GeoSeries(shapely.points(lon, lat), crs=4326).to_crs(lines.crs)
    found, dist = lines.sindex.nearest(points.to_numpy(), return_all=False, return_distance=True)
    per_point = np.full(len(points), np.inf)
    per_point[found[0]] = dist
    return float(np.median(per_point))
