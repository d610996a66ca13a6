"""Nearest-station walking distance for every node of the demo walking network:
mzgis against networkx (``multi_source_dijkstra_path_length``, on a plain ``DiGraph`` and
on the osmnx ``MultiDiGraph`` of the same network, as osmnx users run it) and pandana
(``nearest_pois``, its contraction-hierarchy preprocessing included).

The network is built from the demo's OSM-derived walking network (nodes/edges CSV pair,
walking filter, largest component). Stations sit on randomly chosen nodes, so every
engine starts from the same sources. All three must agree to 0.01 m for every node; the
script prints each time and the ratios, measured in this one run.

Run: ``.venv/bin/python bench/bench_network.py`` (full) or ``--smoke`` (a small sub-network).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import networkx as nx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.distance import node_distances  # noqa: E402
from geo.network import Network, build_network_from_csv, load_network, save_network  # noqa: E402

RAW = ROOT / "data" / "raw" / "beijing_walk_network"
TARGET_NX, TARGET_PANDANA = 20.0, 5.0
#: pandana keeps edge weights at fixed precision (about a millimetre per edge), which adds
#: up along long paths: its answers are checked to this tolerance, the others to 0.01 m
PANDANA_TOLERANCE_M = 0.05
T = TypeVar("T")


def demo_network() -> Network:
    return build_network_from_csv(RAW / "nodes.csv", RAW / "edges.csv")


def sub_network(net: Network, max_nodes: int) -> Network:
    """The nodes nearest the centre (for smoke runs), rebuilt as a network."""
    from geo.network import build_network_from_arrays

    centre = np.median(net.node_xy, axis=0)
    keep = np.argsort(np.hypot(*(net.node_xy - centre).T))[:max_nodes]
    inside = np.zeros(net.n_nodes, dtype=bool)
    inside[keep] = True
    e = inside[net.edge_u] & inside[net.edge_v]
    return build_network_from_arrays(
        np.arange(net.n_nodes)[keep],
        net.node_xy[keep],
        net.edge_u[e],
        net.edge_v[e],
        crs=net.pyproj_crs,
    )


def best_of(repeat: int, run: Callable[[], T]) -> tuple[T, float]:
    """The result of ``run`` and its best time over ``repeat`` runs (others share the
    machine: the best run is the least disturbed one)."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - t0)
    assert out is not None
    return out, best


def time_mzgis(
    net: Network, sources: np.ndarray, cutoff_m: float, repeat: int
) -> tuple[np.ndarray, float, float]:
    """Cold (the snap index built inside the timing) and warm times."""
    xy = net.node_xy[sources]

    def cold_run() -> np.ndarray:
        fresh = Network(**{k: v for k, v in net.__dict__.items() if k != "_cache"})
        return node_distances(fresh, xy, cutoff_m=cutoff_m)[0]

    _, cold = best_of(repeat, cold_run)
    _ = net.snap_index
    dist, warm = best_of(repeat, lambda: node_distances(net, xy, cutoff_m=cutoff_m)[0])
    return dist, cold, warm


def networkx_graphs(net: Network) -> dict[str, nx.DiGraph | nx.MultiDiGraph]:
    """The same graph as a plain networkx ``DiGraph`` and as an osmnx graph (a
    ``MultiDiGraph`` made by ``osmnx.convert.graph_from_gdfs``, what osmnx users hold)."""
    import osmnx as ox

    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    plain = nx.DiGraph()
    plain.add_nodes_from(range(net.n_nodes))
    plain.add_weighted_edges_from(
        zip(rows.tolist(), net.indices.tolist(), net.weights.tolist(), strict=True),
        weight="length",
    )
    nodes = net.nodes_gdf.set_index("node")
    nodes["x"], nodes["y"] = net.node_xy[:, 0], net.node_xy[:, 1]
    seg = net.edges_gdf
    both = pd.concat(
        [
            seg.assign(u=net.edge_u, v=net.edge_v),
            seg.assign(u=net.edge_v, v=net.edge_u, geometry=seg.geometry.reverse()),
        ],
        ignore_index=True,
    )
    both["key"] = both.groupby(["u", "v"]).cumcount()
    edges = both.set_index(["u", "v", "key"])[["length_m", "highway", "geometry"]]
    osm = ox.convert.graph_from_gdfs(nodes, edges.rename(columns={"length_m": "length"}))
    return {"networkx DiGraph": plain, "osmnx MultiDiGraph": osm}


def time_networkx(
    graph: nx.DiGraph | nx.MultiDiGraph, sources: np.ndarray, cutoff_m: float, repeat: int
) -> tuple[np.ndarray, float]:
    found, elapsed = best_of(
        repeat,
        lambda: nx.multi_source_dijkstra_path_length(
            graph, set(sources.tolist()), cutoff=cutoff_m, weight="length"
        ),
    )
    dist = np.full(graph.number_of_nodes(), np.inf)
    dist[np.fromiter(found.keys(), dtype=np.int64)] = np.fromiter(found.values(), dtype=float)
    return dist, elapsed


