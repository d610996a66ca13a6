"""Community size adjustment (社区规模调整): the demo's communities over 3,000 households and a
synthetic city of 500 flagged communities, with spopt's AZP on the demo's blocks in one run.

mzgis cuts each flagged community into street blocks (roads polygonized inside it, slivers
merged, counts apportioned by area), then splits it into ``k`` contiguous parts of 1,000–3,000
households with the zones engine. Printed per case: communities, blocks, time to make the
blocks and to split, proposals within the band, the gap to the best bound (the exact optimum
for the centres chosen, where a community is solved exactly) and the cost above the
transportation LP's bound (band kept, contiguity dropped), parts, mean compactness and blocks
cut for lack of a road.

Target: the demo's 35 communities over 3,000 households resized in <= 10 s in all.

The reference: spopt ``AZP`` (automatic zoning, contiguous, ``k`` fixed, block centroids as
attributes so that it groups nearby blocks; no household band) on the same blocks and ``k``
against mzgis's split alone (blocks given as a units layer), both timed in this process;
printed: the times and their ratio, parts in band, and the moment of inertia (households × m²
to the part's best centre) of AZP's parts against mzgis's.

    .venv/bin/python bench/bench_communities.py           # demo 35 + synthetic 500
    .venv/bin/python bench/bench_communities.py --smoke   # demo's 4 over 5,000 + 12
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic_communities import synthetic_communities  # noqa: E402
from geo.communities import ResizeResult, resize_communities  # noqa: E402
from geo.zones import polygon_adjacency  # noqa: E402
from layers import open_store  # noqa: E402
from layers.demo import DEFAULT_RAW_DIR, build_demo  # noqa: E402

TARGET_S = 10.0


def _demo() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.gpkg"
        build_demo(DEFAULT_RAW_DIR, path, seed=2023)
        store = open_store(path)
        try:
            return store.read("communities"), store.read("roads")
        finally:
            store.close()


def report(result: ResizeResult, label: str, *, target: bool) -> None:
    """Print the figures of one run."""
    valid = result.validation()
    parts = result.parts_gdf()
    blocks = result.blocks_gdf()
    gaps = valid["gap"].dropna().clip(lower=0.0)
    above_lp = valid["lp_gap"].dropna().clip(lower=0.0)
    proposed = int((valid["status"] == "proposed").sum())
    print(f"\n{label}: {len(valid)} communities, {len(blocks):,} blocks, {len(parts)} parts")
    print(f"  time: {result.seconds:.2f} s (blocks + split)")
    print(f"  proposals within band, contiguous: {proposed} of {len(valid)}")
    print(f"  gap to the best bound: max {gaps.max():.3%}, mean {gaps.mean():.3%}")
    print(f"  cost above the LP bound: max {above_lp.max():.2%}, mean {above_lp.mean():.2%}")
    print(f"  parts in band: {parts['in_band'].mean():.1%}")
    print(f"  mean compactness (Polsby-Popper): {parts['compactness'].mean():.3f}")
    print(f"  blocks cut for lack of a road: {int(blocks['cut'].sum())}")
    if target:
        ok = result.seconds <= TARGET_S and proposed == len(valid)
        print(f"  target: all resized in <= {TARGET_S:.0f} s {'PASS' if ok else 'FAIL'}")


def _inertia(xy: np.ndarray, w: np.ndarray, labels: np.ndarray) -> float:
    """Households × squared distance to each part's best centre block."""
    total = 0.0
    for j in np.unique(labels):
        members = np.flatnonzero(labels == j)
        d2 = ((xy[members, None, :] - xy[None, members, :]) ** 2).sum(axis=2)
        total += float((w[members] @ d2).min())
    return total


def _azp(blocks: gpd.GeoDataFrame, k: int) -> np.ndarray:
    from libpysal.weights import W
    from spopt.region import AZP

    adj = polygon_adjacency(blocks.geometry.values, tolerance_m=0.05)
    neighbours = {
        i: adj.indices[adj.indptr[i] : adj.indptr[i + 1]].tolist() for i in range(len(blocks))
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AZP(
            blocks, W(neighbours, silence_warnings=True), ["x", "y"], n_clusters=k, random_state=0
        )
        model.solve()
    return np.asarray(model.labels_).astype(np.intp)


def reference(result: ResizeResult, communities: gpd.GeoDataFrame) -> None:
    """spopt AZP against mzgis's split on the same blocks and k."""
    blocks = result.blocks_gdf().to_crs(result.proposals[0].blocks.crs)
    units = blocks.drop(columns=["part_code", "proposal"])
    codes = [p.community_code for p in result.proposals]
    ks = {p.community_code: p.parts for p in result.proposals}
    t0 = time.perf_counter()
    ours = resize_communities(
        communities, units=units.to_crs(communities.crs), codes=codes, parts=ks
    )
    ours_s = time.perf_counter() - t0
    azp_s, in_band, worse = 0.0, [], []
    lo, hi = result.band
    for p in ours.proposals:
        b = p.blocks.copy()
        xy = shapely.get_coordinates(shapely.centroid(b.geometry.values))
        b["x"], b["y"] = xy[:, 0], xy[:, 1]
        w = b["households"].to_numpy(dtype=float)
        t0 = time.perf_counter()
        labels = _azp(b, p.parts)
        azp_s += time.perf_counter() - t0
        loads = np.bincount(labels, weights=w)
        in_band.extend(((loads >= lo) & (loads <= hi)).tolist())
        worse.append(_inertia(xy, w, labels) / _inertia(xy, w, p.split.part) - 1)
    mz_band = ours.parts_gdf()["in_band"].mean()
    print(f"\nreference on the same blocks and k ({len(ours.proposals)} communities):")
    print(f"  mzgis split {ours_s:.2f} s, parts in band {mz_band:.1%}")
    print(f"  spopt AZP   {azp_s:.2f} s, parts in band {np.mean(in_band):.1%} (no band in AZP)")
    print(f"  AZP moment of inertia vs mzgis: mean {np.mean(worse):+.1%}, min {np.min(worse):+.1%}")
    print(f"  ratio spopt / mzgis: {azp_s / ours_s:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds")
    args = parser.parse_args()
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    communities, roads = _demo()
    codes = None
    if args.smoke:
        codes = communities.loc[communities["households"] > 5000, "code"].tolist()
    demo = resize_communities(communities, roads=roads, codes=codes)
    report(demo, "demo (东城 + 西城)", target=not args.smoke)
    reference(demo, communities)
    n = 12 if args.smoke else 500
    city, city_roads = synthetic_communities(n, seed=1)
    report(resize_communities(city, roads=city_roads), f"synthetic city, {n} flagged", target=False)


if __name__ == "__main__":
    main()
