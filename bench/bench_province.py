"""Province-scale coverage partitioned by district on Dask, against the single-process run.

A synthetic province: ``--districts`` districts (16: a 4 × 4 layout) of one jittered street
grid, each district a square of about ``--nodes`` nodes (4 % of the streets removed),
with demand points and stations scattered over it. Demand points carry 12-digit
community codes under 9-digit street and 6-digit district codes. Coverage at the
life-circle tiers (300 / 500 / 1,000 m walking) with roll-ups by community, street and
district runs

1. in one process (:func:`geo.coverage.coverage`, search bounded at 1,000 m), and
2. partitioned by district (:func:`geo.distributed.coverage_by_district`) on a Dask local
   cluster of ``--workers`` single-threaded worker processes (start-up timed apart),
   and in this process (``scheduler=None``),

then checks that the per-point answers and the roll-ups are equal and prints the times and
the ratio. Run: ``.venv/bin/python bench/bench_province.py`` (full) or ``--smoke``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.coverage import CoverageResult, coverage
from geo.distributed import coverage_by_district
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


def timed(run: object) -> tuple[float, CoverageResult, dict[str, pd.DataFrame]]:
    t0 = time.perf_counter()
    result = run()  # type: ignore[operator]
    out = tables(result)
    return time.perf_counter() - t0, result, out


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--districts", type=int, default=16, help="a square number")
    parser.add_argument("--nodes", type=int, default=50_000, help="nodes per district")
    parser.add_argument("--demand", type=int, default=15_000, help="points per district")
    parser.add_argument("--stations", type=int, default=70, help="stations per district")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--spacing", type=float, default=30.0, help="grid spacing (m)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    args = parser.parse_args(argv)
    if args.smoke:
        args.districts, args.nodes, args.demand, args.stations = 4, 900, 300, 3
    layout = round(float(np.sqrt(args.districts)))
    side = round(float(np.sqrt(args.nodes)))
    t0 = time.perf_counter()
    net = province_grid(layout, side, args.spacing, seed=1)
    build_s = time.perf_counter() - t0
    size_m = side * args.spacing
    n_d = layout * layout
    demand, stations = province_layers(
        layout, size_m, args.demand * n_d, args.stations * n_d, seed=2
    )
    single_s, _, single = timed(
        lambda: coverage(demand, stations, kind="stations", network=net, search_m=1000.0)
    )
    inproc_s, _, inproc = timed(
        lambda: coverage_by_district(demand, stations, net, kind="stations", scheduler=None)
    )
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        start_s = time.perf_counter() - t0
        dask_s, _, dist = timed(
            lambda: coverage_by_district(demand, stations, net, kind="stations", scheduler=client)
        )
    ok_dist, diff_dist = compare(single, dist)
    ok_inproc, diff_inproc = compare(single, inproc)
    fig = {
        "build_s": build_s,
        "single_s": single_s,
        "inproc_s": inproc_s,
        "start_s": start_s,
        "dask_s": dask_s,
        "equal": float(ok_dist and ok_inproc),
        "max_diff_m": max(diff_dist, diff_inproc),
        "nodes": float(net.n_nodes),
    }
    report(args, net, len(demand), len(stations), fig)
    return fig


def report(
    args: argparse.Namespace, net: Network, n_demand: int, n_stations: int, fig: dict
) -> None:
    print(
        f"province: {args.districts} districts, {net.n_nodes:,} nodes, {net.n_edges:,} "
        f"segments (built in {fig['build_s']:.1f} s); {n_demand:,} demand points, "
        f"{n_stations:,} stations; tiers 300/500/1000 m, roll-ups community/street/district"
    )
    print(f"single process (geo.coverage.coverage):       {fig['single_s']:.2f} s")
    print(f"partitioned, in process (scheduler=None):     {fig['inproc_s']:.2f} s")
    print(
        f"partitioned, Dask local cluster, {args.workers} workers:  {fig['dask_s']:.2f} s "
        f"(+ {fig['start_s']:.1f} s cluster start-up)"
    )
    print(f"ratio single / Dask: {fig['single_s'] / fig['dask_s']:.2f}")
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"results equal: {'yes' if fig['equal'] else 'no'} (ids, covered flags, roll-ups "
        f"exactly; largest distance difference {fig['max_diff_m']:.1e} m)"
    )


if __name__ == "__main__":
    main()
