"""Demand as weighted points.

A point layer is its own demand: one point per row. A polygon layer (communities) becomes
population-weighted points, since no finer population is known: each polygon's
representative point (always inside it) plus a regular grid sample inside the polygon,
about ``points_per_polygon`` points in all, sharing the polygon's counts equally as whole
people (the remainder goes to the first points). The representative point is the unit's
*centre*: its nearest facility and distance describe the unit, while covered shares come
from all its points. ``points_per_polygon=1`` keeps only the centre.

Division codes give the roll-up levels: a 12-digit community code starts with its 9-digit
street code, which starts with its 6-digit district code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo._errors import AnalysisError, EmptyInputError
from geo.network._polyline import ranges
from geo.projection import points_xy

__all__ = [
    "DEFAULT_POINTS_PER_POLYGON",
    "LEVELS",
    "WEIGHT_COLUMNS",
    "DemandPoints",
    "demand_points",
    "level_groups",
]

#: demand counts carried from communities to their points, when present
WEIGHT_COLUMNS = ("population", "elderly_60_plus", "elderly_80_plus", "basic_recipients")
#: roll-up levels and the digits of their division codes
LEVELS: dict[str, int] = {"community": 12, "street": 9, "district": 6}
DEFAULT_POINTS_PER_POLYGON = 9
_MAX_GRID_FACTOR = 50  # candidate grid points per wanted point, at most


@dataclass(frozen=True)
class DemandPoints:
    """Weighted demand points of a demand layer.

    Attributes
    ----------
    units
        The demand layer (positional index), one row per demand unit.
    xy
        ``(n, 2)`` point coordinates in the working CRS.
    unit
        Position of each point's unit in ``units``.
    center
        True for the point that stands for its unit (its representative point).
    weights
        Counts carried by each point, by name (integers; ``count`` is 1 per unit).
    crs
        The working CRS of ``xy``.
    """

    units: gpd.GeoDataFrame
    xy: NDArray[np.float64]
    unit: NDArray[np.int64]
    center: NDArray[np.bool_]
    weights: dict[str, NDArray[np.int64]]
    crs: object

    def __len__(self) -> int:
        return len(self.unit)

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The points with their unit position and weights (working CRS)."""
        frame = pd.DataFrame({"unit": self.unit, "center": self.center, **self.weights})
        return gpd.GeoDataFrame(frame, geometry=shapely.points(self.xy), crs=self.crs)


def _weight_columns(units: pd.DataFrame, weights: Sequence[str] | None) -> list[str]:
    if weights is None:
        return [c for c in WEIGHT_COLUMNS if c in units.columns]
    missing = [w for w in weights if w not in units.columns]
    if missing:
        msg = f"demand has no column {missing} / 需求图层缺少列 {missing}"
        raise AnalysisError(msg)
    return list(weights)


def demand_points(
    demand: gpd.GeoDataFrame,
    *,
    crs: object,
    points_per_polygon: int = DEFAULT_POINTS_PER_POLYGON,
    weights: Sequence[str] | None = None,
) -> DemandPoints:
    """Turn a demand layer into weighted points (see the module docstring).

    Parameters
    ----------
    demand
        Points (households, blocks) or polygons (communities), in any CRS.
    crs
        Projected CRS to work in.
    points_per_polygon
        About how many points stand for each polygon (at least 1: the centre).
    weights
        Count columns to carry (default: those of :data:`WEIGHT_COLUMNS` present); a
        ``count`` of 1 per unit is always added.

    Returns
    -------
    DemandPoints
    """
    if len(demand) == 0:
        raise EmptyInputError("no demand / 没有需求数据")
    units = demand.reset_index(drop=True)
    names = _weight_columns(units, weights)
    values = {w: units[w].fillna(0).to_numpy(dtype=np.float64) for w in names}
    if any((v < 0).any() for v in values.values()):
        raise AnalysisError("demand counts must not be negative / 需求人数不能为负")
    center_xy = points_xy(units, crs)
    polygon = np.isin(shapely.get_type_id(units.geometry.to_numpy()), (3, 6))
    if polygon.any() and points_per_polygon > 1:
        geoms = units.geometry.to_crs(crs).to_numpy()
        extra_unit, extra_xy = _grid_sample(geoms, polygon, points_per_polygon - 1)
    else:
        extra_unit, extra_xy = np.zeros(0, np.int64), np.zeros((0, 2))
    if len(extra_unit) == 0:  # one point per unit, in unit order, with its whole counts
        unit, xy, center = np.arange(len(units)), center_xy, np.ones(len(units), bool)
        shares = {w: np.round(v).astype(np.int64) for w, v in values.items()}
    else:
        unit = np.concatenate([np.arange(len(units)), extra_unit])
        order = np.argsort(unit, kind="stable")
        unit = unit[order]
        xy = np.concatenate([center_xy, extra_xy])[order]
        center = np.r_[np.ones(len(units), bool), np.zeros(len(extra_unit), bool)][order]
        counts = np.bincount(unit, minlength=len(units))
        rank = np.arange(len(unit)) - np.searchsorted(unit, unit, side="left")
        shares = {w: _split_whole(v, counts, unit, rank) for w, v in values.items()}
    shares["count"] = center.astype(np.int64)
    return DemandPoints(units, xy, unit.astype(np.int64), center, shares, crs)


