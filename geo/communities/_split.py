"""One community's blocks split into ``k`` contiguous parts within a household band.

The split is a districting problem in the style of Hess et al. (1965): every part has a
*centre* block (its 居委会 office when anchors are given), every block goes to one part, each
part's households lie in the band, parts are contiguous on the blocks' rook adjacency, and the
households' total squared straight-line distance to their part's centre (the parts' moment of
inertia) is the least, which keeps parts compact.

For fixed centres this is the zones problem (:mod:`geo.zones`): the centres are its stations,
each with capacity at the middle of the band and a band that reaches both ends, the centre's
block its home. The zones engine solves it (exactly, with lazy contiguity cuts, for the block
counts of a community) and gives the LP bound. The centres are then chosen around it:

* when there are few candidate sets (``C(candidates, k) <= exhaustive_max``) they are
  searched by branch and bound (a set costs at least what sending every block to its nearest
  centre costs), which makes the split optimal over centres too;
* else, from a start that cuts the blocks into ``k`` household quantiles along their main
  axis, each part's centre moves to its medoid (the candidate inside the part with the least
  household-weighted distance to the part) and the zones are solved again, until the centres
  stop moving.

Candidates are all blocks, or only the anchor blocks when anchors are given, so that every
part holds an anchor (its centre).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from geo.costs import CostMatrix
from geo.zones import ZonePlan, ZoneProblem, solve
from geo.zones._repair import viol
from geo.zones.validate import pair_pieces

__all__ = ["Split", "reasons_of", "split_blocks", "split_problem"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Split:
    """A split of one community's blocks.

    ``part`` is the part index of every block (``-1`` when no split was made); ``centres``
    the block index of each part's centre; ``plan`` the zone plan on those centres (its
    ``info`` holds the LP bound); ``reasons`` the bilingual reasons the band, contiguity or
    anchors cannot be met (empty when the split meets them all); ``solves`` how many sets of
    centres were solved."""

    part: IntArray
    centres: IntArray
    plan: ZonePlan | None
    reasons: tuple[str, ...]
    solves: int = 0

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def cost(self) -> float:
        """Households × squared straight-line distance (m²) to the part's centre (the
        parts' moment of inertia)."""
        return float("nan") if self.plan is None else self.plan.cost

    @property
    def bound(self) -> float:
        """The best lower bound on the cost for these centres: the exact optimum when the
        zones engine solved the community exactly, else its LP bound."""
        info = None if self.plan is None else self.plan.info
        return float("nan") if info is None else info.bound

    @property
    def gap(self) -> float:
        """``(cost - bound) / bound``."""
        info = None if self.plan is None else self.plan.info
        return float("nan") if info is None else info.gap

    @property
    def lp_bound(self) -> float:
        """The transportation LP's bound for these centres (band kept, one part per block
        relaxed, contiguity dropped)."""
        info = None if self.plan is None else self.plan.info
        return float("nan") if info is None else info.lp_bound

    @property
    def lp_gap(self) -> float:
        """How far the cost lies above the LP bound: ``cost / lp_bound - 1``."""
        lp = self.lp_bound
        return self.cost / lp - 1 if lp > 0 else float("nan")


def _precheck(
    households: FloatArray,
    adjacency: sp.csr_array,
    *,
    parts: int,
    band: tuple[float, float],
    candidates: IntArray,
    block_ids: NDArray[np.object_],
) -> list[str]:
    """Reasons no split can exist, found without solving."""
    lo, hi = band
    total = float(households.sum())
    reasons = []
    if parts < 1:
        reasons.append(f"{parts} parts asked / 分区数 {parts} 无效")
        return reasons
    if total < parts * lo or total > parts * hi:
        reasons.append(
            f"{total:.0f} households cannot make {parts} parts of {lo:.0f}–{hi:.0f}"
            f" / {total:.0f} 户无法分成 {parts} 个 {lo:.0f}–{hi:.0f} 户的分区"
        )
    big = np.flatnonzero(households > hi)
    if big.size:
        shown = ", ".join(f"{block_ids[i]} ({households[i]:.0f})" for i in big[:10])
        reasons.append(
            f"blocks above {hi:.0f} households: {shown} / 街区户数超过 {hi:.0f}：{shown}"
        )
    pieces = connected_components(adjacency, directed=False)[0]
    if pieces > parts:
        reasons.append(
            f"the blocks form {pieces} separate pieces, more than {parts} parts"
            f" / 街区分为 {pieces} 块互不相连，多于 {parts} 个分区"
        )
    if candidates.size < parts:
        reasons.append(
            f"only {candidates.size} blocks hold an anchor for {parts} parts"
            f" / 仅 {candidates.size} 个街区有锚点（居委会/驿站），需 {parts} 个分区"
        )
    return reasons


