"""Covered and uncovered counts per demand unit and per division level.

For every weight ``w`` (population, elderly 60+, ..., ``count`` of units) and every tier
``r``: ``w`` (the total), ``w_covered_<r>m``, ``w_uncovered_<r>m`` (covered + uncovered =
total, exactly: counts are whole numbers), ``w_unreachable`` (part of every uncovered:
points beyond the snapping distance of the network) and ``w_covered_share_<r>m``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.coverage.standards import tier_label

__all__ = ["add_shares", "group_sums", "point_group_sums", "unit_sums"]


def unit_sums(
    weights: dict[str, NDArray[np.int64]],
    unit: NDArray[np.int64],
    *,
    n_units: int,
    distance_m: NDArray[np.float64],
    reachable: NDArray[np.bool_],
    tiers_m: Sequence[float],
) -> pd.DataFrame:
    """Per-unit totals, covered, uncovered and unreachable counts (positional index)."""
    names = _count_names(weights, tiers_m)
    # one block of whole numbers, a row per column (the frame's own layout), filled in place
    table = np.empty((len(names), n_units), dtype=np.int64)
    covered = [distance_m <= r for r in tiers_m]
    # a point layer is its own units: each sum is the point's value
    own = len(unit) == n_units and bool((unit == np.arange(n_units)).all())
    col = 0
    for values in weights.values():
        v = values.astype(np.float64)
        total = _sum(unit, v, n_units, own=own)
        table[col] = total
        for i, mask in enumerate(covered):
            got = _sum(unit, np.where(mask, v, 0.0), n_units, own=own)
            table[col + 1 + i] = got
            table[col + 1 + len(covered) + i] = total - got
        unreachable = np.where(reachable, 0.0, v)
        table[col + 1 + 2 * len(covered)] = _sum(unit, unreachable, n_units, own=own)
        col += 2 + 2 * len(covered)
    return pd.DataFrame(table.T, columns=names, copy=False)


def _count_names(weights: Iterable[str], tiers_m: Sequence[float]) -> list[str]:
    """The count columns of every weight: total, covered and uncovered per tier,
    unreachable."""
    names: list[str] = []
    for name in weights:
        names.append(name)
        names += [f"{name}_covered_{tier_label(r)}" for r in tiers_m]
        names += [f"{name}_uncovered_{tier_label(r)}" for r in tiers_m]
        names.append(f"{name}_unreachable")
    return names


def point_group_sums(
    weights: dict[str, NDArray[np.int64]],
    group: NDArray[np.int64],
    *,
    n_groups: int,
    units: NDArray[np.int64],
    distance_m: NDArray[np.float64],
    reachable: NDArray[np.bool_],
    tiers_m: Sequence[float],
) -> pd.DataFrame:
    """The table of :func:`group_sums` over :func:`unit_sums`, straight from the points
    (``group``: the group of every point; ``units``: the units of every group): every
    point falls in one band (within the first tier that covers it, beyond the last, or
    unreachable), so one sum per weight, group and band gives every count."""
    n_tiers = len(tiers_m)
    band = np.zeros(len(distance_m), dtype=np.int64)
    for r in tiers_m:  # the tiers (ascending) the point is not within
        band += ~(distance_m <= r)
    band[~reachable] = n_tiers + 1
    key = group * (n_tiers + 2) + band
    names = _count_names(weights, tiers_m)
    table = np.empty((len(names), n_groups), dtype=np.int64)
    col = 0
    for values in weights.values():
        sums = np.bincount(key, weights=values, minlength=n_groups * (n_tiers + 2))
        by_band = np.rint(sums).astype(np.int64).reshape(n_groups, n_tiers + 2).T
        total = by_band.sum(axis=0)
        covered = np.cumsum(by_band[:n_tiers], axis=0)
        table[col] = total
        table[col + 1 : col + 1 + n_tiers] = covered
        table[col + 1 + n_tiers : col + 1 + 2 * n_tiers] = total - covered
        table[col + 1 + 2 * n_tiers] = by_band[n_tiers + 1]
        col += 2 + 2 * n_tiers
    frame = pd.DataFrame(table.T, columns=names, copy=False)
    frame.insert(0, "units", units.astype(np.int64))
    return frame


def _sum(
    unit: NDArray[np.int64], values: NDArray[np.float64], n: int, *, own: bool = False
) -> NDArray[np.int64]:
    """Whole-number sums of ``values`` by unit (``own``: one point per unit, in order)."""
    sums = values if own else np.bincount(unit, weights=values, minlength=n)
    return np.rint(sums).astype(np.int64)


def group_sums(
    sums: pd.DataFrame,
    which: NDArray[np.int64],
    n_groups: int,
    *,
    units: NDArray[np.int64] | None = None,
) -> pd.DataFrame:
    """Sum the rows of ``sums`` by group (``which``: the group of every row), with the
    number of ``units`` (of every row; default one) in a first column. Uncovered
    counts are the group's total less its covered count (whole numbers: exactly their
    sum)."""
    columns = list(sums.columns)
    rows = sums.to_numpy(dtype=np.int64).T  # a row per column, contiguous
    table = np.empty((len(rows), n_groups), dtype=np.int64)
    derived = {}
    for j, name in enumerate(columns):
        total, _, tier = name.partition("_uncovered_")
        if tier and total in columns and f"{total}_covered_{tier}" in columns:
            derived[j] = (columns.index(total), columns.index(f"{total}_covered_{tier}"))
        else:
            table[j] = np.rint(np.bincount(which, weights=rows[j], minlength=n_groups))
    for j, (total_j, covered_j) in derived.items():
        table[j] = table[total_j] - table[covered_j]
    frame = pd.DataFrame(table.T, columns=sums.columns, copy=False)
    count = np.bincount(which, weights=units, minlength=n_groups)
    frame.insert(0, "units", np.rint(count).astype(np.int64))
    return frame


def add_shares(
    frame: pd.DataFrame, weights: Sequence[str], tiers_m: Sequence[float]
) -> pd.DataFrame:
    """Add ``w_covered_share_<r>m`` (0-1; NaN where the total is 0) for every weight
    (a new frame, the shares appended in one step)."""
    shares = {}
    for name in weights:
        total = frame[name].to_numpy(dtype=np.float64)
        for r in tiers_m:
            got = frame[f"{name}_covered_{tier_label(r)}"].to_numpy(dtype=np.float64)
            share = np.divide(got, total, out=np.full(len(frame), np.nan), where=total > 0)
            shares[f"{name}_covered_share_{tier_label(r)}"] = share
    return pd.concat([frame, pd.DataFrame(shares, index=frame.index)], axis=1)
