"""The covering presolve keeps the optimum: reduced and fixed models against the full
model solved without reductions, and the Lagrangian fixing against enumeration."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray

from geo.costs import CostMatrix
from geo.distance import cost_matrix_xy
from geo.siting import LSCP, MCLP
from geo.siting._large import lagrangian_bound, window_search
from geo.siting._presolve import (
    _relaxation,
    _solve_fixed,
    lagrangian_fixing,
    mclp_milp,
    solve_cover_mclp,
)
from geo.siting._reduce import greedy_cover, implied_rows, pattern
from geo.siting.solve import Milp, MilpSolution, solve_milp


def _clustered(seed: int, n: int, m: int) -> tuple[CostMatrix, NDArray[np.float64]]:
    """Demand in clusters, candidates uniform, straight-line costs within 1 km (the
    benchmark's kind of instance, small)."""
    rng = np.random.default_rng(seed)
    side_m = 1000.0 * np.sqrt(m / 1.45)
    centres = rng.uniform(0, side_m, (max(3, n // 100), 2))
    demand = centres[rng.integers(0, len(centres), n)] + rng.normal(0, side_m / 10, (n, 2))
    sites = rng.uniform(0, side_m, (m, 2))
    costs = cost_matrix_xy(demand, sites, mode="euclidean", cutoff_m=1000.0)
    return costs, rng.integers(10, 500, n).astype(np.float64)


def _full_mclp(cover: sp.csr_array, w: NDArray[np.float64], p: int) -> float:
    """The MCLP without any reduction, every row and column, HiGHS to optimality."""
    return solve_milp(mclp_milp(cover, w, p, 0.0), time_limit_s=60, mip_gap=0.0).objective


def _full_lscp(cover: sp.csr_array) -> float:
    n, m = cover.shape
    milp = Milp(
        cost=np.ones(m),
        matrix=cover,
        row_lower=np.ones(n),
        row_upper=np.full(n, np.inf),
        col_lower=np.zeros(m),
        col_upper=np.ones(m),
        integer=np.ones(m, dtype=bool),
    )
    return solve_milp(milp, time_limit_s=60, mip_gap=0.0).objective


@pytest.mark.parametrize("seed", range(6))
def test_mclp_objective_equals_the_unreduced_model(seed: int) -> None:
    costs, w = _clustered(seed, 800, 120)
    p = [5, 12, 20, 30, 8, 25][seed]
    res = MCLP.from_cost_matrix(costs, p=p, weights=w).solve(mip_gap=0.0)
    full = _full_mclp(pattern(costs.within(1000.0)), w, p)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(full, abs=1e-6)
    assert res.bound == pytest.approx(full, abs=1e-6)
    assert len(res.chosen) == p


@pytest.mark.parametrize("seed", range(4))
def test_reduced_solve_path_equals_the_unreduced_model(seed: int) -> None:
    # straight into the presolved solve (LP, RENS, fixing), fractional weights too
    costs, w = _clustered(10 + seed, 600, 90)
    w = w / 7.0 if seed % 2 else w
    cover = pattern(costs.within(1000.0))
    keep = np.diff(cover.indptr) > 0
    sub, wr = sp.csr_array(cover[keep]), w[keep]
    sol = solve_cover_mclp(sub, wr, 15, time_limit_s=60, mip_gap=0.0)
    value = float(wr @ ((sub @ sol.chosen.astype(float)) > 0))
    full = _full_mclp(sub, wr, 15)
    assert value == pytest.approx(full, rel=1e-9)
    assert sol.bound >= value - 1e-6
    assert int(sol.chosen.sum()) == 15


@pytest.mark.parametrize("seed", range(5))
def test_lscp_objective_equals_the_unreduced_model(seed: int) -> None:
    costs, _ = _clustered(20 + seed, 500, 150)
    cover = pattern(costs.within(1000.0))
    cover = sp.csr_array(cover[np.diff(cover.indptr) > 0])
    reachable = CostMatrix(
        sp.csr_array(costs.matrix[np.diff(costs.matrix.indptr) > 0]),
        np.arange(cover.shape[0]).astype(object),
        costs.facility_ids,
        costs.cutoff_m,
        costs.mode,
    )
    res = LSCP.from_cost_matrix(reachable).solve(mip_gap=0.0)
    assert res.objective == _full_lscp(cover)
    assert res.covered_after == res.total_weight


def test_implied_rows() -> None:
    # row 1 = {0, 1} contains row 0 = {0}; row 2 = {2} stands alone
    cover = sp.csr_array(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=float))
    assert implied_rows(cover).tolist() == [False, True, False]


def _lp(milp: Milp) -> MilpSolution:
    relaxed = replace(milp, integer=np.zeros(len(milp.cost), dtype=bool))
    return solve_milp(relaxed, time_limit_s=10, mip_gap=0.0)


def _enumerate(a: NDArray[np.float64], w: NDArray[np.float64], p: int) -> list[tuple[set, float]]:
    m = a.shape[1]
    return [(set(c), float(w @ (a[:, list(c)].sum(axis=1) > 0))) for c in combinations(range(m), p)]


def _tiny(seed: int, p: int) -> tuple[sp.csr_array, NDArray[np.float64], MilpSolution]:
    """A random 30 x 11 covering model, integer weights, and its LP relaxation."""
    rng = np.random.default_rng(seed)
    a = (rng.random((30, 11)) < 0.18).astype(float)
    w = rng.integers(1, 30, 30).astype(float)
    lp = _lp(mclp_milp(sp.csr_array(a), w, p, 0.0))
    assert lp.row_dual is not None
    return sp.csr_array(a), w, lp


def _removed(chosen: set, zero: NDArray[np.bool_], one: NDArray[np.bool_]) -> bool:
    return bool(chosen & set(np.flatnonzero(zero)) or set(np.flatnonzero(one)) - chosen)


@pytest.mark.parametrize("seed", range(8))
def test_lagrangian_fixing_never_cuts_off_an_optimum(seed: int) -> None:
    cover, w, lp = _tiny(seed, 3)
    assert lp.row_dual is not None
    solutions = _enumerate(cover.toarray(), w, 3)
    best = max(v for _, v in solutions)
    zero, one = lagrangian_fixing(sp.csc_array(cover), w, lp.row_dual[:30], 3, best)
    for chosen, value in solutions:
        if _removed(chosen, zero, one):
            assert value < best  # every solution the fixing removes is worse than optimal
    assert lp.objective >= best - 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_integral_fixing_removes_nothing_better_than_the_incumbent(seed: int) -> None:
    # integer weights: fixing by "below incumbent + 1" may drop ties, never a better one
    cover, w, lp = _tiny(100 + seed, 3)
    assert lp.row_dual is not None
    solutions = _enumerate(cover.toarray(), w, 3)
    values = sorted({v for _, v in solutions}, reverse=True)
    for incumbent in values[:4]:
        args = (sp.csc_array(cover), w, lp.row_dual[:30], 3, incumbent)
        zero, one = lagrangian_fixing(*args, integral=True)
        plain_zero, plain_one = lagrangian_fixing(*args)
        assert (zero >= plain_zero).all() and (one >= plain_one).all()
        for chosen, value in solutions:
            if _removed(chosen, zero, one):
                assert value <= incumbent


def test_integral_fixing_fixes_more_when_the_bound_is_within_one() -> None:
    # c = A'lam = (100, 80, 0.5, 0, 0), L = 1.5 + 180 = 181.5; forcing candidate 3 or 4
    # open is worth at most 181.5 - 80 + 0 = 101.5: not below the incumbent 101 ({0, 2}),
    # but below 102, and with integer weights nothing opening them can beat 101
    a = np.zeros((6, 5))
    a[0:2, 0] = a[2:4, 1] = a[4, 2] = a[5, 3] = a[5, 4] = 1
    w = np.array([50, 50, 40, 40, 1, 1], dtype=float)
    lam = np.array([50, 50, 40, 40, 0.5, 0])
    args = (sp.csc_array(a), w, lam, 2, 101.0)
    zero, one = lagrangian_fixing(*args)
    assert zero.tolist() == [False] * 5
    assert one.tolist() == [True, False, False, False, False]
    zero, one = lagrangian_fixing(*args, integral=True)
    assert zero.tolist() == [False, False, False, True, True]
    assert one.tolist() == [True, False, False, False, False]


@pytest.mark.parametrize("seed", range(12))
def test_reduced_solve_equals_enumeration_on_tiny_models(seed: int) -> None:
    # every branch of the LP path (proven at the LP, RENS, fixing, open-all-left)
    rng = np.random.default_rng(200 + seed)
    n, m, p = 40, 12, [2, 3, 4][seed % 3]
    a = (rng.random((n, m)) < 0.2).astype(float)
    a = a[a.sum(axis=1) > 0]
    w = rng.integers(1, 40, a.shape[0]).astype(float)
    best = max(v for _, v in _enumerate(a, w, p))
    sol = solve_cover_mclp(sp.csr_array(a), w, p, time_limit_s=30, mip_gap=0.0)
    assert float(w @ (a @ sol.chosen.astype(float) > 0)) == best
    assert sol.status == "optimal" and sol.bound == best
    assert int(sol.chosen.sum()) == p


def test_lagrangian_fixing_fixes_with_a_tight_incumbent() -> None:
    # two heavy disjoint clusters and light leftovers: p = 2 must take the heavy ones
    a = np.zeros((6, 5))
    a[0:2, 0] = a[2:4, 1] = a[4, 2] = a[5, 3] = a[5, 4] = 1
    w = np.array([50, 50, 40, 40, 1, 1], dtype=float)
    lp = _lp(mclp_milp(sp.csr_array(a), w, 2, 0.0))
    assert lp.row_dual is not None
    zero, one = lagrangian_fixing(sp.csc_array(a), w, lp.row_dual[:6], 2, 180.0)
    assert one.tolist() == [True, True, False, False, False]
    assert zero.tolist() == [False, False, True, True, True]


# --- city scale: Lagrangian bound and window search ------------------------------------


def _reduced(seed: int, n: int, m: int) -> tuple[sp.csr_array, NDArray[np.float64]]:
    costs, w = _clustered(seed, n, m)
    cover = pattern(costs.within(1000.0))
    keep = np.diff(cover.indptr) > 0
    return sp.csr_array(cover[keep]), w[keep]


@pytest.mark.parametrize("seed", range(3))
def test_lagrangian_bound_is_above_the_optimum_and_near_the_lp(seed: int) -> None:
    sub, w = _reduced(30 + seed, 1500, 150)
    p = 12
    best = _full_mclp(sub, w, p)
    lp = _lp(mclp_milp(sub, w, p, 0.0)).objective
    x = np.zeros(sub.shape[1], dtype=bool)
    x[greedy_cover(sp.csc_array(sub), w, n_sites=p)] = True
    bound, lam = lagrangian_bound(sp.csc_array(sub), w, p, x, time_limit_s=20)
    assert bound >= lp - 1e-6 * lp  # no multipliers beat the LP
    assert bound <= 1.01 * lp  # and the steps get close to it
    assert best <= bound
    assert ((lam >= 0) & (lam <= w)).all()


@pytest.mark.parametrize("seed", range(3))
def test_window_search_improves_and_keeps_p_sites(seed: int) -> None:
    sub, w = _reduced(40 + seed, 2000, 200)
    a, p = sp.csc_array(sub), 15
    x = np.zeros(sub.shape[1], dtype=bool)
    x[np.random.default_rng(seed).choice(sub.shape[1], p, replace=False)] = True  # a poor start
    before = float(w @ ((a @ x.astype(float)) > 0))
    after_x = window_search(a, w, x, time_limit_s=30)
    after = float(w @ ((a @ after_x.astype(float)) > 0))
    assert int(after_x.sum()) == p
    assert before < after <= _full_mclp(sub, w, p) + 1e-6


def test_city_scale_path_states_an_honest_gap() -> None:
    sub, w = _reduced(50, 3000, 300)
    p = 25
    best = _full_mclp(sub, w, p)
    sol = solve_cover_mclp(sub, w, p, time_limit_s=30, mip_gap=0.0, lp_max_pairs=0)
    value = float(w @ ((sub @ sol.chosen.astype(float)) > 0))
    assert int(sol.chosen.sum()) == p
    assert value <= best + 1e-6 <= sol.bound + 1e-6
    assert value >= 0.99 * best  # greedy, swaps and windows come close


@pytest.mark.parametrize("seed", range(6))
def test_proof_without_heuristics_finds_the_optimum_from_a_weak_start(seed: int) -> None:
    # the proof on the fixed model runs with HiGHS's primal heuristics and strong branching
    # off: from a greedy start short of the optimum it must still reach and prove it
    sub, w = _reduced(60 + seed, 1200, 150)
    p = 12
    a = sp.csc_array(sub)
    lp = _relaxation(mclp_milp(sub, w, p, 0.0), time_limit_s=60)
    assert lp is not None
    x = np.zeros(sub.shape[1], dtype=bool)
    x[greedy_cover(a, w, n_sites=p)] = True
    best = _full_mclp(sub, w, p)
    assert float(w @ ((a @ x.astype(float)) > 0)) < best  # the proof has work to do
    chosen, bound, status = _solve_fixed(sub, w, x, p, lp, time_limit_s=60, mip_gap=0.0)
    assert float(w @ ((a @ chosen.astype(float)) > 0)) == best
    assert status == "optimal" and bound == best
    assert int(chosen.sum()) <= p
