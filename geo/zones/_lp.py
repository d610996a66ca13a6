"""The transportation LP on the sparse candidate pairs, and the rounding of split units.

The LP relaxes "one station per unit" to fractions and drops contiguity; its optimum is the
lower bound reported with every heuristic plan. Band rows carry over/under slack at a penalty
above any distance, so the LP always solves, and a non-zero slack names stations that cannot
meet their band on these pairs. Units with a whole fraction take that station; the few split
units are rounded by a small MILP that keeps every band (softly) at the least cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo.zones._arrays import sums
from geo.zones._highs import HighsModel
from geo.zones._sub import Sub

__all__ = ["LPOutcome", "lp_round"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]
_X_TOL = 1e-6
#: node limit of the rounding MILP (deterministic, unlike a time limit)
_ROUND_NODES = 2000


@dataclass(frozen=True)
class LPOutcome:
    """Rounded assignment ``z`` (local station per unit), the LP bound (objective without
    slack) and each unit's share of it, the band slack per station, and the LP status."""

    z: IntArray
    bound: float
    unit_bound: FloatArray
    slack: FloatArray
    status: str


def _transport(
    sub: Sub,
    pi: IntArray,
    pj: IntArray,
    coef: FloatArray,
    *,
    load: FloatArray,
    integer: bool,
    penalty: float,
) -> HighsModel:
    """One station per unit (rows), band rows shifted by ``load`` already placed, with
    over/under slack columns at ``penalty`` per unit of workload."""
    units, urow = np.unique(pi, return_inverse=True)
    nu, m, npair = units.size, sub.m, pi.size
    cost = np.concatenate([coef, np.full(2 * m, penalty)])
    row = np.concatenate([urow, nu + pj, nu + np.arange(m), nu + np.arange(m)])
    col = np.concatenate([np.arange(npair), np.arange(npair), npair + np.arange(2 * m)])
    val = np.concatenate([np.ones(npair), sub.w[pi], -np.ones(m), np.ones(m)])
    flags = np.concatenate([np.full(npair, integer), np.zeros(2 * m, dtype=bool)])
    return HighsModel(
        cost,
        sp.csc_array((val, (row, col)), shape=(nu + m, npair + 2 * m)),
        col_lo=np.zeros(npair + 2 * m),
        col_hi=np.concatenate([np.ones(npair), np.full(2 * m, np.inf)]),
        row_lo=np.concatenate([np.ones(nu), sub.lower - load]),
        row_hi=np.concatenate([np.ones(nu), sub.upper - load]),
        integer=flags if integer else None,
        max_nodes=_ROUND_NODES if integer else None,
    )


def lp_round(sub: Sub, *, k: int = 8) -> LPOutcome:
    """Solve the LP of ``sub`` on each unit's ``k`` cheapest candidates and round it.

    Units with zero workload do not enter the LP; they go to their nearest candidate. Fixed
    units (locks, station homes) keep their station.
    """
    pi, pj = sub.candidates(k)
    fixed = sub.fixed
    z = fixed.copy()
    idle = (fixed[pi] < 0) & (sub.w[pi] <= 0)
    if idle.any():
        d, _ = sub.problem.distance(sub.units[pi[idle]], sub.stations[pj[idle]])
        _take_best(z, pi[idle], pj[idle], d)
    fx = np.flatnonzero(fixed >= 0)
    fixed_load = sums(fixed[fx], sub.w[fx], sub.m)
    unit_bound = np.zeros(sub.n)
    unit_bound[fx] = sub.cost(fx, fixed[fx])
    active = (fixed[pi] < 0) & (sub.w[pi] > 0)
    pi, pj = pi[active], pj[active]
    if pi.size == 0:
        slack = np.maximum(sub.lower - fixed_load, 0) + np.maximum(fixed_load - sub.upper, 0)
        return LPOutcome(z, float(unit_bound.sum()), unit_bound, slack, "optimal")
    coef = sub.cost(pi, pj)
    penalty = 10.0 * (float((coef / sub.w[pi]).max()) + 1.0)
    model = _transport(sub, pi, pj, coef, load=fixed_load, integer=False, penalty=penalty)
    res = model.solve()
    if res.x is None:
        _take_best(z, pi, pj, coef)
        return LPOutcome(z, float("nan"), unit_bound * np.nan, np.zeros(sub.m), res.status)
    npair, m = pi.size, sub.m
    x = res.x[:npair]
    unit_bound += sums(pi, coef * x, sub.n)
    slack = res.x[npair : npair + m] + res.x[npair + m :]
    slack[slack < _X_TOL * max(1.0, float(sub.w.sum()))] = 0.0
    whole = x > 1 - _X_TOL
    z[pi[whole]] = pj[whole]
    load = fixed_load + sums(pj[whole], sub.w[pi[whole]], m)
    split = (x > _X_TOL) & ~whole
    if split.any():
        si, sj, sc = pi[split], pj[split], coef[split]
        rounding = _transport(sub, si, sj, sc, load=load, integer=True, penalty=penalty).solve()
        if rounding.x is None:
            _take_best(z, si, sj, -np.round(x[split], 9), sc)
        else:
            chosen = rounding.x[: si.size] > 0.5
            z[si[chosen]] = sj[chosen]
    return LPOutcome(z, float(unit_bound.sum()), unit_bound, slack, res.status)


def _take_best(z: IntArray, pi: IntArray, pj: IntArray, *scores: FloatArray) -> None:
    """Set ``z[i]`` to the pair with the smallest scores (first score first) per unit
    (ties: lower station)."""
    order = np.lexsort((pj, *reversed(scores), pi))
    first = np.unique(pi[order], return_index=True)[1]
    z[pi[order][first]] = pj[order][first]
