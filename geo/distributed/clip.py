"""Cutting a walking network down to the part a partition needs.

A partition (one district's demand) needs every street a walker could use on the way to a
facility within reach, and every street a facility within reach could snap to. Streets
are kept whole: a segment is in the piece when its bounding box meets the partition's
bounding box grown by the given distance (a superset of the streets within that distance
of anything inside it, cheap to find), so the piece is a subgraph of the network with the
same segments, polylines and lengths (nodes renumbered in their original order), and
shortest paths that stay inside it have exactly the same length.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from geo.network import _polyline
from geo.network.build import csr_from_edges
from geo.network.graph import Network

__all__ = ["EdgeIndex", "clip_network"]


class EdgeIndex:
    """The bounding boxes of a network's segments, for cutting out pieces by area."""

    def __init__(self, network: Network) -> None:
        self.network = network
        starts = network.geom_offsets[:-1]
        x, y = network.geom_xy[:, 0], network.geom_xy[:, 1]
        self.xmin, self.xmax = np.minimum.reduceat(x, starts), np.maximum.reduceat(x, starts)
        self.ymin, self.ymax = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)

    def near(
        self, bounds: tuple[float, float, float, float], distance_m: float
    ) -> NDArray[np.int64]:
        """Segments whose bounding box meets ``bounds`` (xmin, ymin, xmax, ymax) grown by
        ``distance_m``: every segment with any part within ``distance_m`` of anything
        inside ``bounds`` (and a few more), ascending."""
        x0, y0, x1, y1 = bounds
        d = float(distance_m)
        hit = (self.xmax >= x0 - d) & (self.xmin <= x1 + d)
        hit &= (self.ymax >= y0 - d) & (self.ymin <= y1 + d)
        return np.flatnonzero(hit).astype(np.int64)


def clip_network(network: Network, edges: NDArray[np.int64]) -> Network:
    """The subnetwork made of the segments ``edges`` (positions, any order).

    Parameters
    ----------
    network
        The whole network.
    edges
        Positions of the segments to keep.

    Returns
    -------
    Network
        The same segments (in their original order) between the same nodes (renumbered
        in their original order); the CSR graph rebuilt from them. Its report counts the
        piece.
    """
    chosen = np.zeros(network.n_edges, dtype=bool)
    chosen[np.asarray(edges, dtype=np.int64)] = True
    keep = np.flatnonzero(chosen)
    u, v = network.edge_u[keep], network.edge_v[keep]
    used = np.zeros(network.n_nodes, dtype=bool)
    used[u] = True
    used[v] = True
    nodes = np.flatnonzero(used)
    renumber = np.full(network.n_nodes, -1, dtype=np.int64)
    renumber[nodes] = np.arange(len(nodes))
    u32, v32 = renumber[u].astype(np.int32), renumber[v].astype(np.int32)
    length = network.edge_length_m[keep]
    fwd, bwd = network.edge_forward[keep], network.edge_backward[keep]
    indptr, indices, weights = csr_from_edges(len(nodes), u32, v32, length=length, fwd=fwd, bwd=bwd)
    offsets, xy = _polyline.gather(network.geom_offsets, network.geom_xy, keep)
    report = replace(
        network.report,
        source=f"{network.report.source} (piece)",
        nodes=len(nodes),
        edges=len(keep),
        length_m=float(length.sum()),
    )
    return Network(
        crs=network.crs,
        node_xy=np.ascontiguousarray(network.node_xy[nodes]),
        node_ids=network.node_ids[nodes],
        edge_u=u32,
        edge_v=v32,
        edge_length_m=length,
        edge_forward=fwd,
        edge_backward=bwd,
        edge_highway=network.edge_highway[keep],
        edge_name=network.edge_name[keep],
        geom_offsets=offsets,
        geom_xy=xy,
        indptr=indptr,
        indices=indices,
        weights=weights,
        report=report,
    )