def _split_whole(
    total: NDArray[np.float64],
    counts: NDArray[np.int64],
    unit: NDArray[np.int64],
    rank: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Share each unit's whole count among its points: equal parts, remainder first."""
    whole = np.round(total).astype(np.int64)
    base, rem = np.divmod(whole, np.maximum(counts, 1))
    return np.asarray(base[unit] + (rank < rem[unit]), dtype=np.int64)


def _grid_sample(
    geoms: NDArray[np.object_], polygon: NDArray[np.bool_], n: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """About ``n`` regularly spaced points inside every polygon (none for other shapes)."""
    idx = np.flatnonzero(polygon)
    if n <= 0 or len(idx) == 0:
        return np.zeros(0, np.int64), np.zeros((0, 2))
    polys = geoms[idx]
    area = shapely.area(polys)
    x0, y0, x1, y1 = shapely.bounds(polys).T
    spacing = np.sqrt(np.maximum(area, 1e-9) / n)
    nx = np.clip(np.ceil((x1 - x0) / spacing), 1, _MAX_GRID_FACTOR * n).astype(np.int64)
    ny = np.clip(np.ceil((y1 - y0) / spacing), 1, _MAX_GRID_FACTOR * n).astype(np.int64)
    cells = nx * ny
    which = np.repeat(np.arange(len(idx)), cells)
    k = ranges(np.zeros(len(idx), np.int64), cells)
    ix, iy = k % nx[which], k // nx[which]
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x = cx[which] + (ix - (nx[which] - 1) / 2) * spacing[which]
    y = cy[which] + (iy - (ny[which] - 1) / 2) * spacing[which]
    inside = shapely.contains_xy(polys[which], x, y)
    return idx[which[inside]].astype(np.int64), np.column_stack([x[inside], y[inside]])


Groups = tuple[NDArray[np.int64], NDArray[np.object_]]


def _codes(units: pd.DataFrame, name: str) -> NDArray[np.object_] | None:
    if name not in units.columns:
        return None
    return np.asarray(units[name].fillna("").astype(str).to_numpy(dtype=object))


def level_groups(units: pd.DataFrame) -> dict[str, Groups | None]:
    """For each roll-up level, the group of every unit and the sorted distinct codes
    (None where the layer has no codes for that level).

    Explicit ``community_code`` / ``street_code`` / ``district_code`` columns win; a
    communities layer's 12-digit ``code`` is its community code; a missing upper level is
    the prefix of the level below (computed once per distinct code).
    """
    found: dict[str, NDArray[np.object_] | None] = {
        level: _codes(units, f"{level}_code") for level in LEVELS
    }
    if found["community"] is None:
        code = _codes(units, "code")
        if code is not None and all(len(c) == LEVELS["community"] for c in set(code)):
            found["community"] = code
    out: dict[str, Groups | None] = {}
    below: Groups | None = None
    for level, digits in LEVELS.items():  # finest first
        codes = found[level]
        if codes is not None:
            which, distinct = pd.factorize(codes, sort=True)
            below = (which.astype(np.int64), np.asarray(distinct, dtype=object))
        elif below is not None:
            heads = np.asarray([str(c)[:digits] for c in below[1]], dtype=object)
            hw, hd = pd.factorize(heads, sort=True)
            below = (hw[below[0]].astype(np.int64), np.asarray(hd, dtype=object))
        out[level] = below
    return out
