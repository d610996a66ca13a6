"""The answer of a siting problem: which sites, who goes where, what it gains.

:class:`SitingResult` states how the solve ended (``status``: ``"optimal"`` within the
asked gap, or ``"time_limit"`` with a feasible solution), the objective, the best bound,
the relative gap and the solve time; the chosen sites; the assignment of demand to
sites; the demand weight covered (within the service radius) before (fixed sites only)
and after; and the new sites in order of their marginal gain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.siting._median import nearest_open
from geo.siting._reduce import greedy_cover, pattern
from geo.siting.solve import Outcome, Status

if TYPE_CHECKING:
    import folium

    from geo.siting.problem import SitingProblem

__all__ = ["SitingResult", "build_result"]


@dataclass(frozen=True, eq=False)
class SitingResult:
    """A solved siting problem.

    Attributes
    ----------
    kind
        ``"lscp"``, ``"mclp"``, ``"p_median"`` or ``"p_center"``.
    status
        ``"optimal"`` (proven within ``mip_gap``) or ``"time_limit"``.
    objective, bound, gap, solve_s
        Objective value (open sites; covered weight; weight x metres; metres), the best
        bound proven, their relative gap, and the solver's wall time in seconds.
    demand_ids, facility_ids
        Ids of the demand rows and candidate columns.
    is_open, is_fixed
        Per candidate: open in the solution; an existing (fixed) site.
    assignment
        One row per demand row and serving site: ``demand_id``, ``facility_id`` (None if
        unserved), ``distance_m``, ``weight``, ``share`` (the part of the row's weight
        this line carries; an unserved line carries the unserved part). Demand
        goes to its nearest open site (within the service radius for LSCP/MCLP, within
        the cutoff for p-median/p-center) unless capacities decided the assignment.
    covered_before, covered_after, total_weight
        Demand weight within the service radius of a fixed site / of any open site, and
        all demand weight.
    gains
        New sites in greedy order of marginal covered weight: ``rank``, ``facility_id``,
        ``gain``, ``covered``, ``covered_share`` (cumulative, fixed sites' coverage
        included).
    service_radius_m
        The radius of the coverage figures.
    demand, candidates
        The layers behind the rows and columns, when the problem had them.
    """

    kind: str
    status: Status
    objective: float
    bound: float
    gap: float
    solve_s: float
    demand_ids: NDArray[Any]
    facility_ids: NDArray[Any]
    is_open: NDArray[np.bool_]
    is_fixed: NDArray[np.bool_]
    assignment: pd.DataFrame
    covered_before: float
    covered_after: float
    total_weight: float
    gains: pd.DataFrame
    service_radius_m: float
    demand: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None

    @property
    def chosen(self) -> NDArray[np.intp]:
        """Positions of the open sites (fixed included), in candidate order."""
        return np.flatnonzero(self.is_open)

    @property
    def new_sites(self) -> NDArray[Any]:
        """Ids of the new sites, in order of marginal gain."""
        return self.gains["facility_id"].to_numpy()

    @property
    def n_new(self) -> int:
        return int((self.is_open & ~self.is_fixed).sum())

    def summary(self) -> dict[str, Any]:
        """The headline figures as plain JSON-ready values (a non-finite bound or gap is
        ``None``)."""
        return {
            "kind": self.kind,
            "status": self.status,
            "objective": self.objective,
            "bound": _finite(self.bound),
            "gap": _finite(self.gap),
            "solve_s": self.solve_s,
            "n_fixed": int(self.is_fixed.sum()),
            "n_new": self.n_new,
            "new_sites": [_plain(v) for v in self.new_sites],
            "service_radius_m": self.service_radius_m,
            "covered_before": self.covered_before,
            "covered_after": self.covered_after,
            "total_weight": self.total_weight,
        }

    def sites(self) -> pd.DataFrame:
        """One row per open site: ``facility_id``, ``site_status`` (``existing``/``new``),
        ``rank`` and ``gain`` (new sites), ``assigned_weight``, ``assigned_rows``."""
        pos = self.chosen
        ids = self.facility_ids[pos]
        served = self.assignment.dropna(subset=["facility_id"])
        load = (served["weight"] * served["share"]).groupby(served["facility_id"]).sum()
        rows = served.groupby("facility_id").size()
        gains = self.gains.set_index("facility_id")
        frame = pd.DataFrame(
            {
                "facility_id": ids,
                "site_status": np.where(self.is_fixed[pos], "existing", "new"),
                "rank": gains["rank"].reindex(ids).to_numpy(),
                "gain": gains["gain"].reindex(ids).to_numpy(),
                "assigned_weight": load.reindex(ids).fillna(0.0).to_numpy(),
                "assigned_rows": rows.reindex(ids).fillna(0).astype(int).to_numpy(),
            }
        )
        return frame.set_axis(pos)

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The open sites as a layer: the candidates' rows and columns plus the columns of
        :meth:`sites`. Needs the candidates layer (built with ``from_geodataframe`` or
        given to ``from_cost_matrix``)."""
        if self.candidates is None:
            msg = (
                "this result has no candidate geometry: build the problem with "
                "from_geodataframe or pass candidates= / 结果没有候选点几何，无法生成图层"
            )
            raise AnalysisError(msg)
        info = self.sites()
        base = self.candidates.iloc[self.chosen]
        extra = info.set_axis(base.index).drop(columns=[c for c in info if c in base.columns])
        return gpd.GeoDataFrame(pd.concat([base, extra], axis=1), crs=self.candidates.crs)

    def explore(self, m: folium.Map | None = None, **kwargs: Any) -> folium.Map:
        """Draw demand (covered or not), existing and new sites and the assignment on a
        folium map (offline: no tiles unless ``m`` has them); see
        :func:`geo.siting._map.draw_siting`."""
        from geo.siting._map import draw_siting

        return draw_siting(self, m=m, **kwargs)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def build_result(problem: SitingProblem, outcome: Outcome) -> SitingResult:
    """Assemble a :class:`SitingResult` from a problem and its solved outcome."""
    costs = problem.costs
    cover = pattern(costs.within(problem.service_radius_m))
    w, need = problem.weights, problem.need
    covered = (cover @ outcome.is_open.astype(np.float64)) > 0
    before = (cover @ problem.fixed.astype(np.float64)) > 0
    return SitingResult(
        kind=problem.kind,
        status=outcome.status,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        solve_s=outcome.solve_s,
        demand_ids=costs.demand_ids,
        facility_ids=costs.facility_ids,
        is_open=outcome.is_open,
        is_fixed=problem.fixed,
        assignment=_assignment(problem, outcome),
        covered_before=float(w[need & before].sum()),
        covered_after=float(w[need & covered].sum()),
        total_weight=float(w.sum()),
        gains=_gains(problem, cover, outcome.is_open, before),
        service_radius_m=problem.service_radius_m,
        demand=problem.demand,
        candidates=problem.candidates,
    )


