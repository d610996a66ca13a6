"""One entry point for every network source, chosen by what is given."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo._errors import NetworkError
from geo.network.graph import Network
from geo.network.osm import build_network_from_osm_pbf, build_network_from_osm_xml
from geo.network.tables import build_network_from_csv, build_network_from_roads

__all__ = ["build_network"]

_XML = (".osm", ".xml")
_VECTOR = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml")


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
        An OSM XML file (``.osm``), an OSM PBF file (``.pbf``), a nodes CSV (with
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
    if name.endswith(".pbf"):
        return build_network_from_osm_pbf(path, **options)
    if name.endswith(_XML):
        return build_network_from_osm_xml(path, **options)
    if name.endswith(".csv"):
        if edges is None:
            msg = "a nodes CSV needs the edges CSV too (edges=...) / 节点表需配合边表"
            raise NetworkError(msg)
        return build_network_from_csv(path, edges, **options)
    if name.endswith(_VECTOR):
        roads = gpd.read_file(path, layer=layer)
        return build_network_from_roads(roads, source=path.name, **options)
    msg = f"unsupported network source: {path.name} / 不支持的路网数据格式"
    raise NetworkError(msg)
