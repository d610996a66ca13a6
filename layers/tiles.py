"""Mapbox vector tiles (MVT) of a layer, in the web-mercator tile grid (XYZ, EPSG:3857).

A tile holds the features that intersect its square plus a margin of ``buffer`` tile units
(so strokes and fills meet across tile edges), clipped to that margin and quantised to
``extent`` units. Lines and polygons whose bounding box is smaller than
:data:`MIN_SIZE_PX` of a tile pixel at that zoom are left out (they are drawn from the zoom
at which they become visible, as tile generators usually do); points are always kept.

:func:`encode_tile` encodes a GeoDataFrame with :mod:`mapbox_vector_tile`; a PostGIS store
answers the same tile in SQL (``ST_AsMVT``) with the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers._mvt import encode_layer

__all__ = [
    "DEFAULT_BUFFER",
    "DEFAULT_EXTENT",
    "MAX_ZOOM",
    "MIN_SIZE_PX",
    "TileError",
    "check_tile",
    "encode_tile",
    "tile_bbox_lonlat",
    "tile_bounds_m",
]

#: half the width of the web-mercator world (m)
HALF_WORLD_M = 20037508.342789244
DEFAULT_EXTENT = 4096
DEFAULT_BUFFER = 64
MAX_ZOOM = 22
#: lines and polygons smaller than this share of a tile pixel (256 per tile) are left out
MIN_SIZE_PX = 0.5
_PIXELS = 256
_MERCATOR = "EPSG:3857"


class TileError(ValueError):
    """A tile address outside the grid."""


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse a tile address outside the grid (zoom 0 to :data:`MAX_ZOOM`)."""
    if not 0 <= z <= MAX_ZOOM:
        msg = f"zoom {z} is outside 0..{MAX_ZOOM} / 缩放级别 {z} 超出 0..{MAX_ZOOM}"
        raise TileError(msg)
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        msg = f"tile {z}/{x}/{y} is outside the grid / 瓦片 {z}/{x}/{y} 超出网格范围"
        raise TileError(msg)


def tile_bounds_m(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of tile ``z/x/y`` in web-mercator metres."""
    size = 2 * HALF_WORLD_M / (1 << z)
    minx = -HALF_WORLD_M + x * size
    maxy = HALF_WORLD_M - y * size
    return minx, maxy - size, minx + size, maxy


def _lon_lat(x_m: float, y_m: float) -> tuple[float, float]:
    lon = math.degrees(x_m / 6378137.0)
    lat = math.degrees(2 * math.atan(math.exp(y_m / 6378137.0)) - math.pi / 2)
    return lon, lat


def tile_bbox_lonlat(
    z: int, x: int, y: int, *, margin: float = 0.0
) -> tuple[float, float, float, float]:
    """The lon/lat box of tile ``z/x/y`` grown by ``margin`` (a share of the tile's side)."""
    x0, y0, x1, y1 = tile_bounds_m(z, x, y)
    pad = (x1 - x0) * margin
    lon0, lat0 = _lon_lat(max(x0 - pad, -HALF_WORLD_M), max(y0 - pad, -HALF_WORLD_M))
    lon1, lat1 = _lon_lat(min(x1 + pad, HALF_WORLD_M), min(y1 + pad, HALF_WORLD_M))
    return lon0, lat0, lon1, lat1


def min_size_m(z: int) -> float:
    """The smallest bounding-box diagonal (m) a line or polygon keeps at zoom ``z``."""
    return MIN_SIZE_PX * 2 * HALF_WORLD_M / (1 << z) / _PIXELS


def _kept(geoms: np.ndarray, z: int) -> np.ndarray:
    """Which geometries are drawn at zoom ``z`` (points always; others by size)."""
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    diagonal = np.hypot(x1 - x0, y1 - y0)
    is_point = np.isin(shapely.get_type_id(geoms), (0, 4))
    return is_point | (diagonal >= min_size_m(z))


def _drawable(geom: Any) -> Any:
    """A collection left by a clip as MVT can hold it: its parts of the highest dimension
    (the slivers of lower dimension along the cut are not drawn)."""
    if shapely.is_empty(geom):
        return None
    parts = shapely.get_parts(geom)
    dims = shapely.get_dimensions(parts)
    top = parts[dims == dims.max()]
    kinds = {2: shapely.MultiPolygon, 1: shapely.MultiLineString, 0: shapely.MultiPoint}
    flat = [p for part in top for p in shapely.get_parts(part)]
    return kinds[int(dims.max())](flat)  # type: ignore[arg-type]


def encode_tile(
    gdf: gpd.GeoDataFrame,
    *,
    z: int,
    x: int,
    y: int,
    layer: str,
    columns: Sequence[str] = (),
    extent: int = DEFAULT_EXTENT,
    buffer: int = DEFAULT_BUFFER,
) -> bytes:
    """The MVT tile ``z/x/y`` of ``gdf`` as one layer named ``layer``.

    Parameters
    ----------
    gdf
        Features, in any CRS.
    columns
        Properties carried by each feature (missing columns are skipped).
    extent, buffer
        Tile units across the tile, and the margin kept around it.

    Returns
    -------
    bytes
        The encoded tile (empty when no feature is drawn).
    """
    check_tile(z, x, y)
    if gdf.empty:
        return b""
    x0, y0, x1, y1 = tile_bounds_m(z, x, y)
    pad = (x1 - x0) * buffer / extent
    geoms = gdf.geometry.to_crs(_MERCATOR).to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    keep = present.copy()
    keep[present] = _kept(geoms[present], z)
    clipped = shapely.clip_by_rect(geoms[keep], x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    tolerance = (x1 - x0) / extent / 2
    clipped = shapely.simplify(clipped, tolerance, preserve_topology=True)
    scale = extent / (x1 - x0)
    oriented = shapely.orient_polygons(clipped, exterior_cw=True)  # positive area in tile units
    tiled = shapely.transform(
        oriented, lambda c: np.column_stack([(c[:, 0] - x0) * scale, (y1 - c[:, 1]) * scale])
    )
    drawn = np.asarray(tiled, dtype=object)
    collections = np.flatnonzero(shapely.get_type_id(drawn) == 7)
    drawn[collections] = [_drawable(g) for g in drawn[collections]]
    shown = ~(shapely.is_missing(drawn) | shapely.is_empty(drawn))
    rows = gdf[keep]
    names = [c for c in columns if c in rows.columns and c != rows.geometry.name]
    table = pd.DataFrame(rows[names]).reset_index(drop=True)[shown]
    return encode_layer(drawn[shown], table, name=layer, extent=extent)
