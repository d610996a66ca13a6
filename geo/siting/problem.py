"""Siting problems: build from a cost matrix (the core) or from layers (a thin adapter).

Four problems, as in spopt, all on the sparse :class:`~geo.costs.CostMatrix`:

- :class:`LSCP`: the fewest sites so that every demand row has an open site within the
  service radius (objective: open sites, fixed ones included);
- :class:`MCLP`: ``p`` new sites maximising the demand weight within the service radius
  of an open site (objective: covered weight, fixed sites' coverage included);
- :class:`PMedian`: ``p`` new sites minimising the total weighted distance of demand to
  its nearest open site (objective: sum of weight x metres);
- :class:`PCenter`: ``p`` new sites minimising the largest distance of any demand row to
  its nearest open site (objective: metres).

``p`` always counts **new** sites: fixed (existing) sites are forced open on top of them
(spopt's ``p_facilities`` counts them too). Demand rows with zero weight are left out of
every model. The cost matrix only holds pairs within its cutoff: p-median and p-center
assign demand only within the cutoff, so a demand row with no candidate within it makes
them infeasible (the error names the rows); raise the cutoff rather than expect a penalty.

Capacitated variants (LSCP, MCLP, p-median): ``capacity`` bounds the demand weight
assigned to each site (``inf`` = unlimited); ``single_source=True`` assigns each demand
row wholly to one site, otherwise a row may be split between sites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.costs import CostMatrix, Mode
from geo.siting import _checks

if TYPE_CHECKING:
    from geo.network.graph import Network
    from geo.siting.result import SitingResult
    from geo.siting.solve import Outcome

__all__ = ["LSCP", "MCLP", "PCenter", "PMedian", "SitingProblem"]


@dataclass(frozen=True, eq=False)
class SitingProblem:
    """A location-allocation problem on a sparse cost matrix. Build with
    :meth:`from_cost_matrix` or :meth:`from_geodataframe`, then :meth:`solve`.

    Attributes
    ----------
    costs
        Distances (m) from demand rows to candidate columns within the cutoff.
    weights
        Demand weight per row (elderly 60+, basic-service recipients, ...).
    fixed
        Per candidate: an existing site, forced open.
    service_radius_m
        Coverage radius (LSCP, MCLP, and the coverage figures of every result).
    p
        New sites to open (``None`` for LSCP).
    capacity
        Per-candidate capacity in weight units, or ``None`` (uncapacitated).
    single_source
        Assign each demand row wholly to one site (capacitated variants).
    demand, candidates
        The layers the rows and columns come from, when known (for maps and ``to_gdf``).
    """

    costs: CostMatrix
    weights: NDArray[np.float64]
    fixed: NDArray[np.bool_]
    service_radius_m: float
    p: int | None = None
    capacity: NDArray[np.float64] | None = None
    single_source: bool = False
    demand: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    needs_p: ClassVar[bool] = True
    capacitated_ok: ClassVar[bool] = True

    @classmethod
    def from_cost_matrix(
        cls,
        costs: CostMatrix,
        *,
        p: int | None = None,
        service_radius_m: float | None = None,
        weights: Any = None,
        fixed: Any = None,
        capacity: Any = None,
        single_source: bool = False,
        demand: gpd.GeoDataFrame | None = None,
        candidates: gpd.GeoDataFrame | None = None,
    ) -> Self:
        """Build the problem from a cost matrix.

        Parameters
        ----------
        costs
            Demand rows x candidate columns, metres, pairs within the cutoff.
        p
            New sites to open (required except for LSCP, which takes none).
        service_radius_m
            Coverage radius, at most the cutoff (default: the cutoff).
        weights
            Demand weight per row (default 1 each).
        fixed
            Candidates forced open: a boolean mask or positions.
        capacity
            Per-candidate capacity (array, or one number for all; ``inf`` = unlimited).
        single_source
            With ``capacity``: each row goes wholly to one site.
        demand, candidates
            Optional layers aligned with the rows and columns (for ``to_gdf``/maps).

        Returns
        -------
        SitingProblem
            The problem, not yet solved.
        """
        n, m = costs.shape
        w = _checks.as_weights(weights, n)
        fixed_mask = _checks.as_fixed(fixed, m)
        cap = _checks.as_capacity(capacity, m)
        if cap is not None and not cls.capacitated_ok:
            raise AnalysisError(f"{cls.label} has no capacitated variant / 不支持容量约束")
        if cls.needs_p and p is None:
            raise AnalysisError(f"{cls.label} needs p (new sites) / 需要给出新增数量 p")
        if not cls.needs_p and p is not None:
            raise AnalysisError(f"{cls.label} takes no p / 不需要 p")
        if p is not None:
            p = _checks.check_p(p, fixed_mask, kind=cls.label, need_site=cls.kind != "mclp")
        radius = costs.cutoff_m if service_radius_m is None else float(service_radius_m)
        if not radius >= 0 or radius > costs.cutoff_m:
            msg = (
                f"service radius {radius:g} m must lie in 0..{costs.cutoff_m:g} m (the cost "
                f"matrix cutoff) / 服务半径须在 0 到成本矩阵截断距离之间"
            )
            raise AnalysisError(msg)
        for frame, size, what in ((demand, n, "demand"), (candidates, m, "candidates")):
            if frame is not None and len(frame) != size:
                msg = f"{what} layer has {len(frame)} rows, the matrix {size} / 图层行数与矩阵不符"
                raise AnalysisError(msg)
        return cls(costs, w, fixed_mask, radius, p, cap, bool(single_source), demand, candidates)

    @classmethod
    def from_geodataframe(
        cls,
        demand: gpd.GeoDataFrame,
        candidates: gpd.GeoDataFrame,
        *,
        p: int | None = None,
        service_radius_m: float | None = None,
        cutoff_m: float | None = None,
        weight_col: str | None = None,
        fixed_col: str | None = None,
        existing: gpd.GeoDataFrame | None = None,
        capacity_col: str | None = None,
        single_source: bool = False,
        mode: Mode = "euclidean",
        network: Network | None = None,
    ) -> Self:
        """Build the problem from layers: distances by :func:`geo.distance.cost_matrix`
        (walking on ``network`` or straight line), then :meth:`from_cost_matrix`.

        Parameters
        ----------
        demand
            Demand layer (points, or polygons measured from a point inside them).
        candidates
            Candidate sites (a layer, or :mod:`geo.siting.candidates` output).
        p, service_radius_m, single_source
            As :meth:`from_cost_matrix`.
        cutoff_m
            Largest distance kept in the matrix (default: the service radius).
        weight_col
            Demand weight column (default 1 each), e.g. ``"elderly_60_plus"``.
        fixed_col
            Boolean column of ``candidates`` marking sites forced open.
        existing
            Existing facilities (e.g. stations), appended to the candidates as fixed.
        capacity_col
            Capacity column (in ``candidates`` and ``existing``).
        mode, network
            ``"euclidean"`` or ``"network"`` (walking, needs ``network``).

        Returns
        -------
        SitingProblem
            Ids are the frames' index values.
        """
        from geo.distance import cost_matrix

        sites, fixed = _sites(candidates, existing, fixed_col)
        cutoff = cutoff_m if cutoff_m is not None else service_radius_m
        costs = cost_matrix(
            demand,
            sites,
            network=network,
            mode=mode,
            cutoff_m=np.inf if cutoff is None else float(cutoff),
        )
        return cls.from_cost_matrix(
            costs,
            p=p,
            service_radius_m=service_radius_m,
            weights=None if weight_col is None else demand[weight_col].to_numpy(float),
            fixed=fixed,
            capacity=None if capacity_col is None else sites[capacity_col].to_numpy(float),
            single_source=single_source,
            demand=demand,
            candidates=sites,
        )

    def solve(self, *, time_limit_s: float = 60.0, mip_gap: float = 1e-4) -> SitingResult:
        """Solve with HiGHS.

        Parameters
        ----------
        time_limit_s
            Wall-clock limit; when it stops the solver with a feasible solution the result
            has ``status == "time_limit"`` and states its bound and gap.
        mip_gap
            Relative gap at which a solution counts as optimal (0 for proven optimality).

        Returns
        -------
        SitingResult

        Raises
        ------
        geo._errors.InfeasibleError
            No solution exists; the message says which constraint makes it so.
        geo.siting.solve.SolveTimeoutError
            The time limit came before any feasible solution.
        """
        from geo.siting.result import build_result

        if not time_limit_s > 0 or not 0 <= mip_gap < 1:
            msg = "time_limit_s must be > 0 and mip_gap in [0, 1) / 时间上限或间隙参数无效"
            raise AnalysisError(msg)
        return build_result(self, self._solve(time_limit_s=time_limit_s, mip_gap=mip_gap))

    def _solve(self, *, time_limit_s: float, mip_gap: float) -> Outcome:
        raise NotImplementedError

    @property
    def need(self) -> NDArray[np.bool_]:
        """Demand rows in the model (positive weight)."""
        return self.weights > 0


class LSCP(SitingProblem):
    """Location set covering: the fewest sites covering every demand row (see module)."""

    kind, label, needs_p = "lscp", "LSCP", False

    def _solve(self, *, time_limit_s: float, mip_gap: float) -> Outcome:
        from geo.siting._cover import solve_lscp

        return solve_lscp(self, time_limit_s=time_limit_s, mip_gap=mip_gap)


class MCLP(SitingProblem):
    """Maximal covering: ``p`` new sites covering the most demand weight (see module)."""

    kind, label = "mclp", "MCLP"

    def _solve(self, *, time_limit_s: float, mip_gap: float) -> Outcome:
        from geo.siting._cover import solve_mclp

        return solve_mclp(self, time_limit_s=time_limit_s, mip_gap=mip_gap)


class PMedian(SitingProblem):
    """p-median: ``p`` new sites, least total weighted distance (see module)."""

    kind, label = "p_median", "p-median"

    def _solve(self, *, time_limit_s: float, mip_gap: float) -> Outcome:
        from geo.siting._median import solve_p_median

        return solve_p_median(self, time_limit_s=time_limit_s, mip_gap=mip_gap)


class PCenter(SitingProblem):
    """p-center: ``p`` new sites, least worst distance (see module)."""

    kind, label, capacitated_ok = "p_center", "p-center", False

    def _solve(self, *, time_limit_s: float, mip_gap: float) -> Outcome:
        from geo.siting._center import solve_p_center

        return solve_p_center(self, time_limit_s=time_limit_s, mip_gap=mip_gap)


def _sites(
    candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame | None, fixed_col: str | None
) -> tuple[gpd.GeoDataFrame, NDArray[np.bool_]]:
    """Candidates with the existing facilities appended, and the fixed mask."""
    fixed = (
        np.zeros(len(candidates), dtype=bool)
        if fixed_col is None
        else candidates[fixed_col].fillna(False).to_numpy(bool)
    )
    if existing is None or len(existing) == 0:
        return candidates, fixed
    if existing.crs != candidates.crs:
        from geo._errors import CRSMismatchError

        msg = "existing facilities and candidates have different CRSs / 现有设施与候选点坐标系不同"
        raise CRSMismatchError(msg)
    sites = gpd.GeoDataFrame(pd.concat([candidates, existing]), crs=candidates.crs)
    if not sites.index.is_unique:
        msg = (
            "candidate and existing facility ids (index values) overlap; make them unique / "
            "候选点与现有设施的编号重复"
        )
        raise AnalysisError(msg)
    return sites, np.concatenate([fixed, np.ones(len(existing), dtype=bool)])
