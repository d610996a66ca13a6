"""Responsibility zones (责任片区): mzgis on a synthetic city, and spopt's capacitated
p-median (no contiguity) on a small instance of the same data, in one run.

The city (``bench.synthetic_zones.synthetic_city``, seeded) has irregular blocks (Voronoi cells
of a jittered 100 m grid) grouped into streets of about 250 blocks, stations spread over each
street, gamma-Poisson workloads (mean 20) and capacities matching each street's workload
+5 %; the band is ±15 %. Costs are straight-line distances to each block's 16 nearest
stations (and 16 nearest of its street). Two scenarios per size: zones inside streets (the
default, decomposed by street) and zones free to cross streets (one city-wide problem, 500 m
penalty per crossing). Printed per run: time to build the problem (adjacency + costs) and to
solve it, the share of contiguous zones, the cost above the LP bound, overload (workload above
the band) and underload as % of the total workload, stations outside their band, and peak
memory (tracemalloc peak of build + solve, measured in a second, traced run; HiGHS's own
allocations are not traced, so the process peak RSS is printed too).

Targets (10,000 blocks / 1,000 stations): <= 10 s in all, 100 % contiguous zones, cost <= 3 %
above the LP bound, overload <= 1 % of the total workload.

The reference: spopt ``PMedian.from_cost_matrix`` with ``facility_capacities`` (every station
open, capacity = the band's upper end, CBC) against mzgis (contiguity, band and streets on
top) on the same small instance; both times include building the model.

    .venv/bin/python bench/bench_zones.py             # 10,000 / 1,000 and 40,000 / 4,000
    .venv/bin/python bench/bench_zones.py --smoke     # tiny, a few seconds
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic_zones import synthetic_city  # noqa: E402
from geo.zones import ZonePlan, ZoneProblem, solve  # noqa: E402

FULL = ((10_000, 1_000), (40_000, 4_000))
SMOKE = ((600, 60),)
REFERENCE_FULL, REFERENCE_SMOKE = (200, 20), (60, 6)
TARGET_S, TARGET_GAP, TARGET_OVERLOAD = 10.0, 0.03, 0.01


def _build(units: Any, stations: Any, *, cross: bool) -> ZoneProblem:
    return ZoneProblem.from_geodataframes(
        units, stations, unit_id="block_id", k=16, allow_cross_street=cross
    )


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _build_and_solve(build: Callable[[], ZoneProblem]) -> ZonePlan:
    return solve(build(), best_effort=True)


def _peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def report(plan: ZonePlan, build_s: float, solve_s: float, peak_mb: float, *, target: bool) -> None:
    """Print the figures of one run (and the targets when they apply)."""
    p, info = plan.problem, plan.info
    assert info is not None
    stations = plan.station_table()
    total = float(p.workload.sum())
    over = float(np.maximum(plan.loads - p.upper, 0).sum()) / total
    under = float(np.maximum(p.lower - plan.loads, 0).sum()) / total
    contiguous = float((stations["pieces"] == 1).mean())
    above_lp = plan.cost / info.lp_bound - 1
    all_s = build_s + solve_s
    print(f"  time: build {build_s:.2f} s + solve {solve_s:.2f} s = {all_s:.2f} s")
    print(
        f"  contiguous zones: {contiguous:.1%}   homes inside: {stations['home_inside'].mean():.1%}"
    )
    print(f"  cost above LP bound: {above_lp:.2%}   (gap to best bound {info.gap:.2%})")
    print(f"  overload: {over:.3%} of total workload   underload: {under:.3%}")
    print(f"  stations outside band: {len(info.out_of_band)} of {p.n_stations}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory (tracemalloc, build + solve): {peak_mb:.0f} MB")
    print(f"  process peak RSS so far (includes HiGHS, Python, libraries): {rss_mb:.0f} MB")
    if target:
        checks = [
            ("time <= 10 s", all_s <= TARGET_S),
            ("100 % contiguous", contiguous == 1.0),
            ("<= 3 % above LP bound", above_lp <= TARGET_GAP),
            ("overload <= 1 %", over <= TARGET_OVERLOAD),
        ]
        print("  targets: " + ", ".join(f"{n} {'PASS' if ok else 'FAIL'}" for n, ok in checks))


def bench_city(n_blocks: int, n_stations: int, *, targets: bool) -> None:
    units, stations = synthetic_city(n_blocks, n_stations, seed=1)
    for cross in (False, True):
        label = "zones may cross streets" if cross else "zones inside streets"
        print(f"\n{len(units):,} blocks / {len(stations):,} stations, {label}")
        build = partial(_build, units, stations, cross=cross)
        problem, build_s = _timed(build)
        plan, solve_s = _timed(partial(solve, problem, best_effort=True))
        peak = _peak_mb(partial(_build_and_solve, build))
        report(plan, build_s, solve_s, peak, target=targets and not cross)


def bench_reference(n_blocks: int, n_stations: int) -> None:
    """spopt's capacitated p-median against mzgis on one small instance."""
    import pulp
    from spopt.locate import PMedian

    units, stations = synthetic_city(n_blocks, n_stations, seed=1)
    print(f"\nReference: {len(units)} blocks / {len(stations)} stations, one problem")
    uxy = units.geometry.centroid.get_coordinates().to_numpy()
    sxy = stations.geometry.get_coordinates().to_numpy()
    dist = np.hypot(*(uxy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1))
    w = units["basic_recipients"].to_numpy(dtype=float)
    upper = stations["capacity_persons"].to_numpy(dtype=float) * 1.15

    def run_spopt() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = PMedian.from_cost_matrix(dist, w, len(upper), facility_capacities=upper)
            model.solve(pulp.PULP_CBC_CMD(msg=False))
        return float(pulp.value(model.problem.objective))

    def run_mzgis() -> ZonePlan:
        problem = ZoneProblem.from_geodataframes(
            units, stations, unit_id="block_id", allow_cross_street=True, cross_penalty_m=0.0
        )
        return solve(problem, best_effort=True)

    sp_obj, sp_s = _timed(run_spopt)
    plan, mz_s = _timed(run_mzgis)
    print(f"  spopt capacitated PMedian (CBC, no contiguity, no lower band): {sp_s:.2f} s")
    print(f"  mzgis zones (contiguity, ±15 % band): {mz_s:.2f} s")
    print(f"  ratio spopt / mzgis: {sp_s / mz_s:.1f}x")
    print(
        f"  objective: spopt {sp_obj:,.0f}, mzgis {plan.cost:,.0f} ({plan.cost / sp_obj - 1:+.2%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    args = parser.parse_args()
    for n_blocks, n_stations in SMOKE if args.smoke else FULL:
        bench_city(n_blocks, n_stations, targets=not args.smoke and n_blocks == 10_000)
    bench_reference(*(REFERENCE_SMOKE if args.smoke else REFERENCE_FULL))


if __name__ == "__main__":
    main()
