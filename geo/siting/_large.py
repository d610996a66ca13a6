"""The MCLP at city scale (hundreds of thousands of demand rows, thousands of candidates),
where HiGHS cannot even solve the LP relaxation in a minute.

- Bound: the Lagrangian relaxation of the coverage rows, ``L(lam) = sum(w - lam) +
  top_p(A' lam)`` for ``lam`` in ``[0, w]``, minimised by subgradient steps (Polyak step
  towards the incumbent, halved when the bound stalls). Every ``L(lam)`` is a valid upper
  bound; its minimum equals the LP bound. The steps start from multipliers shaped by the
  starting solution (what an LP optimum near it would have).
- Solution: the greedy cover improved by swaps, then a large-neighbourhood search by
  windows: around a chosen site, the sites whose candidate sets overlap its own within two
  steps are freed, and HiGHS re-solves that window exactly (same number of sites, the rest
  of the solution fixed: its covered rows are a constant). A window's answer is never worse
  than what it replaced, so the covered weight only grows.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.siting._reduce import merge_identical_rows
from geo.siting.solve import solve_milp

__all__ = ["lagrangian_bound", "window_search"]

#: subgradient: first step factor, and steps without a better bound before it is halved
_THETA, _STALL = 4.0, 8
#: subgradient stops when the step factor falls below this
_MIN_THETA = 1e-3


def _value(a: sp.csc_array, w: NDArray[np.float64], x: NDArray[np.bool_]) -> float:
    return float(w @ ((a @ x.astype(np.float64)) > 0))


def lagrangian_bound(
    a: sp.csc_array,
    w: NDArray[np.float64],
    p: int,
    x: NDArray[np.bool_],
    *,
    time_limit_s: float,
    max_steps: int = 2000,
) -> tuple[float, NDArray[np.float64]]:
    """The best Lagrangian bound found within the time (and its multipliers), starting
    from multipliers shaped by the solution ``x`` (see :func:`_start`)."""
    t0 = time.perf_counter()
    at = sp.csr_array(a.T)
    incumbent = _value(a, w, x)
    lam = _start(a, w, x)
    best, best_lam, theta, stall = np.inf, lam, _THETA, 0
    for _ in range(max_steps):
        c = at @ lam
        top = np.argpartition(-c, p - 1)[:p]
        bound = float((w - lam).sum() + c[top].sum())
        if bound < best - 1e-9:
            best, best_lam, stall = bound, lam.copy(), 0
        else:
            stall += 1
            if stall >= _STALL:
                theta, stall = theta / 2, 0
        chosen = np.zeros(len(c))
        chosen[top] = 1.0
        count = a @ chosen
        g = count - np.where(lam < w, 1.0, np.minimum(1.0, count))
        norm = float(g @ g)
        if norm == 0 or theta < _MIN_THETA or time.perf_counter() - t0 > time_limit_s:
            break
        lam = np.clip(lam - theta * max(bound - incumbent, 1e-9) / norm * g, 0.0, w)
    return best, best_lam


def _start(a: sp.csc_array, w: NDArray[np.float64], x: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Multipliers as at an LP optimum near ``x``: a row ``x`` leaves uncovered is worth
    its weight, one covered twice or more nothing, one covered once half its weight."""
    count = a @ x.astype(np.float64)
    return np.where(count == 0, w, np.where(count == 1, 0.5 * w, 0.0))


def _windows(a: sp.csc_array, x: NDArray[np.bool_]) -> list[NDArray[np.intp]]:
    """Windows of candidates: around each open site in turn (skipping sites already
    inside an earlier window's core), the candidates within two overlap steps."""
    overlap = sp.csr_array(a.T @ a)
    overlap.data[:] = 1.0
    reach2 = sp.csr_array(overlap @ overlap)
    seen = np.zeros(a.shape[1], dtype=bool)
    out = []
    for j in np.flatnonzero(x):
        if seen[j]:
            continue
        near = overlap.indices[overlap.indptr[j] : overlap.indptr[j + 1]]
        seen[near] = True
        out.append(reach2.indices[reach2.indptr[j] : reach2.indptr[j + 1]].astype(np.intp))
    return out


def _solve_window(
    a: sp.csc_array,
    w: NDArray[np.float64],
    x: NDArray[np.bool_],
    window: NDArray[np.intp],
    *,
    time_limit_s: float,
) -> NDArray[np.bool_] | None:
    """The best choice of ``x``'s open sites inside ``window`` with the rest fixed, or
    ``None`` when it is no better."""
    from geo.siting._presolve import mclp_milp

    inside = np.zeros(len(x), dtype=bool)
    inside[window] = True
    k = int((x & inside).sum())
    if k == 0 or k == len(window):
        return None
    outside = (a @ (x & ~inside).astype(np.float64)) > 0
    sub = sp.csr_array(a[:, window])
    rows = np.flatnonzero(~outside & (np.diff(sub.indptr) > 0))
    sub, wr, _ = merge_identical_rows(sp.csr_array(sub[rows]), w[rows])
    start = x[window].astype(np.float64)
    try:
        sol = solve_milp(
            mclp_milp(sub, wr, k, 0.0),
            time_limit_s=time_limit_s,
            mip_gap=1e-6,
            start=np.concatenate([start, np.minimum(1.0, sub @ start)]),
        )
    except AnalysisError:
        return None
    if sol.objective <= float(wr @ np.minimum(1.0, sub @ start)) + 1e-9:
        return None
    out = x & ~inside
    out[window[sol.x[: len(window)] > 0.5]] = True
    return out


def window_search(
    a: sp.csc_array,
    w: NDArray[np.float64],
    x: NDArray[np.bool_],
    *,
    time_limit_s: float,
    enough: float = np.inf,
) -> NDArray[np.bool_]:
    """Improve ``x`` by re-solving windows (see the module docstring) until a full pass
    brings nothing, the covered weight reaches ``enough`` or the time is up."""
    t0 = time.perf_counter()
    value, improved = _value(a, w, x), True
    while improved and value < enough:
        improved = False
        for window in _windows(a, x):
            left = time_limit_s - (time.perf_counter() - t0)
            if left <= 0 or value >= enough:
                return x
            better = _solve_window(a, w, x, window, time_limit_s=min(left, 5.0))
            if better is not None and _value(a, w, better) > value:
                x, value, improved = better, _value(a, w, better), True
    return x
