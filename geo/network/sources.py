"""One entry point for every network source, chosen by what is given."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo._errors import NetworkError
from geo.network.graph import Network
from geo.network.osm import OSM_SUFFIXES, build_network_from_osm
from geo.network.tables import build_network_from_csv, build_network_from_roads

__all__ = ["SUPPORTED_SUFFIXES", "build_network"]

_VECTOR = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml")
#: every file name a network can be built from (a ``.csv`` is a nodes table, with the
#: edges table beside it)
SUPPORTED_SUFFIXES = (*OSM_SUFFIXES, ".csv", *_VECTOR)


def build_network(
    source: str | PathLike[str] | gpd.GeoDataFrame,
    *,
    edges: str | PathLike[str] | None = None,
    layer: str | None = None,
    **options: Any,
) -> Network:
    """Build a walking network from whatever ``source`` is.

    Parameters
    ----------
    source
        An OpenStreetMap file (``.osm``, ``.osm.xml``, ``.osm.gz``, ``.osm.bz2``,
        ``.osm.pbf``; ``clip=`` and ``clip_margin_m=`` keep it to polygons), a nodes CSV (with
        ``edges=`` the edges CSV), a vector file of road lines (GeoPackage, GeoJSON,
        Shapefile, ...; ``layer=`` picks a layer) or a road GeoDataFrame.
    edges
        The edges CSV of a nodes/edges pair.
    layer
        Layer name inside a multi-layer vector file.
    **options
        Passed to the specific builder (``include_highways``, ``exclude_highways``,
        ``respect_oneway``, ``crs``, ``progress``, column names...).

    Returns
    -------
    Network
    """
    if isinstance(source, gpd.GeoDataFrame):
        return build_network_from_roads(source, **options)
    path = Path(source)
    name = path.name.lower()
    if not path.is_file():
        msg = f"no such file: {path.name} / 找不到文件 {path.name}"
        raise NetworkError(msg)
    if name.endswith(OSM_SUFFIXES):
        return build_network_from_osm(path, **options)
    if name.endswith(".csv"):
        if edges is None:
            msg = "a nodes CSV needs the edges CSV too (edges=...) / 节点表需配合边表"
            raise NetworkError(msg)
        return build_network_from_csv(path, edges, **options)
    if name.endswith(_VECTOR):
        roads = gpd.read_file(path, layer=layer)
        return build_network_from_roads(roads, source=path.name, **options)
    known = " ".join(SUPPORTED_SUFFIXES)
    msg = (
        f"unsupported network source: {path.name}; supported: {known} / "
        f"不支持的路网数据格式：{path.name}；支持的格式：{known}"
    )
    raise NetworkError(msg)
