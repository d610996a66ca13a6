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

from layers._mvt import PropertyCodes, encode_layer

__all__ = [
    "DEFAULT_BUFFER",
    "DEFAULT_EXTENT",
    "MAX_ZOOM",
    "MIN_SIZE_PX",
    "TileError",
    "TileSource",
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
#: polygons and lines smaller than this many pixels are drawn as their bounding box
BOX_SIZE_PX = 3.0
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


def _draw(
    merc: np.ndarray,
    props: PropertyCodes,
    *,
    z: int,
    x: int,
    y: int,
    layer: str,
    extent: int,
    buffer: int,
) -> bytes:
    """Encode web-mercator geometries ``merc`` with their properties ``props`` as tile
    ``z/x/y``: the size rule, clipping, simplifying to half a tile unit (features under
    :data:`BOX_SIZE_PX` pixels are drawn as their bounding box, which is what they look like
    at that size), the MVT winding rule, and the tile's units."""
    x0, y0, x1, y1 = tile_bounds_m(z, x, y)
    pad = (x1 - x0) * buffer / extent
    present = ~(shapely.is_missing(merc) | shapely.is_empty(merc))
    keep = present.copy()
    keep[present] = _kept(merc[present], z)
    geoms = merc[keep]
    lo_x, lo_y, hi_x, hi_y = shapely.bounds(geoms).T
    pixel_m = (x1 - x0) / _PIXELS
    small = (np.hypot(hi_x - lo_x, hi_y - lo_y) < BOX_SIZE_PX * pixel_m) & ~np.isin(
        shapely.get_type_id(geoms), (0, 1, 4, 5)
    )
    geoms = geoms.copy()
    geoms[small] = shapely.box(lo_x[small], lo_y[small], hi_x[small], hi_y[small])
    clipped = shapely.clip_by_rect(geoms, x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    tolerance = (x1 - x0) / extent / 2
    large = ~small
    clipped[large] = shapely.simplify(clipped[large], tolerance, preserve_topology=False)
    scale = extent / (x1 - x0)
    tiled = shapely.transform(  # to tile units; the encoder applies the winding rule
        clipped, lambda c: np.column_stack([(c[:, 0] - x0) * scale, (y1 - c[:, 1]) * scale])
    )
    drawn = np.asarray(tiled, dtype=object)
    collections = np.flatnonzero(shapely.get_type_id(drawn) == 7)
    drawn[collections] = [_drawable(g) for g in drawn[collections]]
    shown = ~(shapely.is_missing(drawn) | shapely.is_empty(drawn))
    rows = np.flatnonzero(keep)[shown]
    return encode_layer(drawn[shown], props.take(rows), name=layer, extent=extent)


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
    merc = np.asarray(gdf.geometry.to_crs(_MERCATOR).to_numpy(), dtype=object)
    names = [c for c in columns if c in gdf.columns and c != gdf.geometry.name]
    props = PropertyCodes.of(pd.DataFrame(gdf[names]).reset_index(drop=True))
    return _draw(merc, props, z=z, x=x, y=y, layer=layer, extent=extent, buffer=buffer)


class TileSource:
    """A layer ready to cut into tiles: its geometries in web mercator with a spatial index
    and the properties the tiles carry, built once (a store keeps one per layer version), so
    each tile costs only its own features.

    Parameters
    ----------
    gdf
        The layer's features, in any CRS.
    layer, columns
        The MVT layer name and the properties carried.
    """

    def __init__(self, gdf: gpd.GeoDataFrame, *, layer: str, columns: Sequence[str] = ()) -> None:
        self.layer = layer
        self.merc = np.asarray(gdf.geometry.to_crs(_MERCATOR).to_numpy(), dtype=object)
        self.tree = shapely.STRtree(self.merc)
        names = [c for c in columns if c in gdf.columns and c != gdf.geometry.name]
        self.props = PropertyCodes.of(pd.DataFrame(gdf[names]).reset_index(drop=True))

    def tile(
        self, z: int, x: int, y: int, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
    ) -> bytes:
        """The MVT tile ``z/x/y`` (``b""`` when nothing is drawn there)."""
        check_tile(z, x, y)
        x0, y0, x1, y1 = tile_bounds_m(z, x, y)
        pad = (x1 - x0) * buffer / extent
        hits = np.sort(self.tree.query(shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)))
        if not len(hits):
            return b""
        return _draw(
            self.merc[hits],
            self.props.take(hits),
            z=z,
            x=x,
            y=y,
            layer=self.layer,
            extent=extent,
            buffer=buffer,
        )
