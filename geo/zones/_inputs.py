"""Checked inputs of a :class:`~geo.zones.problem.ZoneProblem`: vectors, street codes, station
homes, locks, seeds and the band."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from geo._errors import AnalysisError
from geo.costs import CostMatrix

__all__ = ["Band", "band_limits", "homes", "lock_array", "seeds", "street_codes", "vector"]

#: the workload band around capacity: ``0.15`` means ±15 %, ``(0.1, 0.2)`` means −10 %/+20 %
Band = float | tuple[float, float]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def band_limits(band: Band) -> tuple[float, float]:
    """``(lo, hi)`` of a band: ``0.15`` is ``(0.15, 0.15)``; a pair is kept as it is."""
    lo, hi = (band, band) if isinstance(band, int | float) else band
    if not (0 <= lo <= 1 and hi >= 0):
        raise AnalysisError(f"bad band {band!r} / 工作量区间无效：{band!r}")
    return float(lo), float(hi)


def vector(values: ArrayLike, n: int, name: str) -> FloatArray:
    v = np.asarray(values, dtype=float).reshape(-1)
    if v.size != n or not np.isfinite(v).all() or (v < 0).any():
        msg = f"{name} must be {n} finite non-negative numbers / {name} 须为 {n} 个非负有限数"
        raise AnalysisError(msg)
    return v


def street_codes(labels: ArrayLike, n: int) -> tuple[NDArray[np.object_], IntArray]:
    lab = pd.Series(np.asarray(labels, dtype=object).reshape(-1))
    if lab.size != n or lab.isna().any():
        raise AnalysisError(f"street must give {n} labels, none missing / 街道须给出 {n} 个标签")
    codes, uniques = pd.factorize(lab, sort=True)
    return np.asarray(uniques, dtype=object), codes.astype(np.intp)


def homes(
    costs: CostMatrix, homes: ArrayLike | None, uxy: FloatArray | None, sxy: FloatArray | None
) -> IntArray:
    m = costs.shape[1]
    if homes is not None:
        idx = pd.Index(costs.demand_ids).get_indexer(pd.Index(np.asarray(homes, dtype=object)))
        if len(idx) != m or (idx < 0).any():
            raise AnalysisError("homes must name a known unit per station / 驿站所在单元无效")
        return idx.astype(np.intp)
    csc = sp.csc_array(costs.matrix)
    out = np.full(m, -1, dtype=np.intp)
    filled = np.diff(csc.indptr) > 0
    if filled.any():
        # smallest cost per column, ties to the lowest unit index
        col = np.repeat(np.arange(m), np.diff(csc.indptr))
        order = np.lexsort((csc.indices, csc.data, col))
        first = np.unique(col[order], return_index=True)[1]
        out[col[order][first]] = csc.indices[order][first]
    empty = out < 0
    if empty.any():
        if uxy is None or sxy is None:
            bad = ", ".join(str(s) for s in costs.facility_ids[empty][:20])
            msg = f"stations with no unit in the cost matrix: {bad} / 驿站无可达单元：{bad}"
            raise AnalysisError(msg)
        from scipy.spatial import cKDTree

        out[empty] = cKDTree(uxy).query(sxy[empty])[1]
    return out


def lock_array(costs: CostMatrix, locks: Mapping[Hashable, Hashable] | None) -> IntArray:
    n, _ = costs.shape
    out = np.full(n, -1, dtype=np.intp)
    if not locks:
        return out
    units = pd.Index(costs.demand_ids).get_indexer(pd.Index(list(locks.keys()), dtype=object))
    stations = pd.Index(costs.facility_ids).get_indexer(
        pd.Index(list(locks.values()), dtype=object)
    )
    bad = [str(k) for k, u, s in zip(locks, units, stations, strict=True) if u < 0 or s < 0]
    if bad:
        msg = f"locks name unknown units or stations: {', '.join(bad[:20])} / 锁定项含未知编号"
        raise AnalysisError(msg)
    out[units] = stations
    return out


def seeds(home: IntArray, locks: IntArray) -> IntArray:
    m = home.size
    seed = home.copy()
    first = np.zeros(m, dtype=bool)
    first[np.unique(home, return_index=True)[1]] = True
    lk = locks[home]
    seed[~first | ((lk >= 0) & (lk != np.arange(m)))] = -1
    return seed
