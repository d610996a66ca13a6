"""The site-and-assignment MILP shared by p-median and the capacitated variants.

Variables: ``x_j`` (site ``j`` open, binary; fixed sites have ``x_j = 1``) then one
``z_e`` per allowed demand-site pair ``e = (i, j)`` (the share of row ``i`` served by
``j``; binary with single-source assignment). Rows, built as one sparse matrix::

    assignment   sum_j z_ij  = 1 (or <= 1 when demand may stay unserved)   per row i
    opening      z_ij - x_j <= 0                                            per pair
    capacity     sum_i w_i z_ij - C_j x_j <= 0      (finite capacities)    per site j
    count        sum_{j not fixed} x_j = p          (when p is given)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo.siting.solve import Milp

__all__ = ["Pairs", "assignment_milp", "split_solution"]


@dataclass(frozen=True)
class Pairs:
    """Allowed demand-site pairs: demand ``row``, site ``col`` (parallel arrays)."""

    row: NDArray[np.intp]
    col: NDArray[np.intp]

    @classmethod
    def of(cls, matrix: sp.csr_array, rows: NDArray[np.intp]) -> Pairs:
        """The stored entries of ``matrix`` restricted to ``rows`` (original numbering)."""
        sub = sp.csr_array(matrix[rows])
        local = np.repeat(np.arange(len(rows)), np.diff(sub.indptr))
        return cls(rows[local].astype(np.intp), sub.indices.astype(np.intp))


def assignment_milp(
    pairs: Pairs,
    *,
    n_rows: int,
    fixed: NDArray[np.bool_],
    pair_cost: NDArray[np.float64],
    site_cost: NDArray[np.float64] | float = 0.0,
    weights: NDArray[np.float64] | None = None,
    capacity: NDArray[np.float64] | None = None,
    p: int | None = None,
    must_serve: bool = True,
    single_source: bool = False,
    maximize: bool = False,
) -> Milp:
    """Build the model described in the module docstring.

    ``n_rows`` is the number of demand rows (pairs refer to them; rows without pairs must
    not be passed when ``must_serve``). ``weights`` is required with ``capacity``.
    """
    m, n_pair = len(fixed), len(pairs.row)
    z = m + np.arange(n_pair)
    ones = np.ones(n_pair)
    blocks = [
        # assignment: sum_j z_ij (= or <=) 1
        _Block(
            pairs.row,
            z,
            ones,
            np.ones(n_rows) if must_serve else np.full(n_rows, -np.inf),
            np.ones(n_rows),
        ),
        # opening: z_ij - x_j <= 0
        _Block(
            np.tile(np.arange(n_pair), 2),
            np.concatenate([z, pairs.col]),
            np.concatenate([ones, -ones]),
            np.full(n_pair, -np.inf),
            np.zeros(n_pair),
        ),
    ]
    if capacity is not None:
        assert weights is not None
        blocks.append(_capacity_block(pairs, weights, capacity, m))
    if p is not None:
        free = np.flatnonzero(~fixed)
        blocks.append(
            _Block(
                np.zeros(len(free), np.intp),
                free,
                np.ones(len(free)),
                np.array([float(p)]),
                np.array([float(p)]),
            )
        )
    matrix = _stack(blocks, m + n_pair)
    cost = np.concatenate([np.broadcast_to(np.asarray(site_cost, float), (m,)), pair_cost])
    return Milp(
        cost=cost,
        matrix=matrix,
        row_lower=np.concatenate([b.lower for b in blocks]),
        row_upper=np.concatenate([b.upper for b in blocks]),
        col_lower=np.concatenate([fixed.astype(np.float64), np.zeros(n_pair)]),
        col_upper=np.ones(m + n_pair),
        integer=np.concatenate([np.ones(m, dtype=bool), np.full(n_pair, single_source)]),
        maximize=maximize,
    )


@dataclass(frozen=True)
class _Block:
    """Rows of the constraint matrix, numbered from 0 within the block."""

    row: NDArray[np.intp]
    col: NDArray[np.intp]
    value: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]


def _capacity_block(
    pairs: Pairs, weights: NDArray[np.float64], capacity: NDArray[np.float64], m: int
) -> _Block:
    """``sum_i w_i z_ij - C_j x_j <= 0`` for every site with a finite capacity."""
    limited = np.flatnonzero(np.isfinite(capacity))
    slot = np.full(m, -1)
    slot[limited] = np.arange(len(limited))
    use = slot[pairs.col] >= 0
    z = m + np.flatnonzero(use)
    return _Block(
        np.concatenate([slot[pairs.col][use], slot[limited]]),
        np.concatenate([z, limited]),
        np.concatenate([weights[pairs.row][use], -capacity[limited]]),
        np.full(len(limited), -np.inf),
        np.zeros(len(limited)),
    )


def _stack(blocks: list[_Block], n_cols: int) -> sp.csr_array:
    """One sparse matrix with the blocks' rows one after another."""
    offsets = np.cumsum([0] + [len(b.lower) for b in blocks])
    rows = np.concatenate([b.row + off for b, off in zip(blocks, offsets[:-1], strict=True)])
    return sp.csr_array(
        (
            np.concatenate([b.value for b in blocks]),
            (rows, np.concatenate([b.col for b in blocks])),
        ),
        shape=(int(offsets[-1]), n_cols),
    )


def split_solution(x: NDArray[np.float64], m: int) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """The open-site mask and the pair shares (clipped to [0, 1]) of a solution."""
    return x[:m] > 0.5, np.clip(x[m:], 0.0, 1.0)
