"""Local exact work on a few neighbouring zones: the zones within some rings of others, the
candidate pairs of a region (each unit with its zone and the zones within two steps), and the
rescue of a group the heuristic left outside a band or in pieces.

The rescue grows a region around the zones at fault (one ring of neighbouring zones, then
two, then three, as long as it holds at most ``max_units`` units) and solves it exactly on
its candidate pairs (HiGHS with lazy contiguity cuts, hard band, least walk); the first region
that can meet every band replaces its part of the plan. Small regions, candidate pairs and a
few rounds of cuts under a node limit keep each attempt short (milliseconds, at worst a few
seconds) where the whole group's model could take minutes; a region that does not finish
within the limits is left as the heuristic made it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from geo.zones._arrays import sums
from geo.zones._milp import solve_exact
from geo.zones._repair import main_component, viol, zone_labels
from geo.zones._sub import Sub, subset
from geo.zones.problem import ZoneProblem

__all__ = ["at_fault", "near_pairs", "rescue_group", "ring_zones"]

IntArray = NDArray[np.intp]
_EPS = 1e-9
#: rounds of contiguity cuts and branch-and-bound nodes allowed per rescue solve (contiguity
#: cuts converge slowly on larger regions: the rescue is for a few zones at a time)
_ROUNDS = 5
_NODES = 2000


def ring_zones(
    edges: tuple[IntArray, IntArray], z: IntArray, zones: IntArray, rings: int
) -> IntArray:
    """``zones`` and the zones within ``rings`` steps of them on the adjacency (``z``: the
    station of every unit)."""
    ea, eb = edges
    za, zb = z[ea], z[eb]
    out = zones
    for _ in range(rings):
        hit_a, hit_b = np.isin(za, out), np.isin(zb, out)
        out = np.unique(np.concatenate([out, zb[hit_a], za[hit_b]]))
        out = out[out >= 0]
    return out


def near_pairs(region: Sub, z_local: IntArray) -> tuple[IntArray, IntArray]:
    """Each unit's current zone and the zones of units within two steps (allowed only)."""
    n = region.n
    a = np.concatenate([region.ea, region.eb, np.arange(n)])
    b = np.concatenate([region.eb, region.ea, np.arange(n)])
    one = np.unique(a.astype(np.int64) * n + b)
    src, dst = one // n, one % n
    start = np.searchsorted(src, dst)
    count = np.searchsorted(src, dst, side="right") - start
    far = dst[
        np.repeat(start, count)
        + np.arange(int(count.sum()))
        - np.repeat(np.cumsum(count) - count, count)
    ]
    key = np.unique(np.repeat(src, count) * region.m + z_local[far])
    pi, pj = (key // region.m).astype(np.intp), (key % region.m).astype(np.intp)
    fixed = region.fixed[pi]
    keep = np.where(fixed >= 0, fixed == pj, region.allowed(pi, pj))
    return pi[keep], pj[keep]


def at_fault(g: Sub, zl: IntArray) -> IntArray:
    """Global stations of a group whose zone is outside its band or in pieces."""
    load = sums(zl, g.w, g.m)
    bad = viol(load, g.lower, g.upper) > _EPS * max(1.0, float(g.w.sum()))
    labels = zone_labels(zl, g.ea, g.eb)
    loose = ~main_component(zl, labels, g.seed, g.w, g.m)
    bad[zl[loose]] = True
    return g.stations[bad]


def rescue_group(
    problem: ZoneProblem,
    g: Sub,
    z: IntArray,
    *,
    max_units: int,
    max_nodes: int,
    max_rings: int = 3,
) -> bool:
    """Repair group ``g`` of ``z`` (global station per unit) in place around its zones at
    fault (see the module docstring); returns whether a region met every band."""
    zones = at_fault(g, np.searchsorted(g.stations, z[g.units]))
    for rings in range(1, max_rings + 1):
        near = ring_zones(problem.edges, z, zones, rings)
        near = near[np.isin(near, g.stations)]
        units = np.flatnonzero(np.isin(z, near))
        if units.size > max_units:
            return False
        region = subset(problem, units, near)
        zl = np.searchsorted(region.stations, z[region.units])
        pi, pj = near_pairs(region, zl)
        coef = np.zeros((region.n, region.m))
        coef[pi, pj] = region.cost(pi, pj)
        out = solve_exact(
            region, coef=coef, pairs=(pi, pj), max_nodes=min(max_nodes, _NODES), max_rounds=_ROUNDS
        )
        if out.z is not None and out.status == "optimal":
            z[region.units] = region.stations[out.z]
            return True
        if near.size == g.m:
            return False
    return False
