"""Capacity-aware accessibility: the two-step floating catchment area method (2SFCA).

Step 1: every facility ``j`` divides its supply ``S_j`` (shelter m², meals per day, ...)
by the demand within its catchment: ``R_j = S_j / Σ_i g(d_ij) P_i``. Step 2: every demand
point sums the ratios of the facilities within reach: ``A_i = Σ_j g(d_ij) R_j`` (supply per
person). ``g`` is 1 within the radius (classic 2SFCA, Luo & Wang 2003) or a Gaussian decay
(Dai 2010). Without decay, the supply handed out, ``Σ_i P_i A_i``, equals the supply of
the facilities that have anyone within reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo._errors import AnalysisError, EmptyInputError
from geo.costs import Mode
from geo.coverage.core import facility_ids as _facility_ids
from geo.coverage.demand import (
    DEFAULT_POINTS_PER_POLYGON,
    LEVELS,
    DemandPoints,
    demand_points,
    level_groups,
)
from geo.distance import _check_mode, cost_matrix_xy
from geo.network.graph import Network
from geo.projection import measuring_crs, points_xy
from geo.snap import DEFAULT_MAX_SNAP_M

if TYPE_CHECKING:
    import folium

__all__ = ["AccessibilityResult", "two_step_fca"]


@dataclass(frozen=True, eq=False)
class AccessibilityResult:
    """2SFCA accessibility: supply per unit of demand within reach.

    Attributes
    ----------
    demand_points
        The weighted demand points.
    facilities
        The facility layer with ``demand_within`` (weighted demand in the catchment) and
        ``supply_ratio`` (``R_j``; NaN where nobody is within reach).
    accessibility
        ``A_i`` per demand point (0 where nothing is within reach or unreachable).
    reachable
        Per demand point: snapped to the network.
    supply, weight, radius_m, mode, decay
        What was measured.
    """

    demand_points: DemandPoints
    facilities: gpd.GeoDataFrame
    accessibility: NDArray[np.float64]
    reachable: NDArray[np.bool_]
    supply: str
    weight: str
    radius_m: float
    mode: Mode
    decay: str
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def _unit_sums(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        dp = self.demand_points
        w = dp.weights[self.weight].astype(np.float64)
        n = len(dp.units)
        people = np.bincount(dp.unit, weights=w, minlength=n).astype(np.float64)
        handed = np.bincount(dp.unit, weights=w * self.accessibility, minlength=n)
        return people, handed.astype(np.float64)

    @property
    def points(self) -> gpd.GeoDataFrame:
        """Per demand point: unit, weight, ``accessibility``, ``reachable``."""
        dp = self.demand_points
        frame = pd.DataFrame(
            {
                "unit": dp.unit,
                self.weight: dp.weights[self.weight],
                "accessibility": self.accessibility,
                "reachable": self.reachable,
            }
        )
        out = gpd.GeoDataFrame(frame, geometry=shapely.points(dp.xy), crs=dp.crs)
        return out.to_crs(dp.units.crs)

    @property
    def demand(self) -> gpd.GeoDataFrame:
        """Per demand unit: ``supply_reached`` (its share of supply) and
        ``accessibility`` (weighted mean over its points: supply per ``weight``)."""
        people, handed = self._unit_sums()
        frame = self.demand_points.units.copy()
        frame["supply_reached"] = handed
        frame["accessibility"] = np.divide(
            handed, people, out=np.full(len(people), np.nan), where=people > 0
        )
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=frame.crs)

    def rollup(self, level: str = "street") -> pd.DataFrame:
        """Supply reached and accessibility (supply per ``weight``) by division level."""
        if level not in LEVELS:
            raise AnalysisError(f"unknown level {level!r} / 未知的汇总层级")
        groups = level_groups(self.demand_points.units)[level]
        if groups is None:
            raise AnalysisError(f"the demand layer has no {level} codes / 需求图层没有{level}代码")
        people, handed = self._unit_sums()
        which, distinct = groups
        p = np.bincount(which, weights=people, minlength=len(distinct))
        h = np.bincount(which, weights=handed, minlength=len(distinct))
        acc = np.divide(h, p, out=np.full(len(p), np.nan), where=p > 0)
        return pd.DataFrame(
            {f"{level}_code": distinct, self.weight: p, "supply_reached": h, "accessibility": acc}
        )

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The per-unit table (:attr:`demand`)."""
        return self.demand

    def explore(self, m: folium.Map | None = None, **kwargs: Any) -> folium.Map:
        """Draw units coloured by accessibility and the facilities on a folium map."""
        from geo.coverage.maps import draw_accessibility

        return draw_accessibility(self, m=m, **kwargs)


