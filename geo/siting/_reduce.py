"""Exact reductions of covering problems, done on sparse arrays before the MILP.

Each keeps the optimum: demand rows with the same set of covering candidates are one row
with the summed weight; a candidate whose covered set is contained in another's is never
needed (for uncapacitated covering); rows already covered by a fixed site are a constant;
in a set-covering problem a row whose candidate set contains another row's is implied.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = [
    "dominated_columns",
    "greedy_cover",
    "implied_rows",
    "merge_identical_rows",
    "pattern",
    "row_min",
    "swap_improve",
]

#: above this many products in AᵀA the dominated-column test is skipped (it is optional)
_MAX_OVERLAP_WORK = 50_000_000


def pattern(matrix: sp.sparray | sp.spmatrix) -> sp.csr_array:
    """The 0/1 float pattern of the stored entries of ``matrix`` (explicit zeros count)."""
    m = sp.csr_array(matrix)
    m.sort_indices()
    return sp.csr_array((np.ones(m.nnz), m.indices.copy(), m.indptr.copy()), shape=m.shape)


def row_min(matrix: sp.csr_array, *, empty: float = np.inf) -> NDArray[np.float64]:
    """Minimum stored value of each row (``empty`` for rows with no entries)."""
    counts = np.diff(matrix.indptr)
    out = np.full(matrix.shape[0], empty, dtype=np.float64)
    has = counts > 0
    if matrix.nnz:
        mins = np.minimum.reduceat(matrix.data, matrix.indptr[:-1][has])
        out[has] = mins
    return out


def merge_identical_rows(
    cover: sp.csr_array, weights: NDArray[np.float64]
) -> tuple[sp.csr_array, NDArray[np.float64], NDArray[np.intp]]:
    """Merge rows of a 0/1 CSR with the same set of columns, summing their weights.

    Rows are grouped by two order-free integer hashes of their column sets and their
    length, then each row is compared exactly with its group's first row; a row that
    differs (a hash collision) keeps a group of its own.

    Returns
    -------
    merged, merged_weights, group
        The merged matrix, its weights, and for every input row its merged row.
    """
    a = sp.csr_array(cover)
    a.sort_indices()
    n = a.shape[0]
    if n == 0:
        return a, weights.copy(), np.zeros(0, dtype=np.intp)
    rng = np.random.default_rng(20240601)
    salt = rng.integers(1, 2**62, size=(2, a.shape[1]), dtype=np.int64)
    lengths = np.diff(a.indptr)
    h = np.zeros((n, 3), dtype=np.int64)
    h[:, 0] = lengths
    nonempty = lengths > 0
    starts = a.indptr[:-1][nonempty]
    with np.errstate(over="ignore"):
        h[nonempty, 1] = np.add.reduceat(salt[0][a.indices], starts)
        h[nonempty, 2] = np.bitwise_xor.reduceat(salt[1][a.indices], starts)
    _, first, group = np.unique(h, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    rep = first[group]
    # exact check of every row against its representative
    row_of = np.repeat(np.arange(n), lengths)
    offset = np.arange(a.nnz) - a.indptr[row_of]
    same = a.indices == a.indices[a.indptr[rep[row_of]] + offset]
    bad = np.zeros(n, dtype=bool)
    bad[row_of[~same]] = True
    if bad.any():  # pragma: no cover - needs a 2^-62 hash collision
        group = group.copy()
        group[bad] = group.max() + 1 + np.arange(int(bad.sum()))
        _, first, group = np.unique(group, return_index=True, return_inverse=True)
    merged_w = np.bincount(group, weights=weights, minlength=len(first)).astype(np.float64)
    return sp.csr_array(a[first]), merged_w, group.astype(np.intp)


def _contained(a: sp.csc_array) -> tuple[NDArray[np.intp], NDArray[np.intp]] | None:
    """Pairs ``(j, k)``, ``j != k``, where column ``j``'s row set is inside column ``k``'s
    (``None`` when the overlap product would be too large to compute)."""
    lengths = np.diff(sp.csr_array(a).indptr)
    if int((lengths.astype(np.int64) ** 2).sum()) > _MAX_OVERLAP_WORK:
        return None
    size = np.diff(a.indptr)
    overlap = (a.T @ a).tocoo()
    j, k, c = overlap.row, overlap.col, overlap.data
    inside = (j != k) & (c == size[j])
    return j[inside].astype(np.intp), k[inside].astype(np.intp)


def dominated_columns(cover: sp.csr_array) -> NDArray[np.bool_]:
    """Columns whose covered row set is contained in another column's.

    Ties (equal sets) keep the lowest column index; empty columns are dominated. The
    relation is a strict order, so every dominated column has an undominated dominator.
    Skipped (nothing dominated) when the overlap product would be too large.
    """
    a = sp.csc_array(cover)
    size = np.diff(a.indptr)
    dominated = size == 0
    pairs = _contained(a)
    if pairs is None:
        return dominated
    j, k = pairs
    strict = (size[k] > size[j]) | ((size[k] == size[j]) & (k < j))
    dominated[j[strict]] = True
    return dominated


def implied_rows(cover: sp.csr_array) -> NDArray[np.bool_]:
    """Rows of a covering problem implied by another row: their candidate set contains
    another row's, so covering that row covers them too. Rows must be distinct sets (as
    :func:`merge_identical_rows` leaves them); empty rows are never implied."""
    a = sp.csc_array(sp.csr_array(cover).T)
    implied = np.zeros(a.shape[1], dtype=bool)
    pairs = _contained(a)
    if pairs is not None:
        j, k = pairs
        implied[k[np.diff(a.indptr)[j] > 0]] = True
    return implied


def greedy_cover(
    cover: sp.csc_array,
    weights: NDArray[np.float64],
    *,
    n_sites: int,
    covered: NDArray[np.bool_] | None = None,
    allowed: NDArray[np.bool_] | None = None,
) -> NDArray[np.intp]:
    """Pick up to ``n_sites`` columns one by one, each covering the most uncovered weight.

    Stops early when no allowed column adds weight. Returns the columns in pick order.
    """
    a = sp.csc_array(cover)
    left = weights * (~covered if covered is not None else 1.0)
    ok = np.ones(a.shape[1], dtype=bool) if allowed is None else allowed.copy()
    picks: list[int] = []
    for _ in range(n_sites):
        gain = a.T @ left
        gain[~ok] = -1.0
        j = int(np.argmax(gain)) if len(gain) else -1
        if j < 0 or gain[j] <= 0:
            break
        picks.append(j)
        ok[j] = False
        left[a.indices[a.indptr[j] : a.indptr[j + 1]]] = 0.0
    return np.asarray(picks, dtype=np.intp)


def swap_improve(
    cover: sp.csc_array,
    weights: NDArray[np.float64],
    chosen: NDArray[np.bool_],
    *,
    max_swaps: int = 200,
) -> NDArray[np.bool_]:
    """Best-improvement one-for-one swaps of chosen columns for maximal covered weight.

    A swap's gain is ``G[k] - L[j] + B[j, k]``: weight newly covered by ``k``, weight only
    ``j`` covers, and the part of the latter that ``k`` covers too.
    """
    a = sp.csc_array(cover)
    x = chosen.copy()
    if x.all() or not x.any():
        return x
    for _ in range(max_swaps):
        count = a @ x.astype(np.float64)
        alone = weights * (count == 1)
        gain_in = a.T @ (weights * (count == 0))
        loss_out = a.T @ alone
        gain_in[x] = -np.inf
        loss_out[~x] = np.inf
        out_cols = np.flatnonzero(x)
        both = sp.coo_array(a[:, out_cols].T @ (sp.diags_array(alone) @ a))
        k_best, j_best = int(np.argmax(gain_in)), int(np.argmin(loss_out))
        best = gain_in[k_best] - loss_out[j_best]
        if both.nnz:
            delta = gain_in[both.col] - loss_out[out_cols[both.row]] + both.data
            t = int(np.argmax(delta))
            if delta[t] > best:
                best, j_best, k_best = delta[t], int(out_cols[both.row[t]]), int(both.col[t])
        if not best > 1e-9:
            break
        x[j_best], x[k_best] = False, True
    return x
