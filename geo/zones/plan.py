"""A zone plan: which station every unit belongs to, with its version, locks and how it was
solved; its tables, zone polygons and map."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.zones._arrays import sums
from geo.zones._errors import StalePlanError
from geo.zones.problem import ZoneProblem
from geo.zones.validate import ZoneReport, validate_plan

__all__ = ["SolveInfo", "ZonePlan"]

IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class SolveInfo:
    """How a plan was made and how good it is.

    ``cost`` is the objective (workload × (walk + crossing penalty)); ``lp_bound`` the
    transportation-LP bound summed over groups; ``bound`` the best lower bound (exact groups'
    optimum, else their LP bound); ``gap = (cost - bound) / bound``. Station and unit lists
    hold ids. ``orphans`` lists the units of streets with no station, ``hosted_streets`` the
    pairs ``(orphan street, host street)`` whose zones took them, ``unresolved`` the orphan
    units no station could take (put with the nearest station in a best-effort plan).
    ``changed`` lists units an edit moved.
    """

    method: str
    cost: float
    lp_bound: float
    bound: float
    seconds: float
    groups: int = 1
    exact_groups: int = 0
    out_of_band: tuple[Any, ...] = ()
    proven_infeasible: tuple[Any, ...] = ()
    fragmented: tuple[Any, ...] = ()
    orphans: tuple[Any, ...] = ()
    changed: tuple[Any, ...] = ()
    notes: tuple[str, ...] = field(default=())
    unresolved: tuple[Any, ...] = ()
    hosted_streets: tuple[tuple[Any, Any], ...] = ()

    @property
    def gap(self) -> float:
        if not np.isfinite(self.bound) or self.bound <= 0:
            return 0.0 if self.cost <= self.bound else float("nan")
        return (self.cost - self.bound) / self.bound

    def to_dict(self) -> dict[str, Any]:
        def ids(xs: tuple[Any, ...]) -> list[str]:
            return [str(x) for x in xs]

        return {
            "method": self.method,
            "cost": self.cost,
            "lp_bound": self.lp_bound,
            "bound": self.bound,
            "gap": self.gap,
            "seconds": self.seconds,
            "groups": self.groups,
            "exact_groups": self.exact_groups,
            "out_of_band": ids(self.out_of_band),
            "proven_infeasible": ids(self.proven_infeasible),
            "fragmented": ids(self.fragmented),
            "orphans": ids(self.orphans),
            "unresolved": ids(self.unresolved),
            "hosted_streets": [[str(a), str(b)] for a, b in self.hosted_streets],
            "changed": ids(self.changed),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, eq=False)
class ZonePlan:
    """The assignment of units to stations (``-1``: unassigned), the locks it keeps
    (station index per unit or ``-1``), its version (every edit adds one) and how it was
    solved."""

    problem: ZoneProblem
    assignment: IntArray
    locks: IntArray
    version: int = 1
    info: SolveInfo | None = None

    @classmethod
    def from_table(
        cls,
        problem: ZoneProblem,
        table: pd.DataFrame,
        *,
        unit_col: str = "unit_id",
        station_col: str = "station_id",
        version: int = 1,
    ) -> ZonePlan:
        """A plan from an assignment table: one drawn by hand, or a stored
        :meth:`assignment_table` (its ``locked`` column, if any, restores the locks). Refuses
        unknown ids and units assigned twice (see :func:`~geo.zones.validate.validate_plan`
        for the full report); units missing from the table are unassigned."""
        report = validate_plan(problem, table, unit_col=unit_col, station_col=station_col)
        bad = report.unknown_units + report.unknown_stations + list(report.duplicated)
        if bad:
            shown = ", ".join(str(b) for b in bad[:20])
            msg = (
                f"assignment table has unknown or duplicated ids: {shown}"
                f" / 分配表含未知或重复编号：{shown}"
            )
            raise AnalysisError(msg)
        rows = table[table[station_col].notna()]
        z = np.full(problem.n_units, -1, dtype=np.intp)
        ui = problem.unit_index(rows[unit_col].to_numpy(dtype=object))
        z[ui] = problem.station_index(rows[station_col].to_numpy(dtype=object))
        locks = problem.locks.copy()
        if "locked" in rows.columns:
            held = rows["locked"].fillna(False).to_numpy(dtype=bool)
            locks[ui[held]] = z[ui[held]]
        return cls(problem, z, locks, version)

    def check_version(self, based_on: int) -> None:
        """Raise :class:`StalePlanError` unless ``based_on`` is this plan's version."""
        if int(based_on) != self.version:
            raise StalePlanError(based_on=int(based_on), current=self.version)

    def revised(self, assignment: IntArray, locks: IntArray, info: SolveInfo | None) -> ZonePlan:
        """The next version of this plan."""
        return replace(
            self, assignment=assignment, locks=locks, version=self.version + 1, info=info
        )

    @property
    def loads(self) -> NDArray[np.float64]:
        """Workload of every station."""
        on = self.assignment >= 0
        p = self.problem
        return sums(self.assignment[on], p.workload[on], p.n_stations)

    @property
    def cost(self) -> float:
        """Objective: workload × (walk + crossing penalty), over assigned units."""
        on = np.flatnonzero(self.assignment >= 0)
        return float(self.problem.objective(on, self.assignment[on]).sum())

    def station_of(self, unit_id: Any) -> Any:
        """The station id of a unit (``None`` if unassigned)."""
        idx = self.problem.unit_index([unit_id])[0]
        if idx < 0:
            raise AnalysisError(f"unknown unit {unit_id!r} / 未知单元 {unit_id!r}")
        j = self.assignment[idx]
        return None if j < 0 else self.problem.station_ids[j]

    def assignment_table(self) -> pd.DataFrame:
        """One row per unit: ``unit_id``, ``station_id`` (None if unassigned), ``street``,
        ``workload``, ``walk_m``, ``estimated`` (walk not from the cost matrix), ``locked``."""
        p, z = self.problem, self.assignment
        on = z >= 0
        walk = np.full(p.n_units, np.nan)
        known = np.ones(p.n_units, dtype=bool)
        walk[on], known[on] = p.distance(np.flatnonzero(on), z[on])
        station = np.full(p.n_units, None, dtype=object)
        station[on] = p.station_ids[z[on]]
        return pd.DataFrame(
            {
                "unit_id": p.unit_ids,
                "station_id": station,
                "street": p.street_names[p.unit_street],
                "workload": p.workload,
                "walk_m": walk,
                "estimated": ~known,
                "locked": self.locks >= 0,
            }
        )

    def validate(self) -> ZoneReport:
        """The validation report of this plan."""
        return validate_plan(self.problem, self, locks=self.locks)

    def station_table(self) -> pd.DataFrame:
        """Per-station workload, band, contiguity and walks (the report's station table)."""
        return self.validate().stations

    def zones_gdf(self) -> gpd.GeoDataFrame:
        """Zone polygons: the dissolved units of every station with its station-table row,
        in the problem's (projected) CRS."""
        p = self.problem
        if p.unit_geometry is None:
            msg = "the problem has no unit geometries / 问题未包含单元几何"
            raise AnalysisError(msg)
        on = np.flatnonzero(self.assignment >= 0)
        z = self.assignment[on]
        order = np.argsort(z, kind="stable")
        geoms = np.asarray(p.unit_geometry.values, dtype=object)[on[order]]
        bounds = np.flatnonzero(np.diff(z[order])) + 1
        parts = np.split(geoms, bounds)
        stations = np.unique(z)
        merged = [shapely.union_all(part) for part in parts] if on.size else []
        table = self.station_table().iloc[stations].reset_index(drop=True)
        return gpd.GeoDataFrame(table, geometry=merged, crs=p.unit_geometry.crs)

    def to_gdf(self) -> gpd.GeoDataFrame:
        """Alias of :meth:`zones_gdf`."""
        return self.zones_gdf()

    def explore(self, m: Any = None, **kwargs: Any) -> Any:
        """Draw the zones (coloured so that neighbours differ) and stations on a folium map
        (a new one without tiles, for offline use, unless ``m`` is given)."""
        from geo.zones._draw import draw_plan

        return draw_plan(self, m=m, **kwargs)
