"""Starting solutions for the capacitated MCLP, handed to HiGHS.

HiGHS proves bounds well on this model but finds good solutions slowly, so it starts from
the better of two: a capacity-aware greedy choice of sites (each pick the site that can
serve the most still unserved demand, serving it proportionally), whose best assignment
is one LP with the sites fixed; and the LP-guided restricted MILP of
:func:`lp_guided_start`. With single-source assignment the LP's shares are rounded: each
row goes wholly to its largest share while the site has room, and rows left out then go
whole to open sites with room left, else stay unserved.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.siting._assign import Pairs
from geo.siting.solve import Milp, solve_milp

__all__ = ["capacitated_start", "lp_guided_start"]

#: share of :func:`lp_guided_start`'s time the restricted MILP gets at least, however
#: long the LP relaxation took (the LP may take all of it: without it there is no start)
_RENS_SHARE = 0.4
#: most passes of :func:`_fill`
_FILL_PASSES = 8


def _greedy_sites(
    cover: sp.csc_array,
    weights: NDArray[np.float64],
    capacity: NDArray[np.float64],
    fixed: NDArray[np.bool_],
    p: int,
) -> NDArray[np.bool_]:
    left = weights.copy()
    is_open = fixed.copy()

    def serve(j: int) -> None:
        rows = cover.indices[cover.indptr[j] : cover.indptr[j + 1]]
        total = left[rows].sum()
        left[rows] *= 0.0 if total <= capacity[j] else 1.0 - capacity[j] / total

    for site in np.flatnonzero(fixed):  # existing sites serve first (one step per site)
        serve(int(site))
    for _ in range(p):  # one vectorised step per new site
        reach = np.minimum(capacity, cover.T @ left)
        reach[is_open] = -1.0
        pick = int(np.argmax(reach))
        is_open[pick] = True
        serve(pick)
    return is_open


def _fits(
    site: NDArray[np.intp], load: NDArray[np.float64], room: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """For pairs sorted by ``site`` (then priority): those that fit, taking each site's
    pairs in order while their running load stays within the site's ``room``."""
    cum = np.cumsum(load)
    start = np.searchsorted(site, site)  # first position of each site's run
    before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    return np.asarray((cum - before) <= room[site] + 1e-9)


def _first_of_each_row(order: NDArray[np.intp], row: NDArray[np.intp]) -> NDArray[np.intp]:
    """The first pair of each row in ``order`` (pair positions sorted by row first)."""
    first = np.ones(len(order), dtype=bool)
    first[1:] = row[order][1:] != row[order][:-1]
    return order[first]


def _round_single(
    pairs: Pairs,
    share: NDArray[np.float64],
    weights: NDArray[np.float64],
    capacity: NDArray[np.float64],
    is_open: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Whole rows to their largest share, in order of share, while the site has room;
    then rows left out go to open sites with room left (:func:`_fill`)."""
    best = _first_of_each_row(np.lexsort((-share, pairs.row)), pairs.row)
    best = best[share[best] > 1e-9]  # one pair per served row
    by_site = best[np.lexsort((-share[best], pairs.col[best]))]
    fits = _fits(pairs.col[by_site], weights[pairs.row[by_site]], capacity)
    out = np.zeros(len(share))
    out[by_site[fits]] = 1.0
    return _fill(pairs, out, weights, capacity, is_open)


def _fill(
    pairs: Pairs,
    out: NDArray[np.float64],
    weights: NDArray[np.float64],
    capacity: NDArray[np.float64],
    is_open: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Unserved rows go whole to open sites with room: each pass offers every such row to
    its open site with the most room left, and each site takes them lightest first while
    they fit; until a pass places none (at most :data:`_FILL_PASSES`)."""
    n_rows, m = int(pairs.row.max(initial=-1)) + 1, len(capacity)
    for _ in range(_FILL_PASSES):
        room = capacity - np.bincount(pairs.col, weights=out * weights[pairs.row], minlength=m)
        served = np.bincount(pairs.row, weights=out, minlength=n_rows) > 0.5
        w_pair = weights[pairs.row]
        can = np.flatnonzero(~served[pairs.row] & is_open[pairs.col] & (w_pair <= room[pairs.col]))
        order = can[np.lexsort((-room[pairs.col[can]], pairs.row[can]))]
        offer = _first_of_each_row(order, pairs.row)  # per unserved row: most room
        by_site = offer[np.lexsort((w_pair[offer], pairs.col[offer]))]
        fits = _fits(pairs.col[by_site], w_pair[by_site], room)
        if not fits.any():
            break
        out[by_site[fits]] = 1.0
    return out


def capacitated_start(
    milp: Milp,
    pairs: Pairs,
    cover: sp.csr_array,
    *,
    weights: NDArray[np.float64],
    capacity: NDArray[np.float64],
    fixed: NDArray[np.bool_],
    p: int,
    single_source: bool,
    sites: NDArray[np.bool_] | None = None,
) -> NDArray[np.float64] | None:
    """A feasible full solution of ``milp`` (the capacitated MCLP built by
    :func:`~geo.siting._assign.assignment_milp` on ``pairs``) that opens ``sites``
    (default: the greedy choice), or ``None``."""
    m = len(fixed)
    is_open = (
        _greedy_sites(sp.csc_array(cover), weights, capacity, fixed, p) if sites is None else sites
    )
    lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
    lower[:m] = upper[:m] = is_open
    lp = replace(milp, col_lower=lower, col_upper=upper, integer=np.zeros(len(lower), bool))
    try:
        sol = solve_milp(lp, time_limit_s=30.0, mip_gap=0.0)
    except Exception:  # a start is optional: HiGHS can do without
        return None
    share = np.clip(sol.x[m:], 0.0, 1.0)
    if single_source:
        share = _round_single(pairs, share, weights, capacity, is_open)
    return np.concatenate([is_open.astype(np.float64), share])


def lp_guided_start(
    milp: Milp, *, m: int, p: int, time_limit_s: float, mip_gap: float
) -> tuple[NDArray[np.float64] | None, float]:
    """Solve the LP relaxation, then the MILP restricted to the sites the LP uses, with
    those it opens fully fixed open (the RENS heuristic). Its model is much smaller, so it
    finds good solutions faster than the full search. The LP may take all of
    ``time_limit_s``; the restricted MILP then still gets :data:`_RENS_SHARE` of it.

    Returns
    -------
    (x, lp_bound)
        A feasible solution of ``milp`` (``None`` if none was found in time) and the LP
        relaxation's objective, a valid bound.
    """
    t0 = time.perf_counter()
    relaxed = replace(milp, integer=np.zeros(len(milp.cost), dtype=bool))
    try:
        lp = solve_milp(relaxed, time_limit_s=time_limit_s, mip_gap=0.0)
    except AnalysisError:
        return None, np.inf
    if lp.status != "optimal":
        return None, np.inf
    x_lp = lp.x[:m]
    lower, upper = milp.col_lower.copy(), milp.col_upper.copy()
    lower[:m] = np.maximum(lower[:m], x_lp >= 0.99)
    upper[:m] = np.minimum(upper[:m], (x_lp > 1e-6) | (lower[:m] > 0))
    if int(upper[:m].sum() - milp.col_lower[:m].sum()) < p:  # too few sites to choose from
        return None, lp.objective
    left = time_limit_s - (time.perf_counter() - t0)
    try:
        sol = solve_milp(
            replace(milp, col_lower=lower, col_upper=upper),
            time_limit_s=max(left, _RENS_SHARE * time_limit_s),
            mip_gap=mip_gap,
        )
    except AnalysisError:
        return None, lp.objective
    return sol.x, lp.objective
