"""The walking network as compact arrays: a CSR graph plus the edge polylines for snapping.

A :class:`Network` is immutable. Nodes are numbered ``0..n-1`` with projected coordinates
(metres) in :attr:`Network.crs`; edges are the physical street segments (one row per
segment, not per direction) with their polyline, length and the directions a walker may
travel; the CSR arrays hold the directed graph the shortest-path engine runs on (both
directions for every two-way segment, the shortest of parallel segments).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from pyproj import CRS

__all__ = ["MAX_DROPPED_PARTS", "BuildReport", "Network"]


@dataclass(frozen=True)
class BuildReport:
    """What a network build kept and dropped, in one vocabulary for every source.

    *Ways* are what the source holds (OSM ways, rows of a road layer or edge table);
    *edges* are the graph's edges (street segments between two nodes).

    Attributes
    ----------
    source
        Where the network came from (a file name or ``"roads layer"``).
    nodes, edges, length_m
        Nodes, graph edges and their total length kept.
    ways
        Ways read (OSM ways with a ``highway`` tag, road lines, edge rows).
    filtered_ways, filtered_classes
        Ways removed by the walking filter, and how many of each highway class.
    cut_ways, outside_ways
        Ways split where their nodes are missing from the file or outside the clip area
        (never joined across the gap), and ways left out for lack of two nodes in a row.
    dropped_components, dropped_nodes, dropped_edges, dropped_length_m
        Connected parts other than the largest one, which are dropped.
    largest_dropped_nodes
        Size of the biggest dropped part (0 if none).
    dropped_parts
        The longest dropped parts (at most :data:`MAX_DROPPED_PARTS`), each a dict with
        ``nodes``, ``edges``, ``length_m``, centre ``x``/``y`` and ``bbox`` (network CRS)
        and ``cause``: ``"filtered"`` (joined to the network only through filtered ways,
        ``classes`` names them), ``"oneway"`` (cut off by one-way rules) or ``"isolated"``.
    """

    source: str
    nodes: int
    edges: int
    length_m: float
    ways: int = 0
    filtered_ways: int = 0
    filtered_classes: dict[str, int] = field(default_factory=dict)
    cut_ways: int = 0
    outside_ways: int = 0
    dropped_components: int = 0
    dropped_nodes: int = 0
    dropped_edges: int = 0
    dropped_length_m: float = 0.0
    largest_dropped_nodes: int = 0
    dropped_parts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildReport:
        """Inverse of :meth:`to_dict`; reads reports saved before the ``ways`` vocabulary
        (``filtered_edges``) too."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "filtered_edges" in data and "filtered_ways" not in data:
            values["filtered_ways"] = data["filtered_edges"]
        return cls(**values)

    def summary(self) -> str:
        """One line for people: what was kept and what was dropped."""
        cut = (
            f"{self.cut_ways} ways cut at missing nodes, {self.outside_ways} left out; "
            if self.cut_ways or self.outside_ways
            else ""
        )
        cut_zh = (
            f"在缺失节点处切断道路 {self.cut_ways} 条、舍弃 {self.outside_ways} 条；"
            if self.cut_ways or self.outside_ways
            else ""
        )
        return (
            f"{self.nodes:,} nodes, {self.edges:,} edges, {self.length_m / 1000:.1f} km kept "
            f"from {self.ways:,} ways; {self.filtered_ways:,} ways filtered out (not walkable), "
            f"{cut}{self.dropped_components} disconnected parts dropped "
            f"({self.dropped_nodes} nodes, {self.dropped_length_m / 1000:.1f} km) / "
            f"由 {self.ways:,} 条道路保留 {self.nodes:,} 个节点、{self.edges:,} 条边、"
            f"{self.length_m / 1000:.1f} 公里；剔除不可步行道路 {self.filtered_ways:,} 条，"
            f"{cut_zh}剔除不连通部分 {self.dropped_components} 个"
        )


#: dropped parts kept in a build report, longest first
MAX_DROPPED_PARTS = 200