def split_problem(
    xy: FloatArray,
    households: FloatArray,
    adjacency: sp.csr_array,
    centres: IntArray,
    *,
    band: tuple[float, float],
    block_ids: NDArray[np.object_],
) -> ZoneProblem:
    """The zones problem for fixed centres: parts ``part-1 …`` as stations at the centre
    blocks, capacity at the middle of the band and a band reaching both ends, costs the
    squared distances (m²) from the blocks to the centres."""
    lo, hi = band
    half = (hi - lo) / (hi + lo)
    d2 = ((xy[:, None, :] - xy[None, centres, :]) ** 2).sum(axis=2)
    costs = CostMatrix.from_dense(
        d2,
        demand_ids=block_ids,
        facility_ids=np.array([f"part-{j + 1}" for j in range(centres.size)], dtype=object),
    )
    return ZoneProblem.from_cost_matrix(
        costs,
        workload=households,
        capacity=np.full(centres.size, (lo + hi) / 2),
        adjacency=adjacency,
        band=(half, half),
        homes=block_ids[centres],
        detour=1.0,
    )


def _score(plan: ZonePlan) -> tuple[float, int, float]:
    """Band violation, fragmented parts, cost: smaller is better, in that order."""
    p = plan.problem
    info = plan.info
    frag = 0 if info is None else len(info.fragmented)
    return (float(viol(plan.loads, p.lower, p.upper).sum()), frag, plan.cost)


def _medoids(
    dist: FloatArray, households: FloatArray, part: IntArray, candidates: IntArray, k: int
) -> IntArray:
    """For each part, the candidate inside it with the least household-weighted distance to
    the part's blocks (ties to the lower index)."""
    out = np.empty(k, dtype=np.intp)
    for j in range(k):
        members = np.flatnonzero(part == j)
        inside = candidates[part[candidates] == j]
        if inside.size == 0:
            inside = members
        load = households[members] @ dist[np.ix_(members, inside)]
        out[j] = inside[int(np.argmin(load))]
    return out


def _initial(xy: FloatArray, households: FloatArray, candidates: IntArray, k: int) -> IntArray:
    """``k`` distinct candidates: the blocks cut into household quantiles along their main
    axis, each quantile's nearest free candidate to its weighted centre."""
    centred = xy - xy.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0] if len(xy) > 1 else np.ones(2)
    order = np.argsort(centred @ axis, kind="stable")
    w = np.maximum(households[order], 1e-9)
    group = np.minimum((np.cumsum(w) - w / 2) / w.sum() * k, k - 1).astype(np.intp)
    chosen: list[int] = []
    for j in range(k):
        members = order[group == j]
        if members.size == 0:
            members = order
        centre = np.average(xy[members], axis=0, weights=np.maximum(households[members], 1e-9))
        free = candidates[~np.isin(candidates, chosen)]
        near = np.hypot(*(xy[free] - centre).T)
        chosen.append(int(free[int(np.argmin(near))]))
    return np.array(chosen, dtype=np.intp)


def _enumerate_centres(
    plan_for: Callable[[IntArray], ZonePlan],
    candidates: IntArray,
    k: int,
    *,
    dist: FloatArray,
    households: FloatArray,
) -> tuple[ZonePlan, int]:
    """The best plan over every set of ``k`` centres, by branch and bound: a set's cost is
    at least that of sending every block to its nearest centre (no band, no contiguity), so
    sets are solved in the order of that bound until it reaches the best plan that meets
    every band and is contiguous. The best plan and the number of solves."""
    combos = np.array(list(itertools.combinations(candidates, k)), dtype=np.intp)
    bound = households @ dist[:, combos].min(axis=2)
    best: ZonePlan | None = None
    solves = 0
    for i in np.argsort(bound, kind="stable"):
        feasible = best is not None and _score(best)[:2] == (0.0, 0)
        if feasible and best is not None and bound[i] >= best.cost * (1 - 1e-9):
            break
        trial = plan_for(combos[i])
        solves += 1
        if best is None or _score(trial) < _score(best):
            best = trial
    assert best is not None
    return best, solves


def _descend(
    plan_for: Callable[[IntArray], ZonePlan],
    centres: IntArray,
    *,
    dist: FloatArray,
    households: FloatArray,
    candidates: IntArray,
    max_rounds: int,
) -> tuple[ZonePlan, int]:
    """Move each part's centre to its medoid and solve again while the plan improves;
    the best plan and the number of solves."""
    best = plan_for(centres)
    seen = {tuple(sorted(centres.tolist()))}
    solves = 1
    for _ in range(max_rounds):
        moved = _medoids(dist, households, best.assignment, candidates, centres.size)
        key = tuple(sorted(moved.tolist()))
        if key in seen:
            break
        seen.add(key)
        trial = plan_for(moved)
        solves += 1
        if _score(trial) >= _score(best):
            break
        best = trial
    return best, solves


