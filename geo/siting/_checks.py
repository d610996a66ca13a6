"""Input checks and the infeasibility tests that can be told before calling the solver.

Each raises with a message that names the rule and the rows or numbers that break it,
English first, then Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import AnalysisError, EmptyInputError, InfeasibleError

__all__ = [
    "as_capacity",
    "as_fixed",
    "as_weights",
    "check_capacity_total",
    "check_p",
    "check_reachable",
    "check_single_source",
    "id_list",
]

_SHOWN_IDS = 10


def id_list(ids: Sequence[Any] | NDArray[Any]) -> str:
    """``"3, 17, 40"`` (at most 10, then ``"… (25 in all)"``)."""
    ids = list(ids)
    text = ", ".join(str(i) for i in ids[:_SHOWN_IDS])
    return text if len(ids) <= _SHOWN_IDS else f"{text} … ({len(ids)} in all)"


def as_weights(weights: Any, n: int) -> NDArray[np.float64]:
    """Demand weights as floats (default 1 each); finite and non-negative."""
    if n == 0:
        raise EmptyInputError("no demand rows / 没有需求点")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if len(w) != n:
        msg = f"{len(w)} weights for {n} demand rows / 权重个数 {len(w)} 与需求点数 {n} 不符"
        raise AnalysisError(msg)
    if not np.isfinite(w).all() or (w < 0).any():
        msg = "demand weights must be finite and non-negative / 需求权重须为非负有限数"
        raise AnalysisError(msg)
    return w


def as_fixed(fixed: Any, m: int) -> NDArray[np.bool_]:
    """Fixed-open candidates as a boolean mask: a mask of length ``m`` or positions."""
    if m == 0:
        raise EmptyInputError("no candidate sites / 没有候选点")
    if fixed is None:
        return np.zeros(m, dtype=bool)
    arr = np.asarray(fixed)
    if arr.dtype == bool:
        if arr.shape != (m,):
            msg = f"fixed mask has {arr.size} entries for {m} candidates / 固定设施掩码长度不符"
            raise AnalysisError(msg)
        return arr.copy()
    pos = arr.astype(np.int64).ravel()
    if ((pos < 0) | (pos >= m)).any():
        msg = f"fixed positions must lie in 0..{m - 1} / 固定设施位置越界"
        raise AnalysisError(msg)
    mask = np.zeros(m, dtype=bool)
    mask[pos] = True
    return mask


def as_capacity(capacity: Any, m: int) -> NDArray[np.float64] | None:
    """Per-candidate capacities (``inf`` = unlimited), non-negative, or ``None``."""
    if capacity is None:
        return None
    cap = np.asarray(capacity, dtype=np.float64).ravel()
    if cap.size == 1:
        cap = np.full(m, float(cap[0]))
    if len(cap) != m or np.isnan(cap).any() or (cap < 0).any():
        msg = f"capacity needs {m} non-negative values / 容量须为 {m} 个非负数"
        raise AnalysisError(msg)
    return cap


def check_p(p: int, fixed: NDArray[np.bool_], *, kind: str, need_site: bool = True) -> int:
    """``p`` new sites: a whole number, at most the candidates that are not fixed (and,
    with ``need_site``, at least one site open in all)."""
    if int(p) != p or p < 0:
        raise AnalysisError(f"p must be a whole number >= 0, got {p} / p 须为非负整数")
    n_free = int((~fixed).sum())
    if p > n_free:
        msg = (
            f"{kind} asks for p = {p} new sites but only {n_free} candidates are not already "
            f"fixed open / 需新增 {p} 处但只有 {n_free} 个未固定的候选点"
        )
        raise InfeasibleError(msg)
    if need_site and p == 0 and not fixed.any():
        msg = f"{kind} with p = 0 and no fixed sites opens nothing / p=0 且无现有设施"
        raise InfeasibleError(msg)
    return int(p)


def check_reachable(
    cover: sp.csr_array,
    need: NDArray[np.bool_],
    demand_ids: NDArray[Any],
    *,
    radius_m: float,
    kind: str,
) -> None:
    """Every needed demand row has some candidate within ``radius_m``."""
    lonely = need & (np.diff(cover.indptr) == 0)
    if lonely.any():
        ids = id_list(demand_ids[lonely])
        msg = (
            f"demand rows {ids} have no candidate within {radius_m:g} m, so {kind} cannot "
            f"serve them / 需求点 {ids} 在 {radius_m:g} 米内没有候选点，{kind} 无法服务"
        )
        raise InfeasibleError(msg)


def check_capacity_total(
    capacity: NDArray[np.float64],
    weights: NDArray[np.float64],
    fixed: NDArray[np.bool_],
    *,
    p: int | None,
    kind: str,
) -> None:
    """The open sites' capacity can hold all demand: fixed plus the ``p`` largest free
    capacities (all candidates when ``p`` is ``None``)."""
    free = np.sort(capacity[~fixed])[::-1]
    best = capacity[fixed].sum() + (free.sum() if p is None else free[:p].sum())
    total = float(weights.sum())
    if best < total:
        msg = (
            f"{kind}: the largest capacity the open sites can have is {best:g}, less than "
            f"the total demand {total:g} / 可开设设施的最大总容量 {best:g} 小于总需求 {total:g}"
        )
        raise InfeasibleError(msg)


def check_single_source(
    cover: sp.csr_array,
    capacity: NDArray[np.float64],
    weights: NDArray[np.float64],
    need: NDArray[np.bool_],
    demand_ids: NDArray[Any],
    *,
    kind: str,
) -> None:
    """With single-source assignment every needed row fits in one reachable site."""
    counts = np.diff(cover.indptr)
    has = counts > 0
    biggest = np.zeros(cover.shape[0])
    if cover.nnz:
        biggest[has] = np.maximum.reduceat(capacity[cover.indices], cover.indptr[:-1][has])
    heavy = need & (weights > biggest)
    if heavy.any():
        ids = id_list(demand_ids[heavy])
        msg = (
            f"demand rows {ids} weigh more than the capacity of any site that can serve "
            f"them, so single-source {kind} cannot assign them / 需求点 {ids} 的需求超过"
            f"可服务它们的任一设施的容量，单一来源分配无解"
        )
        raise InfeasibleError(msg)