@dataclass(frozen=True, eq=False, repr=False)
class Network:
    """A walking network in a projected CRS.

    Attributes
    ----------
    crs
        WKT of the projected CRS of every coordinate.
    node_xy, node_ids
        ``(n, 2)`` coordinates in metres and the source's node ids (e.g. OSM ids).
    edge_u, edge_v
        End nodes of each segment; the polyline runs from ``edge_u`` to ``edge_v``.
    edge_length_m
        Length of each segment along its polyline.
    edge_forward, edge_backward
        Whether a walker may go ``u → v`` / ``v → u`` (both, unless one-way is respected).
    edge_highway, edge_name
        OSM-style class and street name ("" where unknown).
    geom_offsets, geom_xy
        Polylines: the vertices of segment ``i`` are
        ``geom_xy[geom_offsets[i]:geom_offsets[i + 1]]``.
    indptr, indices, weights
        The directed CSR graph (``int32`` indices, metres) the engine runs on.
    report
        The :class:`BuildReport` of the build.
    """

    crs: str
    node_xy: NDArray[np.float64]
    node_ids: NDArray[np.int64]
    edge_u: NDArray[np.int32]
    edge_v: NDArray[np.int32]
    edge_length_m: NDArray[np.float64]
    edge_forward: NDArray[np.bool_]
    edge_backward: NDArray[np.bool_]
    edge_highway: NDArray[np.str_]
    edge_name: NDArray[np.str_]
    geom_offsets: NDArray[np.int64]
    geom_xy: NDArray[np.float64]
    indptr: NDArray[np.int32]
    indices: NDArray[np.int32]
    weights: NDArray[np.float64]
    report: BuildReport
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        crs = self.pyproj_crs
        code = crs.to_epsg()
        name = f"EPSG:{code}" if code else crs.name
        return (
            f"Network(nodes={self.n_nodes:,}, edges={self.n_edges:,}, "
            f"length={self.edge_length_m.sum() / 1000:,.1f} km, crs={name}, "
            f"source={self.report.source!r})"
        )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        """Number of edges (street segments)."""
        return len(self.edge_u)

    @property
    def pyproj_crs(self) -> CRS:
        """The CRS as a :class:`pyproj.CRS`."""
        return CRS.from_wkt(self.crs)

    @property
    def directed(self) -> bool:
        """True if some segment may be walked in one direction only."""
        return not bool(self.edge_forward.all() and self.edge_backward.all())

    @property
    def graph(self) -> sp.csr_array:
        """The directed CSR graph (n × n, metres)."""
        if "graph" not in self._cache:
            n = self.n_nodes
            self._cache["graph"] = sp.csr_array(
                (self.weights, self.indices, self.indptr), shape=(n, n)
            )
        graph: sp.csr_array = self._cache["graph"]
        return graph

    @property
    def snap_index(self) -> Any:
        """The :class:`geo.snap.SnapIndex` of this network (built once, then cached)."""
        if "snap_index" not in self._cache:
            from geo.snap import SnapIndex

            self._cache["snap_index"] = SnapIndex.from_network(self)
        return self._cache["snap_index"]

    @property
    def edge_lines(self) -> NDArray[np.object_]:
        """Shapely LineStrings of the segments, in order (made on each access)."""
        seg = np.repeat(np.arange(self.n_edges), np.diff(self.geom_offsets))
        return np.asarray(shapely.linestrings(self.geom_xy, indices=seg), dtype=object)

    @property
    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The segments as a GeoDataFrame in the roads-layer shape (network CRS; a new
        frame on each access)."""
        frame = pd.DataFrame(
            {
                "edge_id": np.arange(self.n_edges),
                "u": self.node_ids[self.edge_u],
                "v": self.node_ids[self.edge_v],
                "highway": self.edge_highway.astype(object),
                "oneway": ~(self.edge_forward & self.edge_backward),
                "name": self.edge_name.astype(object),
                "length_m": self.edge_length_m,
            }
        )
        return gpd.GeoDataFrame(frame, geometry=self.edge_lines, crs=self.pyproj_crs)

    @property
    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """The nodes as points (network CRS), with their source ids (a new frame on each
        access)."""
        geometry = shapely.points(self.node_xy)
        return gpd.GeoDataFrame(
            {"node": np.arange(self.n_nodes), "node_id": self.node_ids},
            geometry=geometry,
            crs=self.pyproj_crs,
        )

    def report_json(self) -> str:
        """The build report as JSON."""
        return json.dumps(self.report.to_dict(), ensure_ascii=False)
