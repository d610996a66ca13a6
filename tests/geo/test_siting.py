"""Siting: textbook optima by hand, fixed sites, capacities, infeasibility messages,
time limits, results and the layer adapter."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray

from geo._errors import AnalysisError, InfeasibleError
from geo.costs import CostMatrix
from geo.distance import cost_matrix_xy
from geo.siting import LSCP, MCLP, PCenter, PMedian, SitingProblem, SitingResult
from geo.siting._reduce import dominated_columns, merge_identical_rows

GK = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E: metres


def _line(
    xs_m: list[float], sites_m: list[float] | None = None, *, cutoff_m: float = np.inf
) -> CostMatrix:
    """Demand and candidates on a line (candidates default to the demand points)."""
    d = np.asarray(xs_m, dtype=float)
    s = d if sites_m is None else np.asarray(sites_m, dtype=float)
    return CostMatrix.from_dense(np.abs(d[:, None] - s[None, :]), cutoff_m=cutoff_m)


def _random(
    seed: int, n: int = 60, m: int = 20, side_m: float = 3000.0
) -> tuple[CostMatrix, NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, side_m, (n, 2)), rng.uniform(0, side_m, (m, 2))
    dist = np.hypot(*(a[:, None] - b[None]).transpose(2, 0, 1))
    return CostMatrix.from_dense(dist, cutoff_m=1500.0), rng.integers(1, 40, n).astype(float)


# --- textbook optima -------------------------------------------------------------------


def test_lscp_on_a_line_needs_ceil_n_over_3() -> None:
    # ten points 1 km apart; a site covers itself and both neighbours (radius 1.2 km)
    res = LSCP.from_cost_matrix(_line([i * 1000.0 for i in range(10)], cutoff_m=1200.0)).solve()
    assert res.objective == 4
    assert res.covered_after == res.total_weight == 10
    assert res.assignment["facility_id"].notna().all()


def test_mclp_two_sites_pick_the_heavy_clusters() -> None:
    # clusters at 0 km (weights 5+5), 10 km (9), 20 km (1+1+1); radius 500 m, p = 2
    costs = _line([0, 100, 10_000, 20_000, 20_100, 20_200], cutoff_m=500.0)
    w = np.array([5, 5, 9, 1, 1, 1], dtype=float)
    res = MCLP.from_cost_matrix(costs, p=2, weights=w).solve()
    assert res.objective == 19
    assert list(res.gains["gain"]) == [10, 9]
    assert res.covered_before == 0 and res.covered_after == 19


def test_p_median_and_p_center_two_clusters() -> None:
    costs = _line([0, 1000, 2000, 10_000, 11_000, 12_000])
    med = PMedian.from_cost_matrix(costs, p=2).solve()
    assert med.objective == pytest.approx(4000.0)  # sites at 1 km and 11 km
    assert set(med.facility_ids[med.chosen]) == {1, 4}
    cen = PCenter.from_cost_matrix(costs, p=2).solve()
    assert cen.objective == pytest.approx(1000.0)


def test_p_center_one_site_between_two_points() -> None:
    costs = _line([0, 10_000], [2000, 5000, 9000])
    res = PCenter.from_cost_matrix(costs, p=1).solve()
    assert res.objective == pytest.approx(5000.0)
    assert res.facility_ids[res.chosen].tolist() == [1]


def test_capacity_and_single_source_change_the_lscp_optimum() -> None:
    # three rows of 6 next to three sites of capacity 10: split needs 2 sites, whole 3
    costs = _line([0, 10, 20], [0, 10, 20], cutoff_m=100.0)
    w = np.full(3, 6.0)
    split = LSCP.from_cost_matrix(costs, weights=w, capacity=10.0).solve()
    whole = LSCP.from_cost_matrix(costs, weights=w, capacity=10.0, single_source=True).solve()
    assert (split.objective, whole.objective) == (2, 3)
    assert (whole.assignment["share"] == 1).all()


def test_a_zero_distance_is_a_real_distance() -> None:
    # the first demand point sits on the site: covered even with a zero radius
    costs = _line([0, 500], [0], cutoff_m=600.0)
    assert costs.matrix.nnz == 2 and costs.matrix.data.min() == 0.0
    res = MCLP.from_cost_matrix(costs, p=1, weights=[3.0, 4.0], service_radius_m=0.0).solve()
    assert res.objective == 3.0
    assert PCenter.from_cost_matrix(costs, p=1).solve().objective == 500.0


# --- fixed sites, capacities -------------------------------------------------------------


@pytest.mark.parametrize("kind", [LSCP, MCLP, PMedian, PCenter])
def test_fixed_sites_stay_open_and_p_counts_new_sites(kind: type[SitingProblem]) -> None:
    costs, w = _random(5)
    fixed = np.zeros(costs.shape[1], dtype=bool)
    fixed[[0, 7]] = True
    p = None if kind is LSCP else 3
    res = kind.from_cost_matrix(costs, p=p, weights=w, fixed=fixed, service_radius_m=1500.0).solve()
    assert res.is_open[fixed].all()
    if kind is not LSCP:
        assert res.n_new == 3
        assert len(res.gains) == 3
    assert res.covered_before <= res.covered_after <= res.total_weight


@pytest.mark.parametrize(
    ("kind", "single"),
    [(LSCP, False), (LSCP, True), (MCLP, False), (MCLP, True), (PMedian, False), (PMedian, True)],
)
def test_capacities_are_never_exceeded(kind: type[SitingProblem], single: bool) -> None:
    costs, w = _random(11, n=50, m=15)
    cap = np.random.default_rng(3).integers(150, 400, costs.shape[1]).astype(float)
    res = kind.from_cost_matrix(
        costs,
        p=None if kind is LSCP else 5,
        weights=w,
        capacity=cap,
        single_source=single,
        service_radius_m=1500.0,
    ).solve(mip_gap=0)
    served = res.assignment.dropna(subset=["facility_id"])
    load = (served["weight"] * served["share"]).groupby(served["facility_id"]).sum()
    assert (load.to_numpy() <= cap[load.index.to_numpy(dtype=int)] + 1e-6).all()
    assert res.is_open[load.index.to_numpy(dtype=int)].all()
    share_per_row = res.assignment.groupby("demand_id")["share"].sum()
    assert np.allclose(share_per_row, 1.0)  # served parts plus the unserved part
    if single:
        assert np.isin(served["share"], [1.0]).all()
    if kind is MCLP:
        assert res.objective == pytest.approx((served["weight"] * served["share"]).sum())
        assert res.objective <= res.covered_after + 1e-9


# --- infeasibility said clearly ----------------------------------------------------------


def test_lscp_names_demand_rows_with_no_candidate() -> None:
    costs = CostMatrix.from_dense(
        np.array([[100.0, 900.0], [5000.0, 6000.0], [200.0, 50.0], [7000.0, 8000.0]]),
        cutoff_m=1000.0,
        demand_ids=np.array(["a", "b", "c", "d"], dtype=object),
    )
    with pytest.raises(InfeasibleError, match=r"demand rows b, d have no candidate within 500 m"):
        LSCP.from_cost_matrix(costs, service_radius_m=500.0).solve()


def test_p_larger_than_free_candidates_and_too_few_for_p_median() -> None:
    costs = _line([0, 1000, 5000, 9000], cutoff_m=1500.0)
    with pytest.raises(InfeasibleError, match=r"p = 5 new sites but only 4"):
        MCLP.from_cost_matrix(costs, p=5)
    with pytest.raises(InfeasibleError, match=r"at least 3 new sites, but p = 2"):
        PMedian.from_cost_matrix(costs, p=2).solve()


def test_capacity_shortage_is_told_before_solving() -> None:
    costs = _line([0, 10, 20], cutoff_m=100.0)
    with pytest.raises(
        InfeasibleError, match=r"largest capacity .* is 9, less than the total demand 18"
    ):
        LSCP.from_cost_matrix(costs, weights=np.full(3, 6.0), capacity=3.0).solve()
    with pytest.raises(InfeasibleError, match=r"demand rows 1 weigh more"):
        PMedian.from_cost_matrix(
            costs, p=3, weights=np.array([1.0, 20.0, 1.0]), capacity=10.0, single_source=True
        ).solve()


def test_bad_inputs_are_refused() -> None:
    costs = _line([0, 10], cutoff_m=100.0)
    with pytest.raises(AnalysisError, match="service radius"):
        MCLP.from_cost_matrix(costs, p=1, service_radius_m=200.0)
    with pytest.raises(AnalysisError, match="needs p"):
        PMedian.from_cost_matrix(costs)
    with pytest.raises(AnalysisError, match="non-negative"):
        LSCP.from_cost_matrix(costs, weights=[1.0, -1.0])
    with pytest.raises(AnalysisError, match="no capacitated"):
        PCenter.from_cost_matrix(costs, p=1, capacity=5.0)


# --- time limit and result -------------------------------------------------------------


def test_time_limit_states_bound_and_gap() -> None:
    # large enough that the presolve's LP cannot finish in 10 ms
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 30_000, (12_000, 2)), rng.uniform(0, 30_000, (1200, 2))
    costs = cost_matrix_xy(a, b, mode="euclidean", cutoff_m=1000.0)
    res = MCLP.from_cost_matrix(costs, p=120, weights=rng.integers(1, 500, 12_000)).solve(
        time_limit_s=0.01, mip_gap=0
    )
    assert res.status == "time_limit"
    assert res.bound >= res.objective > 0
    assert res.gap == pytest.approx((res.bound - res.objective) / res.objective)


def test_result_tables_and_summary() -> None:
    costs, w = _random(8)
    fixed = np.zeros(costs.shape[1], dtype=bool)
    fixed[3] = True
    res = MCLP.from_cost_matrix(costs, p=2, weights=w, fixed=fixed, service_radius_m=800.0).solve()
    assert isinstance(res, SitingResult)
    assert res.gains["covered"].iloc[-1] == pytest.approx(res.covered_after)
    assert res.gains["gain"].is_monotonic_decreasing
    sites = res.sites()
    assert sorted(sites["site_status"]) == ["existing", "new", "new"]
    summary = res.summary()
    assert summary["n_new"] == 2 and summary["status"] == "optimal"
    assert all(isinstance(v, (int, str)) for v in summary["new_sites"])
    with pytest.raises(AnalysisError, match="no candidate geometry"):
        res.to_gdf()


# --- reductions -------------------------------------------------------------------------


def test_merge_and_domination_match_brute_force() -> None:
    rng = np.random.default_rng(4)
    dense = rng.random((200, 12)) < 0.2
    cover = sp.csr_array(dense.astype(float))
    merged, w, group = merge_identical_rows(cover, np.ones(200))
    assert len(w) == len({tuple(r) for r in dense})
    assert (merged.toarray()[group] == dense).all() and w.sum() == 200
    dom = dominated_columns(cover)
    for j in range(12):
        sub = [k for k in range(12) if k != j and (dense[:, j] <= dense[:, k]).all()]
        strict = [k for k in sub if dense[:, k].sum() > dense[:, j].sum() or k < j]
        assert dom[j] == bool(strict) or not dense[:, j].any()


# --- layers in, layers out ----------------------------------------------------------------


def _frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(2)
    x0, y0 = 440_000.0, 4_420_000.0
    demand = gpd.GeoDataFrame(
        {"elderly_60_plus": rng.integers(10, 200, 30)},
        geometry=shapely.points(rng.uniform(0, 3000, (30, 2)) + np.array([x0, y0])),
        crs=GK,
    ).set_index(pd.Index([f"c{i}" for i in range(30)]))
    cands = gpd.GeoDataFrame(
        {"capacity_persons": np.full(10, 1400)},
        geometry=shapely.points(rng.uniform(0, 3000, (10, 2)) + np.array([x0, y0])),
        crs=GK,
    ).set_index(pd.Index([f"v{i}" for i in range(10)]))
    existing = gpd.GeoDataFrame(
        {"capacity_persons": [500]}, geometry=[shapely.Point(x0 + 1500, y0 + 1500)], crs=GK
    ).set_index(pd.Index(["s0"]))
    return demand.to_crs(4326), cands.to_crs(4326), existing.to_crs(4326)


def test_from_geodataframe_matches_the_cost_matrix_core() -> None:
    demand, cands, existing = _frames()
    prob = MCLP.from_geodataframe(
        demand, cands, p=2, service_radius_m=800.0, weight_col="elderly_60_plus", existing=existing
    )
    assert prob.fixed.tolist() == [False] * 10 + [True]
    res = prob.solve(mip_gap=0)
    dxy = np.column_stack([demand.to_crs(GK).geometry.x, demand.to_crs(GK).geometry.y])
    sites = pd.concat([cands, existing]).to_crs(GK).geometry
    sxy = np.column_stack([sites.x, sites.y])
    dist = np.hypot(*(dxy[:, None] - sxy[None]).transpose(2, 0, 1))
    direct = MCLP.from_cost_matrix(
        CostMatrix.from_dense(dist, cutoff_m=800.0),
        p=2,
        weights=demand["elderly_60_plus"],
        fixed=prob.fixed,
    ).solve(mip_gap=0)
    assert res.objective == pytest.approx(direct.objective)
    gdf = res.to_gdf()
    assert gdf.crs == demand.crs and "s0" in gdf.index and len(gdf) == 3
    assert set(gdf["site_status"]) == {"existing", "new"}
    assert set(res.assignment["demand_id"]) == set(demand.index)
    m = res.explore()
    html = m.get_root().render()
    assert "New sites / " in html and "Existing sites / " in html and "Assignment / " in html


def test_from_geodataframe_capacity_column() -> None:
    demand, cands, existing = _frames()
    res = PMedian.from_geodataframe(
        demand,
        cands,
        p=2,
        cutoff_m=5000.0,
        weight_col="elderly_60_plus",
        existing=existing,
        capacity_col="capacity_persons",
    ).solve(mip_gap=0)
    load = res.sites().set_index("facility_id")["assigned_weight"]
    cap = pd.concat([cands, existing])["capacity_persons"]
    assert (load <= cap.reindex(load.index) + 1e-6).all()
    assert load.sum() == pytest.approx(demand["elderly_60_plus"].sum())
