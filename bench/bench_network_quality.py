"""The network quality check against its anchors, on the same input in one process.

1. Suspected missing links (node pairs under 30 m apart in straight line and over 500 m
   apart on the network): mzgis (:func:`geo.network.quality.missing_links`: one KD-tree,
   then bounded Dijkstra searches tile by tile on small sub-graphs of the CSR graph) against
   networkx as its users run it
   (``single_source_dijkstra_path_length`` with a cutoff from each pair's first node, over the
   same KD-tree pairs), on the demo walking network and on a synthetic city of street grids
   with back lanes joined at one end only. Both must find the same pairs.
2. OpenStreetMap XML import: mzgis (:func:`geo.network.build_network_from_osm`, pyosmium) against
   osmnx (``graph_from_xml`` then ``simplify_graph``, the former import path) on the demo's
   ``region6.osm``: time and what each keeps.

Run: ``.venv/bin/python bench/bench_network_quality.py`` (full) or ``--smoke``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_network import best_of  # noqa: E402
from geo.network import (  # noqa: E402
    Network,
    build_network_from_arrays,
    build_network_from_csv,
    build_network_from_osm,
)
from geo.network.quality import missing_links  # noqa: E402

RAW = ROOT / "data" / "raw"
GK117 = "EPSG:4548"
STRAIGHT_M, NETWORK_M = 30.0, 500.0


def lanes_city(n: int, *, spacing_m: float = 100.0, lane_m: float = 20.0) -> Network:
    """An ``n`` × ``n`` street grid; north of every street a back lane ``lane_m`` away,
    joined to the grid at its west end only (its nodes are missing links further east)."""
    ids = np.arange(n * n)
    x, y = ids % n, ids // n
    grid_xy = np.column_stack([x, y]) * spacing_m + [500_000.0, 4_420_000.0]
    lane_ids = ids + n * n
    lane_xy = grid_xy + np.array([0.0, lane_m])
    east = ids[x < n - 1]
    north = ids[y < n - 1]
    u = np.concatenate([east, north, lane_ids[x < n - 1], ids[x == 0]])
    v = np.concatenate([east + 1, north + n, lane_ids[x < n - 1] + 1, lane_ids[x == 0]])
    return build_network_from_arrays(
        np.concatenate([ids, lane_ids]), np.vstack([grid_xy, lane_xy]), u, v, crs=GK117
    )


def nx_missing_links(net: Network) -> set[tuple[int, int]]:
    """The same question answered with networkx, one bounded search per first node."""
    graph = nx.Graph()
    longest_first = np.argsort(-net.edge_length_m)  # parallel edges: the shortest stays
    graph.add_weighted_edges_from(
        zip(
            net.edge_u[longest_first].tolist(),
            net.edge_v[longest_first].tolist(),
            net.edge_length_m[longest_first].tolist(),
            strict=True,
        )
    )
    pairs = cKDTree(net.node_xy).query_pairs(STRAIGHT_M, output_type="ndarray")
    found: set[tuple[int, int]] = set()
    for source in np.unique(pairs[:, 0]).tolist():
        reach = nx.single_source_dijkstra_path_length(graph, source, cutoff=NETWORK_M)
        for target in pairs[pairs[:, 0] == source, 1].tolist():
            if target not in reach:
                found.add((source, target))
    return found


def _pairs(net: Network, frame: pd.DataFrame) -> set[tuple[int, int]]:
    """The node pairs (positions) of missing-link findings, from their node ids."""
    order = np.argsort(net.node_ids)
    ids = np.array([s.split() for s in frame["node_ids"]], dtype=np.int64).reshape(-1, 2)
    pos = order[np.searchsorted(net.node_ids[order], ids)]
    return {(int(min(a, b)), int(max(a, b))) for a, b in pos}


def compare_links(name: str, net: Network, repeat: int) -> dict[str, float]:
    """Time both and check they find the same pairs."""
    ours, t_mz = best_of(repeat, lambda: missing_links(net, straight_m=STRAIGHT_M))
    theirs, t_nx = best_of(1, lambda: nx_missing_links(net))
    same = _pairs(net, ours) == theirs
    print(
        f"{name}: {net.n_nodes:,} nodes, {net.n_edges:,} edges; {len(ours):,} missing links"
        f" | mzgis {t_mz * 1000:.0f} ms, networkx {t_nx * 1000:.0f} ms"
        f" -> {t_nx / t_mz:.1f}x; same pairs: {same}"
    )
    if not same:
        raise SystemExit(f"{name}: results differ / 结果不一致")
    return {"mzgis_s": t_mz, "networkx_s": t_nx, "links": float(len(ours))}


def compare_import(repeat: int) -> dict[str, float]:
    """OSM XML import: mzgis against osmnx on region6.osm."""
    import osmnx as ox

    src = RAW / "osm_xml" / "region6.osm"
    net, t_mz = best_of(repeat, lambda: build_network_from_osm(src))

    def osmnx_graph() -> nx.MultiDiGraph:
        graph = ox.graph_from_xml(src, bidirectional=False, simplify=False, retain_all=True)
        return ox.simplify_graph(graph)

    graph, t_ox = best_of(repeat, osmnx_graph)
    print(
        f"region6.osm import: mzgis {t_mz * 1000:.0f} ms ({net.n_nodes:,} nodes, "
        f"{net.n_edges:,} edges after the walking filter) | osmnx graph_from_xml + simplify "
        f"{t_ox * 1000:.0f} ms ({graph.number_of_nodes():,} nodes, all highway classes, no "
        f"filter, no projection) -> {t_ox / t_mz:.1f}x"
    )
    return {"import_mzgis_s": t_mz, "import_osmnx_s": t_ox}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", type=int, default=150, help="synthetic city: grid side")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--smoke", action="store_true", help="small sizes, for the test suite")
    args = parser.parse_args(argv)
    repeat = 1 if args.smoke else args.repeat
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    out: dict[str, float] = {}
    city = lanes_city(12 if args.smoke else args.grid)
    out |= {f"city_{k}": v for k, v in compare_links("synthetic city", city, repeat).items()}
    if not args.smoke:
        walk = RAW / "beijing_walk_network"
        demo = build_network_from_csv(walk / "nodes.csv", walk / "edges.csv")
        out |= {f"demo_{k}": v for k, v in compare_links("demo network", demo, repeat).items()}
    out |= compare_import(repeat)
    return out


if __name__ == "__main__":
    main()
