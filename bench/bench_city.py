"""City-scale coverage: a synthetic street grid of about a million nodes.

Builds a jittered street grid (some blocks merged: 4 % of the streets removed), saves and
reloads it as ``.npz``, then runs the full coverage analysis of ``--demand`` weighted
points by ``--stations`` facilities at the life-circle tiers (300 / 500 / 1,000 m walking)
with roll-ups by community, street and district. Prints build, load and snap-index times,
the analysis time against the 2 s target beside the floor (scipy's bare multi-source
Dijkstra on the same graph, target within 2x), where the analysis spends its time (stage
profile of one run), and peak memory against the 2 GB target.

Run: ``.venv/bin/python bench/bench_city.py`` (full size) or ``--smoke`` (tiny).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.coverage import coverage
from geo.network import Network, build_network_from_arrays, load_network, save_network

#: a projected CRS (CGCS2000 / 3-degree Gauss-Kruger CM 117E), around Beijing
CRS = "EPSG:4548"
ORIGIN = np.array([480_000.0, 4_400_000.0])
TARGET_S, TARGET_MB = 2.0, 2048.0


def grid_network(side: int, spacing_m: float, seed: int) -> Network:
    """A ``side`` × ``side`` street grid, nodes jittered, 4 % of streets removed."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    jitter = rng.uniform(-0.2, 0.2, (side * side, 2)) * spacing_m
    iy, ix = np.divmod(np.arange(side * side), side)
    xy = ORIGIN + np.column_stack([ix, iy]) * spacing_m + jitter
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.04
    return build_network_from_arrays(
        np.arange(side * side), xy, u[keep], v[keep], crs=CRS, source="synthetic grid"
    )