def _assignment(problem: SitingProblem, outcome: Outcome) -> pd.DataFrame:
    costs, w = problem.costs, problem.weights
    n = costs.shape[0]
    if outcome.shares is None:
        radius = problem.service_radius_m if problem.kind in ("lscp", "mclp") else np.inf
        col, dist = nearest_open(costs.matrix, outcome.is_open, radius_m=radius)
        rows, share = np.arange(n), np.ones(n)
    else:
        rows, col, share = outcome.shares
        d = sp.csr_array(costs.matrix)
        dist = np.asarray(d[rows, col]).ravel()
        served = np.bincount(rows, weights=share, minlength=n)
        rest = np.flatnonzero(served < 1 - 1e-6)  # unserved part of each row
        rows = np.concatenate([rows, rest])
        col = np.concatenate([col, np.full(len(rest), -1)])
        dist = np.concatenate([dist, np.full(len(rest), np.inf)])
        share = np.concatenate([share, 1 - served[rest]])
    found = col >= 0
    frame = pd.DataFrame(
        {
            "demand_id": costs.demand_ids[rows],
            "facility_id": np.where(found, costs.facility_ids[np.maximum(col, 0)], np.array(None)),
            "distance_m": np.where(found, dist, np.nan),
            "weight": w[rows],
            "share": share,
        }
    )
    order = np.lexsort((~found, rows))
    return frame.iloc[order].reset_index(drop=True)


def _gains(
    problem: SitingProblem,
    cover: sp.csr_array,
    is_open: NDArray[np.bool_],
    before: NDArray[np.bool_],
) -> pd.DataFrame:
    """New sites in greedy order of marginal covered weight (then by position)."""
    w = np.where(problem.need, problem.weights, 0.0)
    new = is_open & ~problem.fixed
    a = sp.csc_array(cover)
    picks = greedy_cover(a, w, n_sites=int(new.sum()), covered=before, allowed=new)
    rest = np.setdiff1d(np.flatnonzero(new), picks)
    order = np.concatenate([picks, rest]).astype(np.intp)
    left = np.where(before, 0.0, w)
    gains = np.zeros(len(order))
    for k, j in enumerate(order):  # one step per new site (p of them), not per pair
        hit = a.indices[a.indptr[j] : a.indptr[j + 1]]
        gains[k] = left[hit].sum()
        left[hit] = 0.0
    cum = float(w[before].sum()) + np.cumsum(gains)
    total = float(w.sum())
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(order) + 1),
            "facility_id": problem.costs.facility_ids[order],
            "gain": gains,
            "covered": cum,
            "covered_share": cum / total if total > 0 else np.zeros(len(order)),
        }
    )
