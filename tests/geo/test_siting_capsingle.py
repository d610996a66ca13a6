"""Single-source capacitated MCLP: the phased solve against an independent exact model
(a dense formulation solved by scipy's HiGHS to optimality), feasibility of every answer,
and an honest bound and gap when it stops early."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from geo._errors import AnalysisError
from geo.costs import CostMatrix
from geo.distance import cost_matrix_xy
from geo.siting import MCLP, SitingResult
from geo.siting._capmodel import build_model, greedy_start
from geo.siting._capsingle import _whole_rows
from geo.siting._capwindow import window_search
from geo.siting._reduce import pattern
from geo.siting.solve import Milp, Outcome, solve_milp

RADIUS_M = 1000.0


def _instance(
    seed: int, *, n: int, m: int, side_m: float
) -> tuple[CostMatrix, NDArray[np.float64], NDArray[np.float64]]:
    """Clustered demand, uniform candidates, capacities that bind (about a third of the
    demand a site reaches)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, side_m, (4, 2))
    demand = centres[rng.integers(0, 4, n)] + rng.normal(0, side_m / 8, (n, 2))
    sites = rng.uniform(0, side_m, (m, 2))
    costs = cost_matrix_xy(demand, sites, mode="euclidean", cutoff_m=RADIUS_M)
    weights = rng.integers(5, 120, n).astype(np.float64)
    within = sp.csr_array(costs.matrix, copy=True)
    within.data[:] = 1.0
    reach = within.T @ weights
    capacity = np.maximum(np.round(rng.uniform(0.1, 0.3, m) * reach), 1.0)
    return costs, weights, capacity


def _exact(
    costs: CostMatrix,
    w: NDArray[np.float64],
    cap: NDArray[np.float64],
    p: int,
    fixed: NDArray[np.bool_],
) -> float:
    """max sum w_i z_ij: z_ij binary on pairs within reach, sum_j z_ij <= 1, z_ij <= x_j,
    sum_i w_i z_ij <= C_j x_j, p new sites, fixed sites open (one dense model)."""
    n, m = costs.shape
    stored = np.zeros((n, m), dtype=bool)
    coo = costs.matrix.tocoo()
    stored[coo.row, coo.col] = coo.data <= RADIUS_M
    nz = n * m  # z_ij at m + i * m + j
    c = np.concatenate([np.zeros(m), -np.repeat(w, m)])
    one_site = np.hstack([np.zeros((n, m)), np.kron(np.eye(n), np.ones(m))])
    capacity = np.hstack([-np.diag(np.minimum(cap, w.sum())), np.kron(w, np.eye(m))])
    count = np.concatenate([~fixed, np.zeros(nz)]).astype(np.float64)[None, :]
    link = sp.hstack([-sp.vstack([sp.eye(m)] * n), sp.eye(nz)])  # z_ij - x_j <= 0
    upper = np.concatenate([np.ones(m), stored.ravel().astype(np.float64)])
    res = milp(
        c,
        constraints=[
            LinearConstraint(one_site, -np.inf, 1.0),
            LinearConstraint(capacity, -np.inf, 0.0),
            LinearConstraint(count, p, p),
            LinearConstraint(link, -np.inf, 0.0),
        ],
        integrality=np.ones(m + nz),
        bounds=Bounds(np.concatenate([fixed.astype(np.float64), np.zeros(nz)]), upper),
        options={"mip_rel_gap": 0.0},
    )
    assert res.success, res.message
    return float(-res.fun)


def _check_feasible(
    res: SitingResult, costs: CostMatrix, w: NDArray[np.float64], cap: NDArray[np.float64]
) -> None:
    """Whole rows, one open site each within the radius, loads within capacity, and the
    objective equal to the weight served."""
    served = res.assignment.dropna(subset=["facility_id"])
    assert (served["share"] == 1.0).all()
    assert served["demand_id"].is_unique
    rows = served["demand_id"].to_numpy(dtype=int)
    cols = served["facility_id"].to_numpy(dtype=int)
    assert res.is_open[cols].all()
    dist = costs.matrix.tocsr()[rows, cols]
    assert (np.asarray(dist).ravel() <= RADIUS_M).all()
    load = np.bincount(cols, weights=w[rows], minlength=len(cap))
    assert (load <= cap + 1e-9).all()
    assert res.objective == pytest.approx(float(w[rows].sum()))


@pytest.mark.parametrize("seed", range(6))
def test_single_source_mclp_equals_the_exact_optimum(seed: int) -> None:
    costs, w, cap = _instance(seed, n=36, m=10, side_m=3000.0)
    fixed = np.zeros(10, dtype=bool)
    fixed[seed % 3] = seed >= 3  # half the cases with an existing site
    cap[5] = np.inf if seed % 2 else cap[5]  # and half with one unlimited site
    p = 3
    res = MCLP.from_cost_matrix(
        costs, p=p, weights=w, capacity=cap, single_source=True, fixed=fixed
    ).solve(mip_gap=0.0)
    best = _exact(costs, w, cap, p, fixed)
    _check_feasible(res, costs, w, cap)
    assert res.objective == pytest.approx(best, rel=1e-9)
    assert res.bound >= best - 1e-6
    assert res.status == "optimal" and res.gap <= 1e-9
    assert res.n_new == p and res.is_open[fixed].all()


