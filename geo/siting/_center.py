"""p-center by binary search over the distances in the cost matrix.

The optimum is one of the stored distances: the smallest ``r`` such that ``p`` new sites
(with the fixed ones) put every demand row within ``r`` of an open site. Each test is a
set-covering feasibility question (greedy first, then a small MILP), so the search takes
about log2(number of distinct distances) of them, each much smaller than the min-max
MILP. If the time runs out mid-search the result is the best radius proven feasible, with
the largest radius proven infeasible as its bound.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import InfeasibleError
from geo.siting import _checks
from geo.siting._cover import min_cover
from geo.siting._median import _too_few_message, nearest_open
from geo.siting._reduce import pattern, row_min
from geo.siting.solve import Outcome, SolveTimeoutError, Status, relative_gap

if TYPE_CHECKING:
    from geo.siting.problem import SitingProblem

__all__ = ["solve_p_center"]


def _feasible(problem: SitingProblem, radius_m: float, deadline: float) -> NDArray[np.bool_] | None:
    """Open sites covering every needed row within ``radius_m`` with at most ``p`` new
    ones, or ``None`` if impossible. Raises :class:`SolveTimeoutError` past the deadline."""
    left = deadline - time.perf_counter()
    if left <= 0:
        raise SolveTimeoutError("p-center search ran out of time / p-中心搜索超时")
    cover = pattern(problem.costs.within(radius_m))
    found = min_cover(
        cover,
        problem.need,
        problem.fixed,
        time_limit_s=left,
        mip_gap=0.0,
        max_new=int(problem.p or 0),
    )
    return None if found is None else found[0]


def solve_p_center(problem: SitingProblem, *, time_limit_s: float, mip_gap: float) -> Outcome:
    """Solve a :class:`~geo.siting.problem.PCenter` (``mip_gap`` is unused: the search is
    exact unless the time runs out)."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    d = sp.csr_array(problem.costs.matrix)
    need = problem.need
    _checks.check_reachable(
        d, need, problem.costs.demand_ids, radius_m=problem.costs.cutoff_m, kind="p-center"
    )
    lower = float(row_min(d)[need].max())  # no solution beats the farthest nearest candidate
    row = np.repeat(np.arange(d.shape[0]), np.diff(d.indptr))
    values = np.unique(d.data[need[row] & (d.data >= lower)])
    best = _feasible(problem, float(values[-1]), deadline)
    if best is None:
        msg = _too_few_message(problem, kind="p-center", time_limit_s=time_limit_s)
        raise InfeasibleError(msg)
    lo, hi = 0, len(values) - 1  # values[hi] feasible; everything below values[lo] is not
    status: Status = "optimal"
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            found = _feasible(problem, float(values[mid]), deadline)
        except SolveTimeoutError:
            status = "time_limit"
            break
        if found is None:
            lo = mid + 1
        else:
            hi, best = mid, found
    is_open = _pad(problem, best)
    _, near = nearest_open(d, is_open, radius_m=np.inf)
    objective = float(near[need].max())
    bound = float(values[lo]) if status == "time_limit" else objective
    solve_s = time.perf_counter() - t0
    return Outcome(is_open, status, objective, bound, relative_gap(objective, bound), solve_s)


def _pad(problem: SitingProblem, is_open: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Open exactly ``p`` new sites: add the unopened candidates with the most demand
    weight within the cutoff (extra sites never lengthen the worst distance)."""
    out = is_open.copy()
    missing = int(problem.p or 0) - int((out & ~problem.fixed).sum())
    if missing > 0:
        reach = pattern(problem.costs.matrix).T @ problem.weights
        reach[out] = -np.inf
        out[np.argsort(-reach, kind="stable")[:missing]] = True
    return out
