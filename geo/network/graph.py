"""The walking network as compact arrays: a CSR graph plus the edge polylines for snapping.

A :class:`Network` is immutable. Nodes are numbered ``0..n-1`` with projected coordinates
(metres) in :attr:`Network.crs`; edges are the physical street segments (one row per
segment, not per direction) with their polyline, length and the directions a walker may
travel; the CSR arrays hold the directed graph the shortest-path engine runs on (both
directions for every two-way segment, the shortest of parallel segments).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from pyproj import CRS

__all__ = ["BuildReport", "Network"]


@dataclass(frozen=True)
class BuildReport:
    """What a network build kept and dropped.

    Attributes
    ----------
    source
        Where the network came from (a file name or ``"roads layer"``).
    nodes, edges, length_m
        Nodes, street segments and their total length kept.
    filtered_edges, filtered_classes
        Segments removed by the walking filter, and how many of each highway class.
    dropped_components, dropped_nodes, dropped_edges, dropped_length_m
        Connected parts other than the largest one, which are dropped.
    largest_dropped_nodes
        Size of the biggest dropped part (0 if none).
    """

    source: str
    nodes: int
    edges: int
    length_m: float
    filtered_edges: int = 0
    filtered_classes: dict[str, int] = field(default_factory=dict)
    dropped_components: int = 0
    dropped_nodes: int = 0
    dropped_edges: int = 0
    dropped_length_m: float = 0.0
    largest_dropped_nodes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildReport:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)

    def summary(self) -> str:
        """One line for people: what was kept and what was dropped."""
        return (
            f"{self.nodes} nodes, {self.edges} segments, {self.length_m / 1000:.1f} km kept; "
            f"{self.filtered_edges} segments filtered out (not walkable), "
            f"{self.dropped_components} disconnected parts dropped "
            f"({self.dropped_nodes} nodes, {self.dropped_length_m / 1000:.1f} km) / "
            f"保留 {self.nodes} 个节点、{self.edges} 条路段；剔除不可步行路段 "
            f"{self.filtered_edges} 条、不连通部分 {self.dropped_components} 个"
        )


@dataclass(frozen=True, eq=False)
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

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
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

    def edge_lines(self) -> NDArray[np.object_]:
        """Shapely LineStrings of the segments, in order."""
        seg = np.repeat(np.arange(self.n_edges), np.diff(self.geom_offsets))
        return np.asarray(shapely.linestrings(self.geom_xy, indices=seg), dtype=object)

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The segments as a GeoDataFrame in the roads-layer shape (network CRS)."""
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
        return gpd.GeoDataFrame(frame, geometry=self.edge_lines(), crs=self.pyproj_crs)

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """The nodes as points (network CRS), with their source ids."""
        geometry = shapely.points(self.node_xy)
        return gpd.GeoDataFrame(
            {"node": np.arange(self.n_nodes), "node_id": self.node_ids},
            geometry=geometry,
            crs=self.pyproj_crs,
        )

    def report_json(self) -> str:
        """The build report as JSON."""
        return json.dumps(self.report.to_dict(), ensure_ascii=False)
