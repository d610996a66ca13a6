"""The MILP seam: one sparse model handed to HiGHS (via highspy), one answer back.

Every siting formulation builds a :class:`Milp` with scipy.sparse and calls
:func:`solve_milp`. It returns a :class:`MilpSolution` when HiGHS proves optimality within
``mip_gap`` (status ``"optimal"``) or stops at the time limit holding a feasible solution
(status ``"time_limit"``, with the bound and the gap); it raises
:class:`~geo._errors.InfeasibleError` (with the caller's explanation) when the model has no
solution, and :class:`SolveTimeoutError` when the time limit stops it before any solution.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import AnalysisError, InfeasibleError
from geo._highs import new_highs, set_options

__all__ = [
    "Milp",
    "MilpSolution",
    "Outcome",
    "SolveTimeoutError",
    "Status",
    "relative_gap",
    "solve_milp",
]

Status = Literal["optimal", "time_limit"]

_COLWISE, _MINIMIZE, _MAXIMIZE = 1, 1, -1


class SolveTimeoutError(AnalysisError):
    """The time limit stopped the solver before it found any feasible solution."""


@dataclass(frozen=True)
class Milp:
    """A mixed-integer linear programme ``opt cost @ x + offset`` subject to
    ``row_lower <= matrix @ x <= row_upper`` and ``col_lower <= x <= col_upper``.

    Attributes
    ----------
    cost, col_lower, col_upper
        Per-variable arrays (``np.inf`` for no bound).
    matrix
        Sparse constraint matrix (any scipy sparse format).
    row_lower, row_upper
        Per-row arrays (``-np.inf``/``np.inf`` for one-sided rows).
    integer
        Boolean mask of integer variables.
    maximize
        Maximise instead of minimise.
    offset
        A constant added to the objective (reductions move fixed parts here), so the gap
        HiGHS stops on is the gap of the reported objective.
    """

    cost: NDArray[np.float64]
    matrix: sp.sparray | sp.spmatrix
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    col_lower: NDArray[np.float64]
    col_upper: NDArray[np.float64]
    integer: NDArray[np.bool_]
    maximize: bool = False
    offset: float = 0.0


@dataclass(frozen=True)
class MilpSolution:
    """What HiGHS returned: the variable values, objective (with offset), best bound,
    relative gap and wall time; for a linear programme (no integer variables) also the
    row duals."""

    status: Status
    x: NDArray[np.float64]
    objective: float
    bound: float
    gap: float
    solve_s: float
    row_dual: NDArray[np.float64] | None = None


def relative_gap(objective: float, bound: float) -> float:
    """``|bound - objective| / |objective|`` (0 when both are 0, ``inf`` when only the
    objective is)."""
    diff = abs(bound - objective)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else float("inf")


def _highs(milp: Milp, *, time_limit_s: float, mip_gap: float) -> highspy.Highs:
    a = sp.csc_array(milp.matrix, dtype=np.float64)
    a.sort_indices()
    n_row, n_col = a.shape
    inf = highspy.kHighsInf
    h = new_highs()
    set_options(h, {"time_limit": max(float(time_limit_s), 1e-3), "mip_rel_gap": float(mip_gap)})
    h.passModel(
        n_col,
        n_row,
        int(a.nnz),
        _COLWISE,
        _MAXIMIZE if milp.maximize else _MINIMIZE,
        float(milp.offset),
        np.ascontiguousarray(milp.cost, dtype=np.float64),
        np.clip(np.asarray(milp.col_lower, dtype=np.float64), -inf, inf),
        np.clip(np.asarray(milp.col_upper, dtype=np.float64), -inf, inf),
        np.clip(np.asarray(milp.row_lower, dtype=np.float64), -inf, inf),
        np.clip(np.asarray(milp.row_upper, dtype=np.float64), -inf, inf),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data,
        np.asarray(milp.integer, dtype=np.int32),
    )
    return h


def solve_milp(
    milp: Milp,
    *,
    time_limit_s: float,
    mip_gap: float,
    start: NDArray[np.float64] | None = None,
    infeasible_msg: str = "the problem has no feasible solution / 问题无可行解",
    options: Mapping[str, bool | int | float | str] | None = None,
) -> MilpSolution:
    """Solve ``milp`` with HiGHS.

    Parameters
    ----------
    milp
        The model.
    time_limit_s
        Wall-clock limit for HiGHS.
    mip_gap
        Relative gap at which HiGHS may stop and call the solution optimal.
    start
        A feasible full solution to start from (HiGHS checks it and ignores it if not).
    infeasible_msg
        The message of the :class:`~geo._errors.InfeasibleError` raised when HiGHS proves
        the model infeasible (the caller knows which constraints can cause it).
    options
        Further HiGHS options by name (e.g. ``mip_abs_gap``).

    Returns
    -------
    MilpSolution
        ``status`` is ``"optimal"`` or ``"time_limit"`` (a feasible solution with a gap).

    Raises
    ------
    InfeasibleError
        The model has no solution.
    SolveTimeoutError
        The time limit came before any feasible solution.
    """
    h = _highs(milp, time_limit_s=time_limit_s, mip_gap=mip_gap)
    set_options(h, options or {})
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - t0
    kind = _status(h, time_limit_s=time_limit_s, infeasible_msg=infeasible_msg)
    info = h.getInfo()
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    objective = float(info.objective_function_value)
    bound, row_dual = objective, None
    if milp.integer.any():
        if not np.isnan(info.mip_dual_bound):
            bound = float(info.mip_dual_bound)
    elif solution.dual_valid:
        row_dual = np.asarray(solution.row_dual, dtype=np.float64)
    gap = relative_gap(objective, bound)
    return MilpSolution(kind, x, objective, bound, gap, solve_s, row_dual)


def _status(h: highspy.Highs, *, time_limit_s: float, infeasible_msg: str) -> Status:
    """``"optimal"`` or ``"time_limit"`` (with a feasible solution), else raise."""
    status = h.getModelStatus()
    ms = highspy.HighsModelStatus
    has_solution = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    if status == ms.kOptimal:
        return "optimal"
    if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible) and not has_solution:
        raise InfeasibleError(infeasible_msg)
    if status == ms.kUnbounded:
        msg = "the problem is unbounded (a bug in the formulation) / 问题无界（建模错误）"
        raise AnalysisError(msg)
    if has_solution and status in (ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit):
        return "time_limit"
    if status == ms.kTimeLimit:
        msg = (
            f"the solver found no feasible solution within {time_limit_s:g} s; "
            f"raise time_limit_s / 求解器在 {time_limit_s:g} 秒内未找到可行解，请增加时间上限"
        )
        raise SolveTimeoutError(msg)
    msg = f"HiGHS stopped with status {h.modelStatusToString(status)} / 求解器异常终止"
    raise AnalysisError(msg)


@dataclass(frozen=True)
class Outcome:
    """A solved siting problem in candidate terms.

    Attributes
    ----------
    is_open
        Per candidate: open in the solution (fixed sites included).
    status, objective, bound, gap, solve_s
        As :class:`MilpSolution`, for the whole problem (constants included).
    shares
        For capacitated problems, the solver's assignment ``(row, col, share)``;
        ``None`` when demand simply goes to its nearest open site.
    """

    is_open: NDArray[np.bool_]
    status: Status
    objective: float
    bound: float
    gap: float
    solve_s: float
    shares: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]] | None = None
