"""Province-scale coverage partitioned by district on Dask, against the single-process run.

A synthetic province: ``--districts`` districts (16: a 4 × 4 layout) of one jittered street
grid, each district a square of about ``--nodes`` nodes (4 % of the streets removed),
with demand points and stations scattered over it. Demand points carry 12-digit
community codes under 9-digit street and 6-digit district codes. Coverage at the
life-circle tiers (300 / 500 / 1,000 m walking) with roll-ups by community, street and
district runs

1. in one process (:func:`geo.coverage.coverage`, search bounded at 1,000 m), once (the
   first run builds the whole network's snap index, which the network keeps) and the best
   of ``--repeat`` more;
2. partitioned by district (:func:`geo.distributed.coverage_by_district`): the districts'
   pieces of network and demand points are written once to a directory
   (:func:`geo.distributed.pieces.write_pieces`, timed), then the run reads them in this
   process, and on Dask local clusters of each of ``--workers`` single-threaded worker
   processes (start-up timed apart): the first run reads the pieces, the best of
   ``--repeat`` more finds them in the workers' memory. Dask's task stream gives the tasks' compute
   time and the time they spent receiving their inputs;
3. as before this change: the pieces sent with the tasks (scattered) on the largest
   cluster,

then checks that the per-point answers and the roll-ups of every run equal the single
run's and prints the times and ratios. Run: ``.venv/bin/python bench/bench_province.py``
(full) or ``--smoke``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dask_runs import cluster_line, on_cluster, ratio_line
from geo.coverage import CoverageResult, coverage
from geo.coverage.demand import demand_points
from geo.distributed import coverage_by_district, district_keys
from geo.distributed.pieces import PieceInputs, write_pieces
from geo.network import Network, build_network_from_arrays

CRS = "EPSG:4548"
ORIGIN = np.array([420_000.0, 4_380_000.0])
LEVELS = ("community", "street", "district")
#: distances must agree to a micrometre; they differ by a few 1e-9 m because the segment
#: offsets come from a cumulative sum over the whole network's pieces (rounding grows with
#: the network's total length), see the report
ATOL_M = 1e-6


def province_grid(layout: int, side: int, spacing_m: float, seed: int) -> Network:
    """One street grid of ``layout`` × ``layout`` districts of ``side`` × ``side`` nodes."""
    rng = np.random.default_rng(seed)
    n = layout * side
    idx = np.arange(n * n).reshape(n, n)
    iy, ix = np.divmod(np.arange(n * n), n)
    xy = ORIGIN + np.column_stack([ix, iy]) * spacing_m
    xy += rng.uniform(-0.2, 0.2, (n * n, 2)) * spacing_m
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.04
    return build_network_from_arrays(
        np.arange(n * n), xy, u[keep], v[keep], crs=CRS, source="synthetic province"
    )


def _codes(xy: np.ndarray, layout: int, size_m: float) -> list[str]:
    """District (4 × 4 tiles), street (5 × 5 per district) and community (4 × 4 per
    street) codes of points, by position."""
    rel = (xy - ORIGIN) / size_m
    tile = np.clip(np.floor(rel).astype(int), 0, layout - 1)
    district = tile[:, 1] * layout + tile[:, 0]
    inner = np.clip(np.floor((rel - tile) * 20).astype(int), 0, 19)
    street = (inner[:, 1] // 4) * 5 + inner[:, 0] // 4
    community = (inner[:, 1] % 4) * 4 + inner[:, 0] % 4
    return [
        f"1101{d + 1:02d}{s + 1:03d}{c + 1:03d}"
        for d, s, c in zip(district, street, community, strict=True)
    ]


def province_layers(
    layout: int, size_m: float, n_demand: int, n_stations: int, seed: int
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Demand points with codes and population, and stations, over the province."""
    rng = np.random.default_rng(seed)
    span = layout * size_m
    xy = ORIGIN + rng.uniform(0, span, (n_demand, 2))
    population = rng.integers(1, 12, n_demand)
    demand = gpd.GeoDataFrame(
        {
            "community_code": pd.Series(_codes(xy, layout, size_m)),
            "population": population,
            "elderly_60_plus": rng.binomial(population, 0.2),
        },
        geometry=shapely.points(xy),
        crs=CRS,
    )
    sxy = ORIGIN + rng.uniform(0, span, (n_stations, 2))
    ids = [f"S{i:05d}" for i in range(n_stations)]
    stations = gpd.GeoDataFrame({"station_id": ids}, geometry=shapely.points(sxy), crs=CRS)
    return demand, stations


def tables(result: CoverageResult) -> dict[str, pd.DataFrame]:
    """The per-point answers and the roll-ups compared between runs."""
    points = pd.DataFrame(result.points.drop(columns="geometry"))
    out = {lvl: pd.DataFrame(result.rollup(lvl, geometry=False)) for lvl in LEVELS}
    return {"points": points, **out}


