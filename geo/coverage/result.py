"""The result of a coverage analysis: per point, per unit, per division level, gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo._errors import AnalysisError
from geo.costs import Mode
from geo.coverage.demand import LEVELS, DemandPoints, Groups, level_groups
from geo.coverage.rollup import add_shares, group_sums, point_group_sums, unit_sums
from geo.coverage.standards import tier_label
from geo.distance import Nearest
from geo.network.graph import Network
from geo.network.quality.detours import ratio_table
from geo.projection import points_xy

if TYPE_CHECKING:
    import folium

__all__ = ["CoverageResult"]

#: the level whose groups make up each level's groups, when they nest
_BELOW = {"street": "community", "district": "street", "total": "district"}


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Coverage of demand by facilities, at one or more tiers.

    Attributes
    ----------
    demand_points
        The weighted demand points and their units.
    facilities
        The facility layer (positional index) and ``facility_ids``, its ids.
    nearest
        Per demand point: nearest facility (within the search distance), its distance,
        reachability.
    tiers_m
        The radii reported, ascending; the last is the service radius.
    mode, network, kind, max_snap_m, add_access
        How distances were measured.
    """

    demand_points: DemandPoints
    facilities: gpd.GeoDataFrame
    facility_ids: NDArray[np.object_]
    nearest: Nearest
    tiers_m: tuple[float, ...]
    mode: Mode
    network: Network | None = None
    kind: str | None = None
    max_snap_m: float = np.inf
    add_access: bool = True
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def weights(self) -> list[str]:
        """Names of the counts carried (``count`` = number of units)."""
        return list(self.demand_points.weights)

    @property
    def radius_m(self) -> float:
        """The service radius (the largest tier)."""
        return self.tiers_m[-1]

    def _sums(self) -> pd.DataFrame:
        if "sums" not in self._cache:
            dp = self.demand_points
            self._cache["sums"] = unit_sums(
                dp.weights,
                dp.unit,
                n_units=len(dp.units),
                distance_m=self.nearest.distance_m,
                reachable=self.nearest.reachable,
                tiers_m=self.tiers_m,
            )
        sums: pd.DataFrame = self._cache["sums"]
        return sums

    def _facility_id(self, pos: NDArray[np.int64]) -> NDArray[np.object_]:
        out = np.full(len(pos), None, dtype=object)
        out[pos >= 0] = self.facility_ids[pos[pos >= 0]]
        return out

    @property
    def points(self) -> gpd.GeoDataFrame:
        """Per demand point: unit, weights, nearest ``facility_id``, ``distance_m``,
        ``reachable``, ``snap_m``, ``covered_<r>m`` for every tier (in the demand's CRS).
        Distance is NaN when no facility is within the search distance or the point is
        unreachable."""
        dp, nr = self.demand_points, self.nearest
        frame = pd.DataFrame({"unit": dp.unit, "center": dp.center, **dp.weights})
        frame["facility_id"] = self._facility_id(nr.facility)
        frame["distance_m"] = np.where(np.isfinite(nr.distance_m), nr.distance_m, np.nan)
        frame["reachable"] = nr.reachable
        frame["snap_m"] = np.where(nr.reachable, nr.snap_m, np.nan)
        for r in self.tiers_m:
            frame[f"covered_{tier_label(r)}"] = nr.distance_m <= r
        out = gpd.GeoDataFrame(frame, geometry=shapely.points(dp.xy), crs=dp.crs)
        return out.to_crs(dp.units.crs)

    @property
    def demand(self) -> gpd.GeoDataFrame:
        """Per demand unit (the demand layer's rows and geometry): the centre point's
        nearest ``facility_id`` and ``distance_m``, ``reachable``, and covered / uncovered
        / unreachable counts and shares for every weight and tier."""
        if "demand" not in self._cache:
            dp, nr = self.demand_points, self.nearest
            center = np.flatnonzero(dp.center)  # one per unit, in unit order
            frame = dp.units.copy()
            frame["facility_id"] = self._facility_id(nr.facility[center])
            dist = nr.distance_m[center]
            frame["distance_m"] = np.where(np.isfinite(dist), dist, np.nan)
            frame["reachable"] = nr.reachable[center]
            sums = self._sums().drop(columns=[w for w in self.weights if w in frame.columns])
            frame = pd.concat([frame, sums.set_axis(frame.index)], axis=1)
            frame = add_shares(frame, self.weights, self.tiers_m)
            self._cache["demand"] = gpd.GeoDataFrame(frame, geometry="geometry", crs=dp.units.crs)
        result: gpd.GeoDataFrame = self._cache["demand"]
        return result.copy()

    def detour_ratios(self) -> pd.DataFrame:
        """Per unit, the walk to its nearest facility on foot over the straight line to its
        nearest facility (see :func:`geo.network.quality.detour_ratios`), from this
        result's own search: no new search. Walking results only."""
        if self.mode != "network":
            raise AnalysisError("detours need walking distances / 绕行比需要步行距离")
        dp, nr = self.demand_points, self.nearest
        center = np.flatnonzero(dp.center)  # one per unit, in unit order
        straight, target = cKDTree(points_xy(self.facilities, dp.crs)).query(dp.xy[center])
        walk = nr.distance_m[center]
        return ratio_table(dp.units.index, straight, target, walk, nr.facility[center])

    def rollup(self, level: str = "street", *, geometry: bool = True) -> gpd.GeoDataFrame:
        """Covered and uncovered counts summed by ``"community"``, ``"street"`` or
        ``"district"`` (or ``"total"``); covered + uncovered = total at every level.

        Parameters
        ----------
        level
            The division level; its codes come from the demand layer (see
            :func:`geo.coverage.demand.level_groups`).
        geometry
            Merge the units' geometries per group (off: faster, geometry left empty).
        """
        units = self.demand_points.units
        which, distinct = self._groups(level)
        key = "code" if level == "total" else f"{level}_code"
        sums = self._level_sums(level).copy()
        sums.insert(0, key, np.asarray(distinct, dtype=object))
        table = add_shares(sums, self.weights, self.tiers_m)
        if geometry:
            geoms = _merge_geometries(units, which, len(distinct))
        else:
            geoms = np.full(len(table), None, dtype=object)
        return gpd.GeoDataFrame(table, geometry=geoms, crs=units.crs)

    def gaps(
        self, *, tier_m: float | None = None, level: str = "community", by: str | None = None
    ) -> gpd.GeoDataFrame:
        """Units (or streets, districts) with people left uncovered at ``tier_m`` (default:
        the service radius), ranked by uncovered ``by`` (default: elderly 60+ if known,
        else population, else units), most first, with a ``rank`` column."""
        r = self.radius_m if tier_m is None else float(tier_m)
        if r not in self.tiers_m:
            msg = f"{r} m is not one of the tiers {self.tiers_m} / 不是已计算的服务半径"
            raise AnalysisError(msg)
        weight = by or next(
            (w for w in ("elderly_60_plus", "population") if w in self.weights), "count"
        )
        if weight not in self.weights:
            msg = f"no weight {weight!r}; have {self.weights} / 没有该权重"
            raise AnalysisError(msg)
        table = self.demand if level == "community" and self._is_community() else self.rollup(level)
        col = f"{weight}_uncovered_{tier_label(r)}"
        gaps = table[table[col] > 0].sort_values(col, ascending=False, kind="stable")
        gaps = gaps.reset_index(drop=True)
        gaps.insert(0, "rank", np.arange(1, len(gaps) + 1))
        return gaps

    def _level_sums(self, level: str) -> pd.DataFrame:
        """Units and counts per group of ``level`` (cached): from the groups of the level
        below when each of those lies in one group of this level (a few thousand rows
        to add instead of every unit), else from the units."""
        name = f"sums_{level}"
        if name not in self._cache:
            which, distinct = self._groups(level)
            below = _BELOW.get(level)
            parent = self._parents(below, which) if below is not None else None
            if below is not None and parent is not None:
                finer = self._level_sums(below)
                units = finer["units"].to_numpy()
                sums = group_sums(finer.drop(columns="units"), parent, len(distinct), units=units)
            else:
                sums = self._point_sums(which, len(distinct))
            self._cache[name] = sums
        out: pd.DataFrame = self._cache[name]
        return out

    def _point_sums(self, which: NDArray[np.int64], n_groups: int) -> pd.DataFrame:
        """Units and counts per group, ``which`` the group of every unit: from the
        points (see :func:`~geo.coverage.rollup.point_group_sums`)."""
        dp = self.demand_points
        return point_group_sums(
            dp.weights,
            which[dp.unit],
            n_groups=n_groups,
            units=np.bincount(which, minlength=n_groups),
            distance_m=self.nearest.distance_m,
            reachable=self.nearest.reachable,
            tiers_m=self.tiers_m,
        )

    def _parents(self, below: str, which: NDArray[np.int64]) -> NDArray[np.int64] | None:
        """The group (of the level with unit groups ``which``) of every group of level
        ``below``, or None if ``below`` has no codes or one of its groups is split."""
        try:
            finer, codes = self._groups(below)
        except AnalysisError:
            return None
        parent = np.zeros(len(codes), dtype=np.int64)
        parent[finer] = which
        return parent if bool((parent[finer] == which).all()) else None

    def _groups(self, level: str) -> Groups:
        """The group of every unit at ``level`` and the groups' codes (cached)."""
        if level == "total":
            n = len(self.demand_points.units)
            return np.zeros(n, dtype=np.int64), np.asarray(["total"], dtype=object)
        if level not in LEVELS:
            msg = f"unknown level {level!r}: use {[*LEVELS, 'total']} / 未知的汇总层级"
            raise AnalysisError(msg)
        if "groups" not in self._cache:
            self._cache["groups"] = level_groups(self.demand_points.units)
        found: Groups | None = self._cache["groups"][level]
        if found is None:
            msg = f"the demand layer has no {level} codes / 需求图层没有{level}代码"
            raise AnalysisError(msg)
        return found

    def _is_community(self) -> bool:
        try:
            _, distinct = self._groups("community")
        except AnalysisError:
            return False
        return len(distinct) == len(self.demand_points.units)

    def service_areas(
        self, *, radius_m: float | None = None, buffer_m: float = 25.0, how: str = "each"
    ) -> gpd.GeoDataFrame:
        """Service-area polygons of the facilities at ``radius_m`` (default: every tier);
        see :func:`geo.coverage.areas.service_areas`."""
        from geo.coverage.areas import service_areas

        return service_areas(
            self.facilities,
            network=self.network,
            mode=self.mode,
            tiers_m=self.tiers_m if radius_m is None else (radius_m,),
            buffer_m=buffer_m,
            how=how,
            facility_ids=self.facility_ids,
            max_snap_m=self.max_snap_m,
            add_access=self.add_access,
        )

    def summary(self) -> dict[str, Any]:
        """Totals for a report or a JSON answer: mode, tiers, units, facilities (and how
        many could not be placed on the network), and for every weight its total,
        unreachable count and covered count and share per tier."""
        total = self.rollup("total", geometry=False).iloc[0]
        weights: dict[str, Any] = {}
        for w in self.weights:
            tiers = {
                tier_label(r): {
                    "covered": int(total[f"{w}_covered_{tier_label(r)}"]),
                    "share": float(total[f"{w}_covered_share_{tier_label(r)}"]),
                }
                for r in self.tiers_m
            }
            weights[w] = {
                "total": int(total[w]),
                "unreachable": int(total[f"{w}_unreachable"]),
                "tiers": tiers,
            }
        return {
            "mode": self.mode,
            "kind": self.kind,
            "tiers_m": list(self.tiers_m),
            "units": len(self.demand_points.units),
            "facilities": len(self.facilities),
            "facilities_unreachable": int((~self.nearest.facility_reachable).sum()),
            "weights": weights,
        }

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The per-unit table (:attr:`demand`), ready to export."""
        return self.demand

    def explore(self, m: folium.Map | None = None, **kwargs: Any) -> folium.Map:
        """Draw units coloured by covered share and the facilities on a folium map
        (offline: no tiles unless ``m`` has them)."""
        from geo.coverage.maps import draw_coverage

        return draw_coverage(self, m=m, **kwargs)


def _merge_geometries(
    units: gpd.GeoDataFrame, which: NDArray[np.int64], n_groups: int
) -> NDArray[np.object_]:
    """One geometry per group: the union of its units' geometries."""
    geoms = units.geometry.to_numpy()
    if n_groups == len(units):
        out = np.empty(n_groups, dtype=object)
        out[which] = geoms
        return out
    frame = gpd.GeoDataFrame({"group": which}, geometry=geoms, crs=units.crs)
    merged = frame.dissolve(by="group")
    out = np.full(n_groups, None, dtype=object)
    out[merged.index.to_numpy()] = merged.geometry.to_numpy()
    return out