def time_pandana(net: Network, sources: np.ndarray, cutoff_m: float) -> tuple[np.ndarray, float]:
    """pandana end to end: network preprocessing (contraction hierarchies), POIs, query.
    (Feeding it centimetres would make it exact to 0.01 m, but makes its preprocessing
    run for many minutes.)"""
    import pandana

    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    xy = net.node_xy[sources]

    def run() -> pd.DataFrame:
        pnet = pandana.Network(
            pd.Series(net.node_xy[:, 0]),
            pd.Series(net.node_xy[:, 1]),
            pd.Series(rows),
            pd.Series(net.indices.astype(np.int64)),
            pd.DataFrame({"length": net.weights}),
            twoway=False,
        )
        pnet.set_pois("stations", cutoff_m, 1, pd.Series(xy[:, 0]), pd.Series(xy[:, 1]))
        return pnet.nearest_pois(cutoff_m, "stations", num_pois=1)

    res, elapsed = best_of(1, run)
    dist = res[1].reindex(np.arange(net.n_nodes)).to_numpy(dtype=float, copy=True)
    dist[dist >= cutoff_m] = np.inf
    return dist, elapsed


def prepare(smoke: bool) -> tuple[Network, float, float]:
    """The demo network (a central part of it for smoke runs), saved and reloaded: the
    network, its build time and its reload time."""
    t0 = time.perf_counter()
    net = demo_network()
    build_s = time.perf_counter() - t0
    if smoke:
        net = sub_network(net, 1500)
    with tempfile.TemporaryDirectory() as tmp:
        path = save_network(net, Path(tmp) / "demo.network.npz")
        t0 = time.perf_counter()
        net = load_network(path)
        load_s = time.perf_counter() - t0
    return net, build_s, load_s


def report(fig: dict[str, float], repeat: int) -> None:
    warm, cold = fig["mzgis_warm_s"], fig["mzgis_cold_s"]
    print(
        f"\n(best of {repeat} runs; pandana: one run; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"mzgis     {warm * 1000:9.1f} ms (snap index ready); {cold * 1000:.1f} ms cold")
    rows = [
        ("networkx", "networkx_s", "diff_networkx_m", TARGET_NX),
        ("osmnx", "osmnx_s", "diff_osmnx_m", TARGET_NX),
        ("pandana", "pandana_s", "diff_pandana_m", TARGET_PANDANA),
    ]
    for name, key, diff, target in rows:
        t = fig[key]
        print(
            f"{name:9} {t * 1000:9.1f} ms -> mzgis {t / warm:.1f}x faster ({t / cold:.1f}x cold; "
            f"target {target:.0f}x); max |diff| {fig[diff]:.2e} m"
        )


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=1112)
    parser.add_argument("--cutoff", type=float, default=5000.0, help="search cutoff (m)")
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    parser.add_argument("--smoke", action="store_true", help="small sizes, for the test suite")
    args = parser.parse_args(argv)
    net, build_s, load_s = prepare(args.smoke)
    n_stations = 10 if args.smoke else args.stations
    rng = np.random.default_rng(7)
    sources = np.sort(rng.choice(net.n_nodes, size=min(n_stations, net.n_nodes), replace=False))
    print(
        f"network: {net.n_nodes:,} nodes, {net.n_edges:,} segments; build {build_s:.2f} s, "
        f"reload {load_s * 1000:.0f} ms; {len(sources)} stations, cutoff {args.cutoff:.0f} m"
    )
    d_mz, cold, warm = time_mzgis(net, sources, args.cutoff, args.repeat)
    graphs = networkx_graphs(net)
    d_nx, t_nx = time_networkx(graphs["networkx DiGraph"], sources, args.cutoff, args.repeat)
    d_ox, t_ox = time_networkx(graphs["osmnx MultiDiGraph"], sources, args.cutoff, args.repeat)
    d_pd, t_pd = time_pandana(net, sources, args.cutoff)
    fig = {
        "mzgis_cold_s": cold,
        "mzgis_warm_s": warm,
        "networkx_s": t_nx,
        "osmnx_s": t_ox,
        "pandana_s": t_pd,
        "diff_networkx_m": _max_diff(d_mz, d_nx),
        "diff_osmnx_m": _max_diff(d_mz, d_ox),
        "diff_pandana_m": _max_diff(d_mz, d_pd),
    }
    fig["max_diff_m"] = max(fig["diff_networkx_m"], fig["diff_osmnx_m"], fig["diff_pandana_m"])
    report(fig, args.repeat)
    exact = max(fig["diff_networkx_m"], fig["diff_osmnx_m"])
    if exact > 0.01 or fig["diff_pandana_m"] > PANDANA_TOLERANCE_M:
        raise SystemExit("results differ / 结果不一致")
    return fig


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference where both are finite; inf if they disagree on reachability."""
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return float("inf")
    both = np.isfinite(a)
    return float(np.abs(a[both] - b[both]).max()) if both.any() else 0.0


if __name__ == "__main__":
    main()
