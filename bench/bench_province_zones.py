"""Province-scale responsibility zones (责任片区) partitioned by district on Dask, against the
single-process solve.

A synthetic province: ``--districts`` districts (16: a 4 × 4 layout), each a synthetic city
of ``bench.synthetic_zones`` (the generator of ``bench_zones.py``: Voronoi blocks of a jittered
100 m grid, ``--streets`` rectangular streets, stations spread over each street, gamma-Poisson
workloads, capacities matching each street's workload +5 %) of about ``--blocks`` blocks and
``--stations`` stations, laid side by side so blocks touch across district borders. Codes
follow the divisions: district ``1101dd``, street ``1101ddsss``, block ``1101dd`` + 6 digits.
(``bench_province.py``'s generator makes demand points on a street grid, not blocks, so it
cannot feed zones.) Costs are straight-line distances to each block's 16 nearest stations
(and 16 nearest of its street); the band is ±15 %.

The zones are solved

1. in one process (:func:`geo.zones.solve` on the whole problem; best of ``--repeat``),
2. partitioned by district (:func:`geo.distributed.solve_zones_by_district`) in this
   process (``scheduler=None``), and
3. the same on Dask local clusters of each of ``--workers`` (default 1 and 2)
   single-threaded worker processes (start-up timed apart, the workers import the task
   modules as they start), once and then the best of ``--repeat`` more; Dask's task
   stream gives the tasks' compute time and the time they spent receiving their inputs,

then the bench checks that every Dask plan is identical to the in-process partitioned one
(assignment and solve info), counts the units where it differs from the single-process
plan and the cost difference, and prints the times, the ratios and the pickled size of the
tasks' inputs against the whole problem's. The inputs are a few MB (the cost matrix's
rows and columns of a district), so they travel with the tasks: unlike coverage's pieces
of network (:mod:`geo.distributed.pieces`), reading them from a shared directory would save
nothing measurable. Run: ``.venv/bin/python
bench/bench_province_zones.py`` (full) or ``--smoke``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dask_runs import cluster_line, on_cluster, ratio_line
from bench.synthetic_zones import synthetic_province
from geo.distributed import solve_zones_by_district, zone_parts
from geo.zones import ZonePlan, ZoneProblem, solve


def identical(a: ZonePlan, b: ZonePlan) -> bool:
    """Same assignment and the same solve info (but the time)."""
    if not np.array_equal(a.assignment, b.assignment) or a.info is None or b.info is None:
        return False
    return all(
        getattr(a.info, f.name) == getattr(b.info, f.name)
        for f in fields(a.info)
        if f.name != "seconds"
    )


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = run()
    return time.perf_counter() - t0, out


def payload_kb(problem: ZoneProblem) -> tuple[float, float, float]:
    """Pickled size (kB) of the whole problem, of the largest task input and of all."""
    parts, _ = zone_parts(problem, best_effort=True)
    sizes = [len(pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL)) / 1e3 for p in parts]
    whole = len(pickle.dumps(problem, protocol=pickle.HIGHEST_PROTOCOL)) / 1e3
    return whole, max(sizes), sum(sizes)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--districts", type=int, default=16, help="a square number")
    parser.add_argument("--blocks", type=int, default=600, help="blocks per district")
    parser.add_argument("--stations", type=int, default=60, help="stations per district")
    parser.add_argument("--streets", type=int, default=4, help="streets per district")
    parser.add_argument("--placement", choices=("spread", "random"), default="spread")
    parser.add_argument("--slack", type=float, default=0.05, help="capacity above workload")
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2")
    parser.add_argument("--repeat", type=int, default=3, help="runs (the best counts)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    args = parser.parse_args(argv)
    if args.smoke:
        args.districts, args.blocks, args.stations, args.streets = 4, 100, 8, 2
        args.repeat = 1
    units, stations = synthetic_province(
        args.districts,
        args.blocks,
        args.stations,
        n_streets=args.streets,
        placement=args.placement,
        slack=args.slack,
    )
    build_s, problem = timed(lambda: ZoneProblem.from_geodataframes(units, stations, k=16))
    single_s, single = timed(lambda: solve(problem, best_effort=True))
    for _ in range(args.repeat - 1):
        single_s = min(single_s, timed(lambda: solve(problem, best_effort=True))[0])
    inproc_s, inproc = timed(
        lambda: solve_zones_by_district(problem, scheduler=None, best_effort=True)
    )
    counts = [int(n) for n in str(args.workers).split(",")]
    clusters: dict[str, float] = {}
    plans: list[ZonePlan] = []
    for n in counts:
        got, more = on_cluster(
            n,
            lambda client: solve_zones_by_district(problem, scheduler=client, best_effort=True),
            repeat=args.repeat,
        )
        clusters.update({f"w{n}_{k}": v for k, v in got.items()})
        plans += more
    top = max(counts)
    dist = plans[-1]
    whole_kb, largest_kb, all_kb = payload_kb(problem)
    fig = {
        "units": float(problem.n_units),
        "stations": float(problem.n_stations),
        "build_s": build_s,
        "single_s": single_s,
        "inproc_s": inproc_s,
        **clusters,
        "top": float(top),
        "dask_s": clusters[f"w{top}_first_s"],
        "warm_s": clusters[f"w{top}_again_s"],
        "identical": float(all(identical(plan, inproc) for plan in plans)),
        "differ_units": float((dist.assignment != single.assignment).sum()),
        "cost_diff": dist.cost / single.cost - 1,
        "whole_kb": whole_kb,
        "largest_kb": largest_kb,
        "all_kb": all_kb,
    }
    report(args, fig, single)
    return fig


def report(args: argparse.Namespace, fig: dict[str, float], single: ZonePlan) -> None:
    info = single.info
    assert info is not None
    print(
        f"province: {args.districts} districts × {args.streets} streets; "
        f"{fig['units']:,.0f} blocks, {fig['stations']:,.0f} stations "
        f"(placement {args.placement}, capacity +{args.slack:.0%}); "
        f"problem built in {fig['build_s']:.2f} s"
    )
    print(
        f"single process (geo.zones.solve, best of {args.repeat}): {fig['single_s']:.2f} s "
        f"({info.method}, {info.groups} groups, gap {info.gap:.2%})"
    )
    print(f"partitioned, in process (scheduler=None):      {fig['inproc_s']:.2f} s")
    for n in [int(n) for n in str(args.workers).split(",")]:
        print(cluster_line(f"Dask local cluster, {n} worker(s):", fig, f"w{n}_"))
    print(ratio_line(fig["single_s"], fig["single_s"], fig, int(fig["top"])))
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"task inputs pickled: largest {fig['largest_kb']:,.0f} kB, all {fig['all_kb']:,.0f} kB;"
        f" the whole problem {fig['whole_kb']:,.0f} kB"
    )
    print(
        f"Dask identical to the in-process partitioned solve: {'yes' if fig['identical'] else 'no'}"
    )
    print(
        f"against the single-process solve: {fig['differ_units']:.0f} units differ, "
        f"cost {fig['cost_diff']:+.6%}"
    )


if __name__ == "__main__":
    main()
