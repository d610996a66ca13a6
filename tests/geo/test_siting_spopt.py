"""Siting objectives equal spopt's (PuLP + its bundled CBC) on the same cost matrix.

spopt takes dense matrices and counts fixed sites in ``p``; pairs beyond our cutoff are
given a distance far beyond any radius, so both models see the same instance.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from geo.costs import CostMatrix
from geo.siting import LSCP, MCLP, PCenter, PMedian

spopt_locate = pytest.importorskip("spopt.locate")
pulp = pytest.importorskip("pulp")

FAR_M = 1e7
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _instance(
    seed: int, n: int = 40, m: int = 14, side_m: float = 3000.0
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, side_m, (n, 2))
    sites = rng.uniform(0, side_m, (m, 2))
    dist = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    weights = rng.integers(1, 60, n).astype(float)
    fixed = np.zeros(m, dtype=bool)
    fixed[rng.choice(m, 2, replace=False)] = True
    return dist, weights, fixed


def _cbc() -> object:
    return pulp.PULP_CBC_CMD(msg=False)


def _spopt_value(model: object) -> float:
    solved = model.solve(_cbc())  # type: ignore[attr-defined]
    assert pulp.LpStatus[solved.problem.status] == "Optimal"
    return float(pulp.value(solved.problem.objective))


def _sparse(dist: NDArray[np.float64], cutoff_m: float) -> tuple[CostMatrix, NDArray[np.float64]]:
    """Our sparse matrix and the dense one spopt sees (beyond the cutoff: very far)."""
    return CostMatrix.from_dense(dist, cutoff_m=cutoff_m), np.where(dist <= cutoff_m, dist, FAR_M)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lscp_equals_spopt(seed: int) -> None:
    dist, _, fixed = _instance(seed)
    costs, dense = _sparse(dist, 1600.0)
    ours = LSCP.from_cost_matrix(costs, service_radius_m=1500.0, fixed=fixed).solve(mip_gap=0)
    theirs = spopt_locate.LSCP.from_cost_matrix(
        dense, 1500.0, predefined_facilities_arr=fixed.astype(int)
    )
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(_spopt_value(theirs))
    assert ours.covered_after == pytest.approx(ours.total_weight)


@pytest.mark.parametrize(("seed", "p"), [(1, 2), (2, 3), (3, 4), (4, 1)])
def test_mclp_equals_spopt(seed: int, p: int) -> None:
    dist, weights, fixed = _instance(seed)
    costs, dense = _sparse(dist, 1000.0)
    ours = MCLP.from_cost_matrix(
        costs, p=p, service_radius_m=700.0, weights=weights, fixed=fixed
    ).solve(mip_gap=0)
    theirs = spopt_locate.MCLP.from_cost_matrix(
        dense, weights, 700.0, p + int(fixed.sum()), predefined_facilities_arr=fixed.astype(int)
    )
    assert ours.objective == pytest.approx(_spopt_value(theirs))
    assert ours.objective == pytest.approx(ours.covered_after)
    assert ours.n_new == p


@pytest.mark.parametrize(("seed", "cutoff_m"), [(1, np.inf), (2, np.inf), (3, 2500.0)])
def test_p_median_equals_spopt(seed: int, cutoff_m: float) -> None:
    dist, weights, fixed = _instance(seed)
    costs, dense = _sparse(dist, cutoff_m)
    ours = PMedian.from_cost_matrix(costs, p=3, weights=weights, fixed=fixed).solve(mip_gap=0)
    theirs = spopt_locate.PMedian.from_cost_matrix(
        dense, weights, 3 + int(fixed.sum()), predefined_facilities_arr=fixed.astype(int)
    )
    assert ours.objective == pytest.approx(_spopt_value(theirs), rel=1e-7)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_p_center_equals_spopt(seed: int) -> None:
    dist, _, fixed = _instance(seed, n=30)
    costs, dense = _sparse(dist, np.inf)
    ours = PCenter.from_cost_matrix(costs, p=2, fixed=fixed).solve()
    theirs = spopt_locate.PCenter.from_cost_matrix(
        dense, 2 + int(fixed.sum()), predefined_facilities_arr=fixed.astype(int)
    )
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(_spopt_value(theirs), rel=1e-6)


@pytest.mark.parametrize("seed", [1, 2])
def test_capacitated_p_median_single_source_equals_spopt(seed: int) -> None:
    dist, weights, _ = _instance(seed, n=30, m=10)
    capacity = np.random.default_rng(seed).integers(250, 500, 10).astype(float)
    costs, dense = _sparse(dist, np.inf)
    ours = PMedian.from_cost_matrix(
        costs, p=4, weights=weights, capacity=capacity, single_source=True
    ).solve(mip_gap=0)
    theirs = spopt_locate.PMedian.from_cost_matrix(dense, weights, 4, facility_capacities=capacity)
    assert ours.objective == pytest.approx(_spopt_value(theirs), rel=1e-7)


@pytest.mark.parametrize("seed", [1, 2])
def test_capacitated_lscp_equals_spopt(seed: int) -> None:
    dist, weights, _ = _instance(seed, n=30, m=12)
    capacity = np.random.default_rng(seed).integers(100, 300, 12).astype(float)
    costs, dense = _sparse(dist, 1500.0)
    ours = LSCP.from_cost_matrix(costs, weights=weights, capacity=capacity).solve(mip_gap=0)
    theirs = spopt_locate.LSCP.from_cost_matrix(
        dense, 1500.0, demand_quantity_arr=weights, facility_capacity_arr=capacity
    )
    assert ours.objective == pytest.approx(_spopt_value(theirs))
