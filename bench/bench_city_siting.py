"""City-scale siting: the walking cost matrix and an MCLP on a million-node street grid.

The grid of ``bench_city.py`` (1000 x 1000 nodes, 30 m spacing, jittered, 4 % of streets
removed), ``--demand`` weighted points (the elderly of ``bench_city.demand_layer``) and
``--candidates`` candidate sites, both uniform; every pair within ``--cutoff`` metres
walking (access legs included).

- Matrix: ``geo.distance.cost_matrix_xy`` (sweeps of well-separated candidates, see
  ``geo.network.sweep``), snap index built beforehand; time and pairs.
- Anchor: one bounded Dijkstra per candidate (``geo.network.search.pair_search_each``, the
  former method) on a sample of ``--sample`` candidates, extrapolated to all of them; the
  sample's pairs are checked against the matrix (same pairs, distances to the millimetre).
- MCLP with ``-p`` new sites on that matrix (radius = cutoff), ``mip_gap`` 0.5 %, 60 s.
- Memory: the process's peak resident size (includes building the grid).

Targets: matrix <= 10 s, MCLP <= 60 s at a gap <= 0.5 %, peak memory <= 4 GB.

Run: ``.venv/bin/python bench/bench_city_siting.py`` (full size) or ``--smoke`` (tiny).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_city import demand_layer, grid_network

from geo.distance import cost_matrix_xy
from geo.network import Network
from geo.network.search import pair_search_each
from geo.siting import MCLP

TARGET_MATRIX_S, TARGET_MCLP_S, TARGET_GAP, TARGET_MB = 10.0, 60.0, 0.005, 4096.0
MAX_SNAP_M = 500.0


def inputs(
    net: Network, n_demand: int, n_candidates: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand xy, their weights, candidate xy (seeded)."""
    extent = np.array([net.node_xy.min(axis=0), net.node_xy.max(axis=0)])
    demand = demand_layer(n_demand, extent, n_communities=7500, seed=2)
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    rng = np.random.default_rng(5)
    candidates = rng.uniform(extent[0], extent[1], (n_candidates, 2))
    return xy, demand["elderly_60_plus"].to_numpy(float), candidates


def anchor(
    net: Network,
    demand_xy: np.ndarray,
    cand_xy: np.ndarray,
    matrix: sp.csr_array,
    *,
    sample: int,
    cutoff: float,
) -> dict[str, float]:
    """Per-candidate Dijkstra on ``sample`` candidates: time, extrapolation, exactness."""
    pick = np.random.default_rng(9).choice(len(cand_xy), size=sample, replace=False)
    t0 = time.perf_counter()
    rows, cols, vals = pair_search_each(
        net, demand_xy, cand_xy[pick], cutoff_m=cutoff, max_snap_m=MAX_SNAP_M, add_access=True
    )
    sample_s = time.perf_counter() - t0
    ours = matrix[:, pick].tocoo()
    same = len(rows) == ours.nnz
    diff = 0.0
    if same:
        theirs = {(int(r), int(c)): float(v) for r, c, v in zip(rows, cols, vals, strict=True)}
        mine = {
            (int(r), int(c)): float(v)
            for r, c, v in zip(ours.row, ours.col, ours.data, strict=True)
        }
        same = theirs.keys() == mine.keys()
        diff = max((abs(theirs[k] - mine[k]) for k in theirs), default=0.0) if same else np.inf
    return {
        "anchor_sample_s": sample_s,
        "anchor_s": sample_s * len(cand_xy) / sample,
        "same_pairs": float(same),
        "max_diff_m": diff,
    }


def measure(args: argparse.Namespace) -> dict[str, float]:
    side = round(float(np.sqrt(args.nodes)))
    t0 = time.perf_counter()
    net = grid_network(side, 30.0, seed=1)
    fig = {"build_s": time.perf_counter() - t0, "nodes": net.n_nodes}
    demand_xy, weights, cand_xy = inputs(net, args.demand, args.candidates)
    t0 = time.perf_counter()
    _ = net.snap_index.tree
    fig["index_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    costs = cost_matrix_xy(demand_xy, cand_xy, network=net, cutoff_m=args.cutoff)
    fig["matrix_s"] = time.perf_counter() - t0
    fig["pairs"] = costs.matrix.nnz
    fig |= anchor(net, demand_xy, cand_xy, costs.matrix, sample=args.sample, cutoff=args.cutoff)
    t0 = time.perf_counter()
    res = MCLP.from_cost_matrix(costs, p=args.p, weights=weights).solve(
        time_limit_s=TARGET_MCLP_S, mip_gap=TARGET_GAP
    )
    fig["mclp_s"] = time.perf_counter() - t0
    fig |= {"gap": res.gap, "covered": res.objective, "bound": res.bound}
    fig["total_weight"] = float(weights.sum())
    fig["status_optimal"] = float(res.status == "optimal")
    fig["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return fig


def report(args: argparse.Namespace, fig: dict[str, float]) -> None:
    print(
        f"grid: {fig['nodes']:,.0f} nodes (built in {fig['build_s']:.1f} s, snap index "
        f"{fig['index_s']:.2f} s); {args.demand:,} demand points, {args.candidates:,} "
        f"candidates, {args.cutoff:,.0f} m walking"
    )
    print(
        f"cost matrix (sweeps): {fig['matrix_s']:.2f} s, {fig['pairs']:,.0f} pairs "
        f"(target <= {TARGET_MATRIX_S:g} s)"
    )
    print(
        f"per-candidate Dijkstra: {fig['anchor_sample_s']:.2f} s for {args.sample} "
        f"candidates, extrapolated {fig['anchor_s']:.1f} s for {args.candidates:,}; "
        f"ratio anchor / mzgis: {fig['anchor_s'] / fig['matrix_s']:.1f}x"
    )
    same = "yes" if fig["same_pairs"] and fig["max_diff_m"] < 1e-3 else "NO"
    print(f"sample pairs equal to the anchor's: {same} (max difference {fig['max_diff_m']:.2e} m)")
    print(
        f"MCLP p = {args.p}: {fig['mclp_s']:.2f} s, covered {fig['covered']:,.0f} of "
        f"{fig['total_weight']:,.0f}, bound {fig['bound']:,.0f}, gap {100 * fig['gap']:.3f} % "
        f"(target <= {TARGET_MCLP_S:g} s at <= {100 * TARGET_GAP:g} %)"
    )
    print(
        f"peak memory: {fig['peak_mb']:.0f} MB (process max RSS, includes the grid build; "
        f"target {TARGET_MB:.0f} MB)"
    )
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--demand", type=int, default=250_000)
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--cutoff", type=float, default=1000.0, help="walking cutoff (m)")
    parser.add_argument("-p", type=int, default=200, help="new sites of the MCLP")
    parser.add_argument("--sample", type=int, default=100, help="anchor's sample of candidates")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    args = parser.parse_args(argv)
    if args.smoke:
        args.nodes, args.demand, args.candidates, args.p, args.sample = 3600, 2000, 60, 5, 10
        args.cutoff = 300.0
    fig = measure(args)
    report(args, fig)
    return fig


if __name__ == "__main__":
    main()
