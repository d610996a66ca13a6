"""Frames made light for display: simplified in metres, rounded, serialised compactly.

Simplification runs in a projected CRS (the CGCS2000 Gauss-Krüger zone in China) with a
tolerance in metres; coordinates are rounded to ``decimals`` (5 decimals ≈ 1 m, 6 ≈ 0.1 m).
The result is compact text, safe to embed in a ``<script>``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.projection import measuring_crs

__all__ = [
    "features_text",
    "geometry_family",
    "rounded",
    "script_safe",
    "shared_properties",
    "simplified",
]

_POINT_TYPES = frozenset({"Point", "MultiPoint"})
_LINE_TYPES = frozenset({"LineString", "MultiLineString", "LinearRing"})


def geometry_family(gdf: gpd.GeoDataFrame) -> str:
    """``"point"``, ``"line"`` or ``"polygon"``: the family most features belong to."""
    types = gdf.geometry.geom_type.dropna()
    if types.empty:
        return "polygon"
    points = types.isin(_POINT_TYPES).sum()
    lines = types.isin(_LINE_TYPES).sum()
    polygons = len(types) - points - lines
    return max(("point", points), ("line", lines), ("polygon", polygons), key=lambda t: t[1])[0]


def simplified(gdf: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """``gdf`` in lon/lat with lines and polygons simplified to ``tolerance_m`` metres
    (Douglas-Peucker; a shape it would empty or make invalid is simplified preserving its
    topology instead; points untouched). The input is not modified."""
    lonlat = gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf
    geoms = lonlat.geometry
    if tolerance_m <= 0 or geoms.empty or geoms.geom_type.isin(_POINT_TYPES).all():
        return lonlat.copy()
    projected = geoms.to_crs(measuring_crs(lonlat))
    thin = projected.simplify(tolerance_m, preserve_topology=False)
    broken = (thin.is_empty | ~thin.is_valid) & ~projected.is_empty
    if broken.any():  # the few that plain Douglas-Peucker collapses or twists
        thin[broken] = projected[broken].simplify(tolerance_m, preserve_topology=True)
    return lonlat.set_geometry(thin.to_crs(4326).to_numpy(), crs=4326)


def rounded(geoms: NDArray[np.object_], *, decimals: int) -> NDArray[np.object_]:
    """Geometries with every coordinate rounded to ``decimals``."""
    out: NDArray[np.object_] = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    return out


def features_text(
    gdf: gpd.GeoDataFrame,
    *,
    fields: Sequence[str],
    tolerance_m: float = 1.0,
    decimals: int | None = None,
) -> str:
    """The features of ``gdf`` for the page script, simplified and rounded for display, as
    compact text safe inside ``<script>``: ``{"g": [GeoJSON geometries], "p": [properties]}``
    with the properties ``fields`` (those present; floats to 3 decimals). The page script
    expands it into a GeoJSON FeatureCollection (``mzgis.features``).

    Rows without geometry are left out. ``decimals`` defaults to 6 for points, 5 otherwise.
    """
    frame = simplified(gdf, tolerance_m=tolerance_m)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if decimals is None:
        decimals = 6 if geometry_family(frame) == "point" else 5
    geoms = rounded(frame.geometry.to_numpy(), decimals=decimals)
    cols = [c for c in fields if c in frame.columns]
    props = _records_text(frame, cols) if cols else "null"
    return script_safe(f'{{"g":[{",".join(shapely.to_geojson(geoms))}],"p":{props}}}')


def script_safe(text: str) -> str:
    """JSON text that cannot close the ``<script>`` element it is embedded in."""
    return text.replace("<", "\\u003c")


def _records_text(frame: gpd.GeoDataFrame, cols: list[str]) -> str:
    """The rows' ``cols`` as a JSON array of objects (NaN as null, times as ISO 8601)."""
    return str(
        pd.DataFrame(frame[cols]).to_json(
            orient="records", date_format="iso", force_ascii=False, double_precision=3
        )
    )


def shared_properties(
    gdf: gpd.GeoDataFrame, fields: Sequence[str]
) -> tuple[list[str], dict[str, object]]:
    """Split ``fields`` (those present) into the ones that vary between rows and the ones
    with one value in every row, returned as a dict once for the whole layer (a layer's
    ``source`` and ``estimated_fields`` need not be repeated 10,000 times)."""
    cols = [c for c in dict.fromkeys(fields) if c in gdf.columns and c != gdf.geometry.name]
    if len(gdf) < 2:
        return cols, {}
    same = [c for c in cols if _single_value(gdf[c])]
    shared: dict[str, object] = json.loads(_records_text(gdf.iloc[:1], same))[0] if same else {}
    return [c for c in cols if c not in same], shared


def _single_value(column: pd.Series) -> bool:
    try:
        return bool(column.nunique(dropna=False) == 1)
    except TypeError:  # lists or dicts (json fields)
        return bool(column.astype(str).nunique(dropna=False) == 1)