@pytest.mark.parametrize(("seed", "gap"), [(11, 0.02), (12, 0.05), (13, 0.1)])
def test_an_early_stop_states_a_proven_bound_and_an_honest_gap(seed: int, gap: float) -> None:
    costs, w, cap = _instance(seed, n=70, m=14, side_m=4000.0)
    fixed = np.zeros(14, dtype=bool)
    res = MCLP.from_cost_matrix(costs, p=4, weights=w, capacity=cap, single_source=True).solve(
        mip_gap=gap, time_limit_s=20.0
    )
    best = _exact(costs, w, cap, 4, fixed)
    _check_feasible(res, costs, w, cap)
    assert res.objective <= best + 1e-6
    assert res.bound >= best - 1e-6  # the bound is one: no solution beats it
    assert res.gap == pytest.approx((res.bound - res.objective) / res.objective)
    assert (res.status == "optimal") == (res.gap <= gap + 1e-12)


def test_whole_rows_drops_what_a_tolerance_left_over_capacity() -> None:
    costs = CostMatrix.from_dense(np.full((4, 2), 100.0), cutoff_m=RADIUS_M)
    w = np.array([5.0, 3.0, 4.0, 6.0])
    problem = MCLP.from_cost_matrix(
        costs, p=2, weights=w, capacity=np.array([12.0 - 1e-6, 6.0]), single_source=True
    )
    # site 0 holds rows 0, 1, 2 (load 12, a tolerance over its capacity), row 2 at 1 - 1e-7
    rows, cols = np.array([0, 1, 2, 3]), np.array([0, 0, 0, 1])
    share = np.array([1.0, 1.0, 1 - 1e-7, 1.0])
    found = Outcome(np.array([True, True]), "optimal", 18.0, 18.0, 0.0, 0.1, (rows, cols, share))
    fixed = _whole_rows(found, problem, mip_gap=0.0)
    assert fixed.shares is not None
    assert list(fixed.shares[0]) == [0, 2, 3]  # the lightest row of site 0 (3) dropped
    assert fixed.objective == 15.0 and fixed.bound == 18.0
    assert fixed.status == "time_limit" and fixed.gap == pytest.approx(0.2)
    twice = replace(found, shares=(np.array([0, 0]), np.array([0, 1]), np.ones(2)))
    with pytest.raises(AnalysisError, match="broke its rules"):
        _whole_rows(twice, problem, mip_gap=0.0)


def _within_rows(milp: Milp, x: NDArray[np.float64]) -> bool:
    """``x`` satisfies every row and column bound of ``milp`` (to 1e-6)."""
    ax = sp.csr_array(milp.matrix) @ x
    rows_ok = (ax >= milp.row_lower - 1e-6).all() and (ax <= milp.row_upper + 1e-6).all()
    cols_ok = (x >= milp.col_lower - 1e-9).all() and (x <= milp.col_upper + 1e-9).all()
    return bool(rows_ok and cols_ok)


def _problem(seed: int) -> tuple[MCLP, sp.csr_array]:
    costs, w, cap = _instance(seed, n=120, m=20, side_m=4000.0)
    problem = MCLP.from_cost_matrix(costs, p=4, weights=w, capacity=cap, single_source=True)
    return problem, pattern(costs.within(RADIUS_M))


@pytest.mark.parametrize("seed", [21, 22])
def test_window_search_improves_a_poor_start_and_stays_feasible(seed: int) -> None:
    problem, cover = _problem(seed)
    model = build_model(problem, cover, single_source=False)
    reach = cover.T @ problem.weights
    poor = np.zeros(20, dtype=bool)
    poor[np.argsort(reach)[:4]] = True  # the four sites reaching the least demand
    x0 = greedy_start(model, problem, poor, False)
    assert x0 is not None
    x1 = window_search(model, problem, x0, time_limit_s=20.0)
    assert _within_rows(model.milp, x1)
    assert np.isin(x1[:20], [0.0, 1.0]).all() and x1[:20].sum() == 4
    best = solve_milp(model.milp, time_limit_s=20.0, mip_gap=0.0).objective
    assert model.milp.cost @ x0 < model.milp.cost @ x1 <= best + 1e-6


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_rounded_start_is_whole_and_leaves_no_row_that_would_fit(seed: int) -> None:
    problem, cover = _problem(seed)
    assert problem.capacity is not None
    model = build_model(problem, cover, single_source=True)
    sites = np.zeros(20, dtype=bool)
    sites[np.argsort(-(cover.T @ problem.weights))[:4]] = True
    x = greedy_start(model, problem, sites, True)
    assert x is not None and _within_rows(model.milp, x)
    share = x[20:]
    assert np.isin(share, [0.0, 1.0]).all()
    row, col = model.pairs.row, model.pairs.col
    w = model.weights
    room = problem.capacity - np.bincount(col, weights=share * w[row], minlength=20)
    served = np.bincount(row, weights=share, minlength=len(w)) > 0.5
    could = ~served[row] & sites[col] & (w[row] <= room[col])
    assert not could.any()
    assert served.any() and not served.all()  # the capacities bind: the check means something
