"""Shared helpers of the demo builder: constants, seeded sampling, exact rounding, measuring."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = [
    "BEIJING_BOUNDS",
    "DISTRICTS",
    "MEASURE_CRS",
    "STORE_CRS",
    "largest_remainder",
    "measure_area_m2",
    "measure_length_m",
    "sample_points",
    "tag",
]

#: lon/lat extent of Beijing municipality with a margin: (min lon, min lat, max lon, max lat)
BEIJING_BOUNDS = (115.4, 39.4, 117.6, 41.1)
#: CGCS2000 / 3-degree Gauss-Krüger CM 117E: the measuring CRS of central Beijing
MEASURE_CRS = "EPSG:4548"
STORE_CRS = "EPSG:4326"
#: the two demo districts: code → (name, 7th-census resident population 2020)
DISTRICTS: dict[str, tuple[str, int]] = {
    "110101": ("东城区", 708_829),
    "110102": ("西城区", 1_106_214),
}


def largest_remainder(weights: NDArray[np.float64], total: int) -> NDArray[np.int64]:
    """Split the integer ``total`` in proportion to ``weights`` so the parts sum to it exactly.

    Parameters
    ----------
    weights
        Non-negative weights, not all zero.
    total
        The integer to distribute.

    Returns
    -------
    numpy.ndarray
        Integers, one per weight, summing to ``total`` (Hamilton's method; ties are broken by
        position, so the result is deterministic).
    """
    w = np.asarray(weights, dtype=float)
    quota = w / w.sum() * total
    floor = np.floor(quota).astype(np.int64)
    short = int(total - floor.sum())
    order = np.argsort(-(quota - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def sample_points(
    polygon: shapely.Geometry, n: int, *, rng: np.random.Generator
) -> NDArray[np.float64]:
    """``n`` uniform random points inside ``polygon`` as an ``(n, 2)`` array (rejection
    sampling in the polygon's own coordinates)."""
    x0, y0, x1, y1 = shapely.bounds(polygon).tolist()
    fill = max(float(shapely.area(polygon)) / ((x1 - x0) * (y1 - y0)), 0.05)
    shapely.prepare(polygon)
    found: list[NDArray[np.float64]] = []
    have = 0
    while have < n:
        m = int((n - have) / fill * 1.3) + 16
        xy = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        xy = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(xy)
        have += len(xy)
    return np.concatenate(found)[:n]


def measure_area_m2(geoms: gpd.GeoSeries) -> NDArray[np.float64]:
    """Areas in m², measured in :data:`MEASURE_CRS`."""
    return geoms.to_crs(MEASURE_CRS).area.to_numpy(dtype=float)


def measure_length_m(geoms: gpd.GeoSeries) -> NDArray[np.float64]:
    """Lengths in m, measured in :data:`MEASURE_CRS`."""
    return geoms.to_crs(MEASURE_CRS).length.to_numpy(dtype=float)


def tag(frame: gpd.GeoDataFrame, *, source: str, estimated: list[str]) -> gpd.GeoDataFrame:
    """Put the provenance columns ``source`` and ``estimated_fields`` on every row."""
    out = frame.copy()
    out["source"] = source
    out["estimated_fields"] = ",".join(estimated)
    return out
