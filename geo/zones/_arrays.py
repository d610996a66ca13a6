"""Small typed array helpers shared by the zone modules."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ranks", "sums"]


def sums(index: ArrayLike, weights: ArrayLike, size: int | None = None) -> NDArray[np.float64]:
    """``weights`` summed by ``index`` into an array of at least ``size`` floats."""
    idx = np.asarray(index, dtype=np.intp)
    out = np.bincount(idx, weights=np.asarray(weights, dtype=float), minlength=size or 0)
    return out.astype(np.float64)


def ranks(size: ArrayLike) -> NDArray[np.intp]:
    """``0 .. size[i] - 1`` for each run ``i``, concatenated."""
    s = np.asarray(size, dtype=np.intp)
    total = int(s.sum())
    return (np.arange(total) - np.repeat(np.cumsum(s) - s, s)).astype(np.intp)