def split_blocks(
    xy: FloatArray,
    households: FloatArray,
    adjacency: sp.csr_array,
    *,
    parts: int,
    band: tuple[float, float] = (1000.0, 3000.0),
    anchors: IntArray | None = None,
    block_ids: NDArray[np.object_] | None = None,
    exhaustive_max: int = 5000,
    max_rounds: int = 8,
    exact_max_units: int = 60,
) -> Split:
    """Split blocks into ``parts`` contiguous parts within ``band`` households.

    Parameters
    ----------
    xy
        (n, 2) projected block centres (m).
    households
        (n,) households per block.
    adjacency
        (n, n) symmetric boolean rook adjacency of the blocks.
    parts
        How many parts.
    band
        Households ``(lower, upper)`` every part must hold.
    anchors
        Block indices holding an anchor (居委会 office, station): every part must hold one.
        ``None``: no anchor rule.
    block_ids
        Ids used in messages and in the plan (default ``0..n-1``).
    exhaustive_max, max_rounds
        Search every candidate set of centres (branch and bound) when there are at most
        ``exhaustive_max``, else move the centres to their parts' medoids for at most
        ``max_rounds`` rounds.
    exact_max_units
        Communities up to this many blocks are solved exactly by the zones engine for each
        set of centres.

    Returns
    -------
    Split
        With the reasons no split meets band, contiguity and anchors, when that is so.
    """
    w = np.asarray(households, dtype=float)
    n = w.size
    ids = np.arange(n).astype(object) if block_ids is None else np.asarray(block_ids, object)
    adj = sp.csr_array(adjacency, dtype=bool)
    cand = np.arange(n, dtype=np.intp) if anchors is None else np.unique(anchors).astype(np.intp)
    none = np.full(n, -1, dtype=np.intp)
    reasons = _precheck(w, adj, parts=parts, band=band, candidates=cand, block_ids=ids)
    if reasons:
        return Split(none, np.empty(0, dtype=np.intp), None, tuple(reasons))
    xy = np.asarray(xy, dtype=float)
    # squared distances: the parts' moment of inertia (Hess et al.), so parts stay compact
    dist = (xy[:, None, 0] - xy[None, :, 0]) ** 2 + (xy[:, None, 1] - xy[None, :, 1]) ** 2

    def plan_for(centres: IntArray) -> ZonePlan:
        problem = split_problem(xy, w, adj, centres, band=band, block_ids=ids)
        return solve(
            problem,
            best_effort=True,  # a plan even when a band is missed, to show and to compare
            exact_max_units=exact_max_units,
            exact_max_stations=max(8, centres.size),
        )

    if math.comb(cand.size, parts) <= exhaustive_max:
        best, solves = _enumerate_centres(plan_for, cand, parts, dist=dist, households=w)
    else:
        best, solves = _descend(
            plan_for,
            _initial(xy, w, cand, parts),
            dist=dist,
            households=w,
            candidates=cand,
            max_rounds=max_rounds,
        )
    centres = best.problem.home.astype(np.intp)
    counts = None if anchors is None else np.bincount(np.asarray(anchors), minlength=n)
    return Split(best.assignment.copy(), centres, best, tuple(reasons_of(best, counts)), solves)


def reasons_of(plan: ZonePlan, anchor_counts: NDArray[np.int64] | None) -> list[str]:
    """What a plan misses: parts out of band, parts in pieces, parts without an anchor
    (``anchor_counts``: anchors per block, ``None`` when there is no anchor rule)."""
    p, z = plan.problem, plan.assignment
    on = np.flatnonzero(z >= 0)
    load = plan.loads
    faults = [
        (viol(load, p.lower, p.upper) > 1e-9 * max(1.0, float(load.sum())),
         "parts outside the household band", "分区户数超出区间"),
        (pair_pieces(p, on, z[on]) > 1, "parts not contiguous", "分区不连通"),
    ]  # fmt: skip
    if anchor_counts is not None:
        held = np.bincount(z[on], weights=anchor_counts[on], minlength=p.n_stations)
        faults.append((held < 1, "parts without an anchor", "分区内无锚点"))
    out = []
    for mask, en, zh in faults:
        if mask.any():
            names = ", ".join(str(s) for s in p.station_ids[mask])
            out.append(f"{en}: {names} / {zh}：{names}")
    if on.size < z.size:
        names = ", ".join(str(b) for b in p.unit_ids[z < 0][:20])
        out.append(f"blocks in no part: {names} / 街区未分配：{names}")
    return out