def demand_layer(n: int, extent: np.ndarray, n_communities: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` weighted points with 12-digit community codes (9-digit streets, 6-digit
    districts) laid out as square tiles over the extent."""
    rng = np.random.default_rng(seed)
    (x0, y0), (x1, y1) = extent
    xy = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    tiles = int(np.ceil(np.sqrt(n_communities)))
    tx = np.minimum(((xy[:, 0] - x0) / (x1 - x0) * tiles).astype(int), tiles - 1)
    ty = np.minimum(((xy[:, 1] - y0) / (y1 - y0) * tiles).astype(int), tiles - 1)
    community = ty * tiles + tx
    street = (ty // 5) * tiles + tx // 5
    district = street % 16
    codes = pd.Series(
        [
            f"1101{d:02d}{s % 1000:03d}{c % 1000:03d}"
            for d, s, c in zip(district, street, community, strict=True)
        ]
    )
    population = rng.integers(1, 12, n)
    return gpd.GeoDataFrame(
        {
            "community_code": codes,
            "population": population,
            "elderly_60_plus": rng.binomial(population, 0.2),
        },
        geometry=shapely.points(xy),
        crs=CRS,
    )


def stations_layer(n: int, extent: np.ndarray, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    (x0, y0), (x1, y1) = extent
    xy = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    ids = [f"S{i:05d}" for i in range(n)]
    return gpd.GeoDataFrame({"station_id": ids}, geometry=shapely.points(xy), crs=CRS)


def analyse(net: Network, demand: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> dict:
    result = coverage(demand, stations, kind="stations", network=net)
    tables = {
        lvl: result.rollup(lvl, geometry=False) for lvl in ("community", "street", "district")
    }
    return {"result": result, **tables}


def load_grid(nodes: int, spacing_m: float) -> tuple[Network, dict[str, float]]:
    """Build the grid, save it, reload it; the times and file size."""
    side = round(float(np.sqrt(nodes)))
    t0 = time.perf_counter()
    net = grid_network(side, spacing_m, seed=1)
    fig = {"build_s": time.perf_counter() - t0}
    with tempfile.TemporaryDirectory() as tmp:
        path = save_network(net, Path(tmp) / "city.network.npz")
        fig["file_mb"] = path.stat().st_size / 2**20
        t0 = time.perf_counter()
        net = load_network(path)
        fig["load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _ = net.snap_index.tree
    _ = net.snap_index.grid  # the cell grid large batches snap through (built once, kept)
    fig["index_s"] = time.perf_counter() - t0
    fig["grid_mb"] = net.snap_index.grid.nbytes / 2**20
    return net, fig


def bare_sources(net: Network, stations: gpd.GeoDataFrame) -> np.ndarray:
    """The floor's sources: the stations' nearest segment ends."""
    xy = np.column_stack([stations.geometry.x, stations.geometry.y])
    return np.asarray(net.edge_u[net.snap_index.snap(xy).edge])


def bare_dijkstra(net: Network, nodes: np.ndarray) -> None:
    """The floor: scipy's multi-source Dijkstra on the bare graph from ``nodes`` (no
    snapping of demand, no labels, no roll-ups)."""
    dijkstra(net.graph, directed=True, indices=nodes, min_only=True)


#: (label, function, caller or None): the stages of one analysis, by their functions
STAGES = (
    ("demand points", "demand_points", None),
    ("snap + augment facilities", "sources_graph", None),
    ("snap demand", "snap_points", "nearest_search"),
    ("locate demand on pieces", "locate", None),
    ("multi-source Dijkstra", "_multi_source", None),
    ("roll-ups", "rollup", None),
)


def stage_profile(net: Network, demand: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> dict:
    """Seconds spent in each stage of one analysis (under cProfile: a few hundred calls,
    so its overhead is small), and the total."""
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.runcall(analyse, net, demand, stations)
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    out = {}
    for label, name, caller in STAGES:
        spent = 0.0
        for (_, _, func), (_, _, _, cum, callers) in stats.items():
            if func != name:
                continue
            if caller is None:
                spent += cum
            else:
                spent += sum(v[3] for (_, _, f), v in callers.items() if f == caller)
        out[label] = spent
    out["other"] = total - sum(out.values())
    out["total"] = total
    return out


def _timed(run: Any, *args: Any) -> tuple[Any, float, float]:
    """``run(*args)``, its wall-clock and its CPU seconds (this process, all threads)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = run(*args)
    return out, time.perf_counter() - t0, time.process_time() - c0


def measure(
    net: Network, demand: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, repeat: int
) -> dict[str, Any]:
    """Time the analysis and the bare Dijkstra ``repeat`` times each, taking turns (so
    a change of load on the machine touches both alike), then profile its stages and
    trace its memory once."""
    nodes = bare_sources(net, stations)
    runs, bare, cpu, bare_cpu = [], [], [], []
    for _ in range(repeat):
        out, wall_s, cpu_s = _timed(analyse, net, demand, stations)
        runs.append(wall_s)
        cpu.append(cpu_s)
        _, wall_s, cpu_s = _timed(bare_dijkstra, net, nodes)
        bare.append(wall_s)
        bare_cpu.append(cpu_s)
    stages = stage_profile(net, demand, stations)
    tracemalloc.start()
    analyse(net, demand, stations)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    total = out["district"]
    return {
        "run_s": min(runs),
        "bare_s": min(bare),
        "cpu_s": min(cpu),
        "bare_cpu_s": min(bare_cpu),
        "first_s": runs[0],
        "runs": len(runs),
        "traced_mb": traced / 2**20,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "covered": int(total["population_covered_1000m"].sum()),
        "total": int(total["population"].sum()),
        "stages": stages,
    }


def report(net: Network, n_demand: int, n_stations: int, fig: dict[str, Any]) -> None:
    run_s = fig["run_s"]
    verdict = "within" if run_s <= TARGET_S else "OVER"
    print(
        f"grid: {net.n_nodes:,} nodes, {net.n_edges:,} segments; "
        f"{n_demand:,} demand points, {n_stations:,} stations, tiers 300/500/1000 m"
    )
    print(
        f"build {fig['build_s']:.2f} s | file {fig['file_mb']:.0f} MB | "
        f"load {fig['load_s']:.3f} s | snap index {fig['index_s']:.2f} s "
        f"(KD-tree + cell grid of {fig['grid_mb']:.0f} MB, built once per network)"
    )
    print(
        f"coverage + roll-ups (community/street/district): {run_s:.2f} s best of "
        f"{fig['runs']:.0f}, first run {fig['first_s']:.2f} s "
        f"(target {TARGET_S:.0f} s: {verdict}, target / best = {TARGET_S / run_s:.2f})"
    )
    print(
        f"bare scipy multi-source Dijkstra on the same graph: {fig['bare_s']:.2f} s; "
        f"coverage / bare = {run_s / fig['bare_s']:.2f}x (target <= 2x)"
    )
    print(
        f"CPU seconds (best of {fig['runs']:.0f}, turns taken): coverage {fig['cpu_s']:.2f} s, "
        f"bare {fig['bare_cpu_s']:.2f} s, coverage / bare = "
        f"{fig['cpu_s'] / fig['bare_cpu_s']:.2f}x"
    )
    stages = fig["stages"]
    print(
        "stages of one run: "
        + ", ".join(f"{k} {v:.3f} s" for k, v in stages.items() if k != "total")
        + f" (total {stages['total']:.2f} s)"
    )
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    share = fig["covered"] / fig["total"]
    print(f"covered at 1000 m: {fig['covered']:,} of {fig['total']:,} residents ({share:.1%})")
    print(
        f"peak memory: process {fig['peak_mb']:.0f} MB (max RSS, includes the build), "
        f"analysis {fig['traced_mb']:.0f} MB traced (target {TARGET_MB:.0f} MB)"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=1112)
    parser.add_argument("--demand", type=int, default=250_000)
    parser.add_argument("--spacing", type=float, default=30.0, help="grid spacing (m)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the analysis")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    args = parser.parse_args(argv)
    if args.smoke:
        args.nodes, args.stations, args.demand = 3600, 12, 2000
    net, fig = load_grid(args.nodes, args.spacing)
    extent = np.array([net.node_xy.min(axis=0), net.node_xy.max(axis=0)])
    demand = demand_layer(args.demand, extent, n_communities=7500, seed=2)
    stations = stations_layer(args.stations, extent, seed=3)
    fig |= measure(net, demand, stations, args.repeat)
    report(net, len(demand), len(stations), fig)
    return fig


if __name__ == "__main__":
    main()
