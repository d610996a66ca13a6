"""A thin, deterministic wrapper around HiGHS (single thread, fixed seed, no output)."""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._highs import new_highs, set_options

__all__ = ["HighsModel", "HighsResult"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class HighsResult:
    """Outcome of one solve: ``status`` is ``optimal``, ``infeasible``, ``time_limit`` or
    ``error``; ``x`` is the column values (``None`` without a solution)."""

    status: str
    x: FloatArray | None
    objective: float
    bound: float


class HighsModel:
    """A min-cost model ``row_lo <= A x <= row_hi``, ``col_lo <= x <= col_hi``.

    Rows can be added between solves (lazy constraints), which keeps the model in one
    :class:`highspy.Highs` instance.
    """

    def __init__(
        self,
        cost: FloatArray,
        a_csc: sp.csc_array,
        *,
        col_lo: FloatArray,
        col_hi: FloatArray,
        row_lo: FloatArray,
        row_hi: FloatArray,
        integer: NDArray[np.bool_] | None = None,
        time_limit_s: float | None = None,
        mip_rel_gap: float = 1e-4,
        max_nodes: int | None = None,
    ) -> None:
        h = new_highs()
        set_options(h, {"random_seed": 0, "mip_rel_gap": mip_rel_gap})
        if max_nodes is not None:
            set_options(h, {"mip_max_nodes": int(max_nodes)})
        if time_limit_s is not None:
            set_options(h, {"time_limit": float(time_limit_s)})
        lp = highspy.HighsLp()
        lp.num_col_ = int(cost.size)
        lp.num_row_ = int(row_lo.size)
        lp.col_cost_ = np.asarray(cost, dtype=float)
        lp.col_lower_ = np.asarray(col_lo, dtype=float)
        lp.col_upper_ = np.asarray(col_hi, dtype=float)
        lp.row_lower_ = np.asarray(row_lo, dtype=float)
        lp.row_upper_ = np.asarray(row_hi, dtype=float)
        a = sp.csc_array(a_csc)
        a.sort_indices()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        if integer is not None and integer.any():
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
                for flag in integer
            ]
        h.passModel(lp)
        self._h = h
        self.is_mip = integer is not None and bool(integer.any())

    def add_rows(self, a_csr: sp.csr_array, row_lo: FloatArray, row_hi: FloatArray) -> None:
        """Append rows ``row_lo <= a_csr x <= row_hi``."""
        a = sp.csr_array(a_csr)
        a.sort_indices()
        self._h.addRows(
            int(a.shape[0]),
            np.asarray(row_lo, dtype=float),
            np.asarray(row_hi, dtype=float),
            int(a.nnz),
            a.indptr[:-1].astype(np.int32),
            a.indices.astype(np.int32),
            a.data.astype(float),
        )

    def set_start(self, x: FloatArray) -> None:
        """Offer a (feasible) solution to start a MIP from."""
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(x, dtype=float).tolist()
        sol.value_valid = True
        self._h.setSolution(sol)

    def solve(self) -> HighsResult:
        """Run HiGHS and report the status, solution, objective and (MIP) dual bound."""
        h = self._h
        if h.run() == highspy.HighsStatus.kError:  # refused to run, not a solver outcome
            msg = "HiGHS refused to run the zones model (see geo._highs) / 求解器拒绝运行片区模型"
            raise RuntimeError(msg)
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        info = h.getInfo()
        has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
        obj = float(info.objective_function_value) if has_x else float("nan")
        bound = float(info.mip_dual_bound) if self.is_mip else obj
        if status == ms.kOptimal:
            name = "optimal"
        elif status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            name = "infeasible"
        elif status == ms.kTimeLimit:
            name = "time_limit"
        elif has_x:
            name = "limit"
        else:
            name = "error"
        return HighsResult(name, x, obj, bound)
