"""The walking network: build it from OpenStreetMap files (XML, compressed XML, PBF;
clipped extracts too), a nodes/edges CSV pair, a road layer or arrays; keep the largest
connected component; save and reload it as compact arrays; check its quality."""

from __future__ import annotations

from geo.network.build import Progress, RawEdges, assemble_network
from geo.network.filters import WALK_EXCLUDED_HIGHWAYS, walkable
from geo.network.graph import BuildReport, Network
from geo.network.io import (
    load_network,
    network_from_bytes,
    network_path_for,
    network_to_bytes,
    save_network,
)
from geo.network.osm import (
    DEFAULT_CLIP_MARGIN_M,
    build_network_from_osm,
    build_network_from_osm_pbf,
    build_network_from_osm_xml,
)
from geo.network.sources import SUPPORTED_SUFFIXES, build_network
from geo.network.tables import (
    build_network_from_arrays,
    build_network_from_csv,
    build_network_from_roads,
)

__all__ = [
    "DEFAULT_CLIP_MARGIN_M",
    "SUPPORTED_SUFFIXES",
    "WALK_EXCLUDED_HIGHWAYS",
    "BuildReport",
    "Network",
    "Progress",
    "RawEdges",
    "assemble_network",
    "build_network",
    "build_network_from_arrays",
    "build_network_from_csv",
    "build_network_from_osm",
    "build_network_from_osm_pbf",
    "build_network_from_osm_xml",
    "build_network_from_roads",
    "load_network",
    "network_from_bytes",
    "network_path_for",
    "network_to_bytes",
    "save_network",
    "walkable",
]
