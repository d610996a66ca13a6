"""Detours: how much farther the nearest facility is on foot than in straight line, for
every demand unit (or, without facilities, the walk to the unit's nearest other unit).

At short range a walk several times the straight line is rare in a dense city: where the
network says so, the network more likely lacks a link. The ratios' distribution is the
honest statement of what a network does to distances, instead of a fixed factor.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo._errors import EmptyInputError
from geo.network.build import positions_of
from geo.network.graph import Network
from geo.network.quality._findings import findings
from geo.network.search import nearest_search, pair_search
from geo.projection import points_xy
from geo.snap import DEFAULT_MAX_SNAP_M

__all__ = [
    "detour_outliers",
    "detour_ratios",
    "detour_stats",
    "ratio_table",
    "suspect_detours",
]


def detour_ratios(
    network: Network,
    demand: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame | None = None,
    *,
    cap_m: float = 10_000.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> pd.DataFrame:
    """How much farther the nearest target is on foot than in straight line, per unit.

    With facilities as ``targets`` the ratio is the walk to the nearest facility on foot
    over the straight line to the nearest facility (one bounded multi-source search, what
    a coverage result depends on); without, the walk to the unit's nearest other unit in
    straight line over that straight line (one bounded search per unit).

    Parameters
    ----------
    network
        The walking network.
    demand
        Demand units (polygons use a point inside them), any CRS.
    targets
        Facilities; ``None`` pairs every unit with its nearest other unit.
    cap_m
        Walks are searched up to this far (``inf`` beyond: the ratio is then at least
        ``cap_m / straight_m``).
    max_snap_m
        Points farther than this from the network have no walk.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``demand``: ``target`` (position in ``targets`` of the nearest in
        straight line), ``straight_m``, ``walk_target`` (of the nearest on foot, -1 if
        none), ``network_m`` (with both access legs; ``inf`` if none within ``cap_m``) and
        ``ratio``.
    """
    crs = network.pyproj_crs
    dxy = points_xy(demand, crs)
    txy = dxy if targets is None else points_xy(targets, crs)
    if len(txy) < (2 if targets is None else 1):
        raise EmptyInputError("no targets to measure detours to / 没有可比较绕行的目标")
    if targets is None:
        straight, target = (a[:, 1] for a in cKDTree(txy).query(dxy, k=2))
        rows, cols, vals = pair_search(
            network, dxy, txy, cutoff_m=cap_m, max_snap_m=max_snap_m, add_access=True
        )
        walk = _lookup(rows, cols, vals, np.arange(len(dxy)), target, n_cols=len(txy))
        walk_target = np.where(np.isfinite(walk), target, -1)
    else:
        straight, target = cKDTree(txy).query(dxy)
        near = nearest_search(
            network, dxy, txy, cutoff_m=cap_m, max_snap_m=max_snap_m, add_access=True
        )
        walk, walk_target = near.distance_m, near.facility
    return ratio_table(demand.index, straight, target, walk, walk_target)


def ratio_table(
    index: pd.Index,
    straight_m: NDArray[np.float64],
    target: NDArray[np.int64],
    walk_m: NDArray[np.float64],
    walk_target: NDArray[np.int64],
) -> pd.DataFrame:
    """The table :func:`detour_ratios` returns, from its columns (``ratio`` computed)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(straight_m > 0, walk_m / straight_m, np.nan)
    return pd.DataFrame(
        {
            "target": target,
            "straight_m": straight_m,
            "walk_target": walk_target,
            "network_m": walk_m,
            "ratio": ratio,
        },
        index=index,
    )


def _lookup(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    vals: NDArray[np.float64],
    want_rows: NDArray[np.int64],
    want_cols: NDArray[np.int64],
    *,
    n_cols: int,
) -> NDArray[np.float64]:
    """Values of the sparse (row, col) pairs at the wanted pairs (``inf`` where absent)."""
    keys = rows * n_cols + cols
    order = np.argsort(keys)
    pos = positions_of(keys[order], order, want_rows.astype(np.int64) * n_cols + want_cols)
    return np.where(pos >= 0, vals[pos], np.inf)