def compare(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> tuple[bool, float]:
    """Whether the runs agree (same ids, flags and counts; distances to ``ATOL_M``) and
    the largest distance difference."""
    same, worst = True, 0.0
    for key, first in a.items():
        left, right = first, b[key]
        if key == "points":
            cols = ["distance_m", "snap_m"]
            for col in cols:
                da, db = left[col].to_numpy(), right[col].to_numpy()
                same &= bool(np.array_equal(np.isnan(da), np.isnan(db)))
                both = ~np.isnan(da) & ~np.isnan(db)
                worst = max(worst, float(np.abs(da[both] - db[both]).max(initial=0.0)))
            left, right = left.drop(columns=cols), right.drop(columns=cols)
        try:
            pd.testing.assert_frame_equal(left, right)
        except AssertionError:
            same = False
    return same and worst <= ATOL_M, worst


def timed(run: Callable[[], CoverageResult]) -> tuple[float, dict[str, pd.DataFrame]]:
    """The time of the analysis (the tables compared are built after the clock stops: the
    same work for every run, timed once apart)."""
    t0 = time.perf_counter()
    result = run()
    return time.perf_counter() - t0, tables(result)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--districts", type=int, default=16, help="a square number")
    parser.add_argument("--nodes", type=int, default=50_000, help="nodes per district")
    parser.add_argument("--demand", type=int, default=15_000, help="points per district")
    parser.add_argument("--stations", type=int, default=70, help="stations per district")
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2")
    parser.add_argument("--spacing", type=float, default=30.0, help="grid spacing (m)")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (the best counts)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    args = parser.parse_args(argv)
    if args.smoke:
        args.districts, args.nodes, args.demand, args.stations = 4, 900, 300, 3
        args.repeat = 1
    layout = round(float(np.sqrt(args.districts)))
    side = round(float(np.sqrt(args.nodes)))
    t0 = time.perf_counter()
    net = province_grid(layout, side, args.spacing, seed=1)
    build_s = time.perf_counter() - t0
    n_d = layout * layout
    demand, stations = province_layers(
        layout, side * args.spacing, args.demand * n_d, args.stations * n_d, seed=2
    )
    fig: dict[str, float] = {"build_s": build_s, "nodes": float(net.n_nodes)}

    def run_single() -> CoverageResult:
        return coverage(demand, stations, kind="stations", network=net, search_m=1000.0)

    fig["single_first_s"], single = timed(run_single)
    fig["single_s"] = min(timed(run_single)[0] for _ in range(args.repeat))
    t0 = time.perf_counter()
    tables(run_single())
    fig["tables_s"] = time.perf_counter() - t0 - fig["single_s"]
    with tempfile.TemporaryDirectory(prefix="bench-province-") as directory:
        runs = run_all(args, net, demand=demand, stations=stations, directory=directory, fig=fig)
    diffs = [compare(single, out) for out in runs]
    fig["equal"] = float(all(ok for ok, _ in diffs))
    fig["max_diff_m"] = max(diff for _, diff in diffs)
    report(args, net, len(demand), len(stations), fig)
    return fig


def run_all(
    args: argparse.Namespace,
    net: Network,
    *,
    demand: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    directory: str,
    fig: dict[str, float],
) -> list[dict[str, pd.DataFrame]]:
    """The partitioned runs: pieces written once, in process, on 1 and 2 workers reading
    them, and on 2 workers with the pieces sent (as before); figures into ``fig``."""

    def run(scheduler: Any, pieces_dir: str | None = directory) -> CoverageResult:
        return coverage_by_district(
            demand, stations, net, kind="stations", scheduler=scheduler, pieces_dir=pieces_dir
        )

    points = demand_points(demand, crs=net.pyproj_crs)
    names, which = np.unique(district_keys(points.units)[points.unit], return_inverse=True)
    written = write_pieces(directory, PieceInputs(net, points.xy, which, names, reach_m=1500.0))
    fig["write_s"] = written.seconds
    fig["pieces_mb"] = sum(f.stat().st_size for f in written.directory.iterdir()) / 1e6
    fig["inproc_s"], out = timed(lambda: run(None))
    outs = [out]
    keys = [p for p in Path(directory).iterdir() if p.is_dir()]
    assert keys == [written.directory], "the run wrote its own pieces: reach_m differs"
    counts = [int(n) for n in str(args.workers).split(",")]
    for n in counts:
        got, more = on_cluster(n, run, keep=tables, repeat=args.repeat)
        fig.update({f"w{n}_{k}": v for k, v in got.items()})
        outs += more
    top = max(counts)
    got, more = on_cluster(top, lambda client: run(client, pieces_dir=None), keep=tables)
    fig.update({f"sent_{k}": v for k, v in got.items()})
    fig["dask_s"], fig["top"] = fig[f"w{top}_again_s"], float(top)
    return outs + more


def report(
    args: argparse.Namespace, net: Network, n_demand: int, n_stations: int, fig: dict
) -> None:
    load = f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(
        f"province: {args.districts} districts, {net.n_nodes:,} nodes, {net.n_edges:,} "
        f"segments (built in {fig['build_s']:.1f} s); {n_demand:,} demand points, "
        f"{n_stations:,} stations; tiers 300/500/1000 m, roll-ups community/street/district"
    )
    print(
        f"single process (geo.coverage.coverage): first run {fig['single_first_s']:.2f} s "
        f"(with the whole network's snap index), again {fig['single_s']:.2f} s (best of "
        f"{args.repeat}); the tables "
        f"of a result (points, roll-ups; not in the times below or above) "
        f"{fig['tables_s']:.2f} s"
    )
    print(
        f"district pieces written once: {fig['write_s']:.2f} s ({args.districts} districts, "
        f"{fig['pieces_mb']:,.0f} MB); partitioned in process, reading them: "
        f"{fig['inproc_s']:.2f} s"
    )
    for n in [int(n) for n in str(args.workers).split(",")]:
        print(
            cluster_line(f"Dask local cluster, {n} worker(s), pieces read by key:", fig, f"w{n}_")
        )
    top = int(fig["top"])
    print(cluster_line(f"before: {top} worker(s), pieces sent with the tasks:", fig, "sent_"))
    print(ratio_line(fig["single_first_s"], fig["single_s"], fig, top))
    print(f"{load} at the end of the run")
    print(
        f"results equal: {'yes' if fig['equal'] else 'no'} (ids, covered flags, roll-ups "
        f"exactly; largest distance difference {fig['max_diff_m']:.1e} m)"
    )


if __name__ == "__main__":
    main()