def _decay(d: NDArray[np.float64], radius_m: float, decay: str) -> NDArray[np.float64]:
    if decay == "none":
        return np.ones_like(d)
    if decay == "gaussian":
        edge = np.exp(-0.5)
        return (np.exp(-0.5 * (d / radius_m) ** 2) - edge) / (1 - edge)
    raise AnalysisError(f"decay must be 'none' or 'gaussian', not {decay!r} / 衰减函数无效")


def two_step_fca(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    supply: str,
    radius_m: float,
    weight: str = "population",
    mode: Mode = "network",
    network: Network | None = None,
    decay: str = "none",
    kind: str | None = None,
    facility_id: str | None = None,
    points_per_polygon: int = DEFAULT_POINTS_PER_POLYGON,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    add_access: bool = True,
) -> AccessibilityResult:
    """Supply per person within reach, by the two-step floating catchment method.

    Parameters
    ----------
    demand
        Communities (polygons) or demand points, with the ``weight`` column.
    facilities
        Facilities with the ``supply`` column (e.g. ``effective_area_m2`` of shelters,
        ``meals_per_day`` of meal points, ``capacity_persons`` of stations).
    supply, weight
        Supply column of ``facilities`` and demand column of ``demand`` (e.g.
        ``elderly_60_plus`` for meals per elderly resident).
    radius_m
        Catchment radius.
    mode, network, max_snap_m, add_access
        How distances are measured (see :func:`geo.coverage.core.coverage`).
    decay
        ``"none"`` (classic 2SFCA) or ``"gaussian"`` (weights falling to 0 at the radius).
    kind, facility_id
        Pick the facility id column (see :func:`geo.coverage.core.facility_ids`).
    points_per_polygon
        Weighted points per polygon (see :mod:`geo.coverage.demand`).

    Returns
    -------
    AccessibilityResult
    """
    _check_mode(mode, network)
    if len(facilities) == 0:
        raise EmptyInputError("no facilities / 没有设施")
    if supply not in facilities.columns:
        raise AnalysisError(f"facilities have no column {supply!r} / 设施图层缺少列 {supply}")
    fac = facilities.reset_index(drop=True)
    s = fac[supply].fillna(0).to_numpy(dtype=np.float64)
    crs = network.pyproj_crs if network is not None else measuring_crs(demand)
    dp = demand_points(demand, crs=crs, points_per_polygon=points_per_polygon, weights=[weight])
    cm = cost_matrix_xy(
        dp.xy,
        points_xy(fac, crs),
        network=network,
        mode=mode,
        cutoff_m=radius_m,
        max_snap_m=max_snap_m,
        add_access=add_access,
    )
    m = cm.matrix.tocoo()
    g = _decay(m.data, radius_m, decay)
    p = dp.weights[weight].astype(np.float64)
    demand_within = np.bincount(m.col, weights=g * p[m.row], minlength=len(fac))
    ratio = np.divide(s, demand_within, out=np.full(len(fac), np.nan), where=demand_within > 0)
    contrib = g * np.nan_to_num(ratio)[m.col]
    access = np.bincount(m.row, weights=contrib, minlength=len(dp)).astype(np.float64)
    out_fac = fac.copy()
    out_fac["facility_id"] = _facility_ids(fac, kind=kind, facility_id=facility_id)
    out_fac["demand_within"] = demand_within
    out_fac["supply_ratio"] = ratio
    reachable = (
        np.ones(len(dp), dtype=bool) if mode == "euclidean" else _snapped(network, dp, max_snap_m)
    )
    return AccessibilityResult(
        dp, out_fac, access, reachable, supply, weight, float(radius_m), mode, decay
    )


def _snapped(network: Network | None, dp: DemandPoints, max_snap_m: float) -> NDArray[np.bool_]:
    from geo.snap import snap_points

    assert network is not None
    return snap_points(dp.xy, network, max_snap_m=max_snap_m).ok