def detour_stats(ratios: pd.DataFrame, *, range_m: float = 1000.0) -> dict[str, float]:
    """The distribution of detour ratios of the units within ``range_m`` of their target:
    ``count``, ``median`` and ``p90`` (a walk beyond the search counts as longer than any),
    ``mean`` and ``max`` of the walks found, and ``beyond`` (units with no walk found)."""
    near = ratios["ratio"][ratios["straight_m"] <= range_m].to_numpy(dtype=float)
    near = near[~np.isnan(near)]
    finite = near[np.isfinite(near)]
    if len(finite) == 0:
        return {"count": 0, "beyond": len(near)}
    return {
        "count": len(near),
        "beyond": int(len(near) - len(finite)),
        "median": float(np.quantile(near, 0.5, method="lower")),
        "p90": float(np.quantile(near, 0.9, method="lower")),
        "mean": float(finite.mean()),
        "max": float(finite.max()),
    }


def suspect_detours(
    ratios: pd.DataFrame, *, ratio: float = 3.0, range_m: float = 1000.0
) -> NDArray[np.bool_]:
    """Units within ``range_m`` of their target whose walk is more than ``ratio`` times
    the straight line, or not found: their walking results likely show a network gap."""
    near = ratios["straight_m"].to_numpy(dtype=float) <= range_m
    fine = ratios["ratio"].to_numpy(dtype=float) <= ratio
    return np.asarray(near & ~fine, dtype=bool)


def detour_outliers(
    ratios: pd.DataFrame,
    demand: gpd.GeoDataFrame,
    *,
    crs: Any,
    ratio: float = 3.0,
    range_m: float = 1000.0,
    cap_m: float = 10_000.0,
    name_column: str = "name",
    street_column: str = "street",
) -> gpd.GeoDataFrame:
    """Units within ``range_m`` of their target in straight line whose walk is more than
    ``ratio`` times longer (or none within ``cap_m``), as findings at the unit (``crs``:
    the network's)."""
    rows = np.flatnonzero(suspect_detours(ratios, ratio=ratio, range_m=range_m))
    units = demand.iloc[rows]
    r = ratios.iloc[rows]
    names = _text(units, name_column)
    streets = _text(units, street_column)
    straight, walk, factor = (
        r[c].to_numpy(dtype=float) for c in ("straight_m", "network_m", "ratio")
    )
    en, zh = [], []
    for nm, st, s, w, f in zip(names, streets, straight, walk, factor, strict=True):
        where = f"{nm} ({st})" if st else nm
        walk_en = (
            f"the nearest on foot {w:,.0f} m ({f:.1f}×)"
            if np.isfinite(w)
            else f"none within {cap_m:,.0f} m on foot"
        )
        walk_zh = (
            f"步行最近 {w:,.0f} 米（{f:.1f} 倍）"
            if np.isfinite(w)
            else f"步行 {cap_m:,.0f} 米内没有"
        )
        en.append(f"{where}: the nearest target is {s:,.0f} m away in straight line, {walk_en}")
        zh.append(f"{nm}{f'（{st}）' if st else ''}：最近目标直线 {s:,.0f} 米，{walk_zh}")
    points = points_xy(units, crs) if len(units) else np.zeros((0, 2))
    return findings(
        "detour",
        shapely.points(points) if len(points) else [],
        severity=np.where(~(factor <= 2 * ratio), "high", "medium"),
        explanation_en=en,
        explanation_zh=zh,
        crs=crs,
        straight_m=straight,
        network_m=walk,
        ratio=factor,
        name=names,
        street=streets,
    )


def _text(frame: pd.DataFrame, column: str) -> NDArray[np.object_]:
    if column in frame:
        return frame[column].fillna("").astype(str).to_numpy(dtype=object)
    return np.full(len(frame), "", dtype=object)
