"""Large-neighbourhood search by windows for the split-demand capacitated MCLP (the
capacitated form of the window search in :mod:`geo.siting._large`).

A window is the candidates within two overlap steps of an open site. Its rows are those a
window candidate reaches; the open sites outside the window that reach them (the ring)
stay open with the capacity that rows outside the window leave them. HiGHS then re-solves
the window exactly: the same number of new sites inside it, every window row assigned
afresh among the window's and the ring's sites. The current solution is feasible there, so
an answer is never worse and the served weight only grows.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.siting._assign import Pairs, assignment_milp
from geo.siting._large import _windows
from geo.siting.solve import solve_milp

if TYPE_CHECKING:
    from geo.siting._capmodel import Model
    from geo.siting.problem import SitingProblem

__all__ = ["window_search"]

#: time limit of one window's MILP (s)
_WINDOW_S = 1.0


def window_search(
    model: Model,
    problem: SitingProblem,
    x: NDArray[np.float64],
    *,
    time_limit_s: float,
    enough: float = np.inf,
) -> NDArray[np.float64]:
    """Improve the solution ``x`` of ``model.milp`` (sites, then pair shares) window by
    window until a pass brings nothing, its objective reaches ``enough`` or the time is
    up."""
    t0 = time.perf_counter()
    m = len(problem.fixed)
    is_open, share = x[:m] > 0.5, np.clip(x[m:], 0.0, 1.0)
    pair_weight = model.weights[model.pairs.row]
    value, improved = float(share @ pair_weight), True
    while improved and value < enough:
        improved = False
        for window in _windows(model.cover, is_open):
            left = time_limit_s - (time.perf_counter() - t0)
            if left <= 0 or value >= enough:
                break
            better = _solve_window(model, problem, is_open, share, window, time_limit_s=left)
            if better is not None:
                is_open, share = better
                value, improved = float(share @ pair_weight), True
    return np.concatenate([is_open.astype(np.float64), share])


def _solve_window(
    model: Model,
    problem: SitingProblem,
    is_open: NDArray[np.bool_],
    share: NDArray[np.float64],
    window: NDArray[np.intp],
    *,
    time_limit_s: float,
) -> tuple[NDArray[np.bool_], NDArray[np.float64]] | None:
    """The window re-solved (see the module docstring), or ``None`` when no better."""
    pairs, w, fixed, cap = model.pairs, model.weights, problem.fixed, problem.capacity
    assert cap is not None
    m = len(is_open)
    inside = np.zeros(m, dtype=bool)
    inside[window] = True
    k = int((is_open & inside & ~fixed).sum())
    touched = np.zeros(len(w), dtype=bool)
    touched[pairs.row[inside[pairs.col]]] = True
    ring = np.zeros(m, dtype=bool)
    ring[pairs.col[touched[pairs.row]]] = True
    ring &= is_open & ~inside
    flow = share * w[pairs.row]
    held = np.bincount(pairs.col, weights=flow * ~touched[pairs.row], minlength=m)
    cols = np.concatenate([window, np.flatnonzero(ring)])
    local = np.full(m, -1)
    local[cols] = np.arange(len(cols))
    e = np.flatnonzero(touched[pairs.row] & (local[pairs.col] >= 0))
    rows, row_local = np.unique(pairs.row[e], return_inverse=True)
    sub = Pairs(row_local.astype(np.intp), local[pairs.col[e]].astype(np.intp))
    milp = assignment_milp(
        sub,
        n_rows=len(rows),
        fixed=np.concatenate([fixed[window], np.ones(len(cols) - len(window), dtype=bool)]),
        pair_cost=w[rows][sub.row],
        weights=w[rows],
        capacity=np.concatenate([cap[window], np.maximum(cap[ring] - held[ring], 0.0)]),
        p=k,
        must_serve=False,
        maximize=True,
    )
    current = float(flow[e].sum())
    start = np.concatenate([is_open[cols].astype(np.float64), share[e]])
    try:
        sol = solve_milp(milp, time_limit_s=min(time_limit_s, _WINDOW_S), mip_gap=1e-6, start=start)
    except AnalysisError:
        return None
    if sol.objective <= current + 1e-9 * max(1.0, current):
        return None
    new_open, new_share = is_open.copy(), share.copy()
    new_open[window] = sol.x[: len(window)] > 0.5
    new_share[e] = np.clip(sol.x[len(cols) :], 0.0, 1.0)
    return new_open, new_share
