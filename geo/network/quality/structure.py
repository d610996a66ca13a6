"""Checks of the network's structure: parts, dead ends, missing links, chords.

Every check is vectorised over nodes and edges: a KD-tree for "close in straight line",
bounded Dijkstra searches on tiles of the CSR graph for "far on the network".
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo.network import _polyline
from geo.network.graph import Network
from geo.network.quality._findings import findings

#: side of the tiles the missing-link searches run in (at least their limit)
_TILE_M = 1000.0
#: memory for one batch of bounded searches in a tile
_BATCH_BYTES = 64 * 2**20

__all__ = [
    "chords",
    "components",
    "dead_end_clusters",
    "dead_ends",
    "dropped_parts",
    "missing_links",
]


def _neighbours(network: Network) -> NDArray[np.int64]:
    """How many distinct nodes each node is joined to, in either direction."""
    graph = network.graph
    return np.diff(sp.csr_array(graph + graph.T).indptr)


def components(network: Network) -> gpd.GeoDataFrame:
    """The network's own connected parts (ignoring direction) other than the largest:
    a network built by mzgis keeps only the largest, see :func:`dropped_parts`."""
    n_comp, label = connected_components(network.graph, directed=True, connection="weak")
    sizes = np.bincount(label, minlength=n_comp)
    big = int(np.argmax(sizes)) if n_comp else 0
    edge_label = label[network.edge_u]
    length = np.bincount(edge_label, weights=network.edge_length_m, minlength=n_comp)
    others = np.flatnonzero(np.arange(n_comp) != big)
    order = np.argsort(label, kind="stable")
    points = shapely.multipoints(network.node_xy[order], indices=label[order])
    hulls: Any = shapely.convex_hull(np.asarray(points)[others]) if len(others) else []
    return findings(
        "component",
        hulls,
        severity=np.where(length[others] >= 1000, "high", "medium"),
        explanation_en=[
            f"a part of {sizes[c]} nodes and {length[c]:.0f} m not connected to the rest"
            for c in others
        ],
        explanation_zh=[
            f"有 {sizes[c]} 个节点、{length[c]:.0f} 米道路与其余路网不连通" for c in others
        ],
        crs=network.pyproj_crs,
        nodes=sizes[others],
        length_m=length[others],
    )


def dropped_parts(network: Network) -> gpd.GeoDataFrame:
    """The parts the build left out (from its report): isolated ones, and those cut off
    by the walking filter or one-way rules."""
    parts = network.report.dropped_parts
    boxes = [shapely.box(*p["bbox"]) for p in parts]
    boxes = [b if b.area > 0 else b.buffer(5.0) for b in boxes]
    cause = np.array([p["cause"] for p in parts], dtype=object)
    length = np.array([p["length_m"] for p in parts], dtype=float)
    nodes = np.array([p["nodes"] for p in parts], dtype=float)
    en, zh = [], []
    for p in parts:
        size = f"{p['nodes']} nodes, {p['length_m']:.0f} m"
        size_zh = f"{p['nodes']} 个节点、{p['length_m']:.0f} 米"
        classes = ", ".join(p["classes"]) or "-"
        if p["cause"] == "filtered":
            en.append(f"{size} joined to the network only by ways filtered out ({classes})")
            zh.append(f"{size_zh}道路仅通过已剔除的道路（{classes}）与路网相连")
        elif p["cause"] == "oneway":
            en.append(f"{size} cut off from the network by one-way rules")
            zh.append(f"{size_zh}道路因单行规则与路网隔断")
        else:
            en.append(f"{size} not connected to the network, left out of walking distances")
            zh.append(f"{size_zh}道路与路网不连通，未计入步行距离")
    frame = findings(
        "component",
        boxes,
        severity=np.where(length >= 1000, "high", np.where(length >= 200, "medium", "low")),
        explanation_en=en,
        explanation_zh=zh,
        crs=network.pyproj_crs,
        nodes=nodes,
        length_m=length,
    )
    frame.loc[cause != "isolated", "kind"] = "cut_off"
    return frame


def dead_ends(network: Network) -> NDArray[np.int64]:
    """Nodes with one neighbour."""
    return np.flatnonzero(_neighbours(network) == 1)


def dead_end_clusters(
    network: Network, *, radius_m: float = 50.0, min_size: int = 3
) -> gpd.GeoDataFrame:
    """Groups of at least ``min_size`` dead ends, each within ``radius_m`` of another:
    often a junction that the data failed to join."""
    ends = dead_ends(network)
    xy = network.node_xy[ends]
    pairs = cKDTree(xy).query_pairs(radius_m, output_type="ndarray")
    n = len(ends)
    graph = sp.csr_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    sizes = np.bincount(label, minlength=label.max() + 1 if n else 0)
    big = np.flatnonzero(sizes >= min_size)
    keep = np.flatnonzero(np.isin(label, big))
    groups = np.searchsorted(big, label[keep])
    order = np.argsort(groups, kind="stable")
    points = shapely.multipoints(xy[keep[order]], indices=groups[order])
    hulls = shapely.convex_hull(points)
    hulls = np.asarray(shapely.buffer(hulls, 10.0))
    size = sizes[big]
    return findings(
        "dead_end_cluster",
        hulls,
        severity=np.where(size >= 2 * min_size, "high", "medium"),
        explanation_en=[f"{s} dead ends within {radius_m:.0f} m of each other" for s in size],
        explanation_zh=[f"{s} 个断头路端点相距不足 {radius_m:.0f} 米" for s in size],
        crs=network.pyproj_crs,
        nodes=size,
    )


def missing_links(
    network: Network, *, straight_m: float = 30.0, network_m: float = 500.0
) -> gpd.GeoDataFrame:
    """Node pairs closer than ``straight_m`` in straight line but farther than
    ``network_m`` on the network (ignoring direction): a link the data may lack."""
    pairs = cKDTree(network.node_xy).query_pairs(straight_m, output_type="ndarray")
    walk = _pair_distances(network, pairs, limit_m=network_m)
    far = walk > network_m
    pairs, walk = pairs[far], walk[far]
    a, b = network.node_xy[pairs[:, 0]], network.node_xy[pairs[:, 1]]
    straight = np.hypot(*(a - b).T)
    lines: Any = shapely.linestrings(np.stack([a, b], axis=1)) if len(pairs) else []
    return findings(
        "missing_link",
        lines,
        severity=np.where(straight < straight_m / 3, "high", "medium"),
        explanation_en=[
            f"{s:.0f} m apart in straight line, more than {network_m:.0f} m by the network"
            for s in straight
        ],
        explanation_zh=[f"直线相距 {s:.0f} 米，沿路网超过 {network_m:.0f} 米" for s in straight],
        crs=network.pyproj_crs,
        straight_m=straight,
        network_m=walk,
        node_ids=[f"{a} {b}" for a, b in network.node_ids[pairs].tolist()],
    )


def _pair_distances(
    network: Network, pairs: NDArray[np.int64], *, limit_m: float
) -> NDArray[np.float64]:
    """Network distance between the two nodes of each pair (``inf`` beyond ``limit_m``).

    A walk of at most ``limit_m`` never leaves the disc of that radius around its start, so
    the pairs are answered tile by tile (tiles of at least ``limit_m``) on the sub-graph of
    the tile and its eight neighbours, exactly: the cost grows with the city's area, not
    with its area squared.
    """
    out = np.full(len(pairs), np.inf)
    if len(pairs) == 0:
        return out
    size = max(_TILE_M, limit_m)
    cell = np.floor((network.node_xy - network.node_xy.min(axis=0)) / size).astype(np.int64)
    n_x = int(cell[:, 0].max()) + 2
    key = (cell[:, 1] + 1) * n_x + cell[:, 0] + 1  # a border of empty cells all round
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    pair_tile = key[pairs[:, 0]]
    by_tile = np.argsort(pair_tile, kind="stable")
    tiles, first = np.unique(pair_tile[by_tile], return_index=True)
    bounds = np.r_[first, len(pairs)]
    local = np.full(network.n_nodes, -1, dtype=np.int64)  # reused: reset after each tile
    for i, tile in enumerate(tiles.tolist()):
        around = (tile + np.array([-n_x, 0, n_x])[:, None] + np.array([-1, 0, 1])).ravel()
        lo = np.searchsorted(sorted_key, around, side="left")
        hi = np.searchsorted(sorted_key, around, side="right")
        nodes = np.sort(np.concatenate([order[a:b] for a, b in zip(lo, hi, strict=True)]))
        sel = by_tile[bounds[i] : bounds[i + 1]]
        local[nodes] = np.arange(len(nodes))
        sub = _subgraph(network, nodes, local)
        local[nodes] = -1
        out[sel] = _local_distances(sub, np.searchsorted(nodes, pairs[sel]), limit_m=limit_m)
    return out


def _subgraph(network: Network, nodes: NDArray[np.int64], local: NDArray[np.int64]) -> sp.csr_array:
    """The CSR graph among ``nodes`` (``local``: their new numbers, -1 elsewhere), built
    from their rows only (never a pass over the whole graph)."""
    starts, ends = network.indptr[nodes], network.indptr[nodes + 1]
    counts = (ends - starts).astype(np.int64)
    entry = _polyline.ranges(starts.astype(np.int64), counts)
    rows = np.repeat(np.arange(len(nodes)), counts)
    cols = local[network.indices[entry]]
    keep = cols >= 0
    n = len(nodes)
    return sp.csr_array((network.weights[entry][keep], (rows[keep], cols[keep])), shape=(n, n))


def _local_distances(
    graph: sp.csr_array, pairs: NDArray[np.int64], *, limit_m: float
) -> NDArray[np.float64]:
    """:func:`_pair_distances` on one small (sub-)graph: one bounded search per source,
    in batches that fit in :data:`_BATCH_BYTES`."""
    out = np.full(len(pairs), np.inf)
    sources, row = np.unique(pairs[:, 0], return_inverse=True)
    batch = max(1, _BATCH_BYTES // (8 * graph.shape[0]))
    for start in range(0, len(sources), batch):
        chunk = sources[start : start + batch]
        dist = dijkstra(graph, directed=False, indices=chunk, limit=limit_m)
        sel = np.flatnonzero((row >= start) & (row < start + batch))
        out[sel] = dist[row[sel] - start, pairs[sel, 1]]
    return out


def chords(network: Network, *, min_length_m: float = 300.0) -> gpd.GeoDataFrame:
    """Edges at least ``min_length_m`` long drawn as one straight line (no intermediate
    vertex): the real street's shape, and the junctions along it, may be lost."""
    straight = np.diff(network.geom_offsets) == 2
    rows = np.flatnonzero(straight & (network.edge_length_m >= min_length_m))
    length = network.edge_length_m[rows]
    lines = network.edge_lines[rows]
    return findings(
        "chord",
        lines,
        severity=np.where(length >= 3 * min_length_m, "medium", "low"),
        explanation_en=[
            f"a straight edge of {x:.0f} m with no shape between its ends" for x in length
        ],
        explanation_zh=[f"长 {x:.0f} 米的直线边，两端之间没有形状点" for x in length],
        crs=network.pyproj_crs,
        length_m=length,
        name=network.edge_name[rows].astype(object),
    )
