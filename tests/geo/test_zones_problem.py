"""Building zone problems: from a cost matrix (bands, homes, locks, estimated pairs) and from
GeoDataFrames (homes inside polygons, same-street candidates, CRS checks)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from bench.synthetic_zones import synthetic_city
from geo._errors import AnalysisError, CRSMismatchError, EmptyInputError
from geo.costs import CostMatrix
from geo.zones import ZoneProblem


def _line_problem(**kwargs: object) -> ZoneProblem:
    """Four units in a row (100 m apart), two stations at units 0 and 3; pairs farther than
    250 m are missing from the matrix."""
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0]])
    dense = np.abs(xy[:, None, 0] - xy[None, [0, 3], 0])
    costs = CostMatrix.from_dense(
        dense, cutoff_m=250.0, demand_ids=np.array(list("abcd")), facility_ids=np.array(["s", "t"])
    )
    adj = sp.diags_array([np.ones(3), np.ones(3)], offsets=[1, -1], shape=(4, 4))
    defaults: dict[str, object] = {
        "workload": [10, 10, 10, 10],
        "capacity": [20, 20],
        "adjacency": adj,
    }
    defaults.update(kwargs)
    return ZoneProblem.from_cost_matrix(costs, **defaults)  # type: ignore[arg-type]


def test_band_homes_and_seeds() -> None:
    p = _line_problem(band=(0.1, 0.25))
    np.testing.assert_allclose(p.lower, [18, 18])
    np.testing.assert_allclose(p.upper, [25, 25])
    assert p.home.tolist() == [0, 3]
    assert p.seed.tolist() == [0, 3]
    assert p.station_street.tolist() == [0, 0]


def test_distances_known_and_estimated() -> None:
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0]])
    p = _line_problem(unit_xy=xy, station_xy=xy[[0, 3]])
    d, known = p.distance([0, 1, 0, 3], [0, 1, 1, 1])
    np.testing.assert_allclose(d[:2], [0.0, 200.0])
    assert known.tolist() == [True, True, False, True]
    assert d[2] >= 300.0  # beyond the 250 m cutoff: estimated, never below the cutoff
    assert d[3] == 0.0  # an explicit zero is a real zero
    no_xy = _line_problem()
    d2, known2 = no_xy.distance([0], [1])
    assert not known2[0] and d2[0] > 250.0


def test_locks_and_bad_inputs() -> None:
    p = _line_problem(locks={"b": "t"})
    assert p.locks.tolist() == [-1, 1, -1, -1]
    assert p.allowed([1], [1]).all()
    with pytest.raises(AnalysisError, match="unknown"):
        _line_problem(locks={"z": "t"})
    with pytest.raises(AnalysisError):
        _line_problem(workload=[1, 2, 3])
    with pytest.raises(AnalysisError):
        _line_problem(workload=[1, -2, 3, 4])
    with pytest.raises(AnalysisError):
        _line_problem(adjacency=sp.eye(3))
    with pytest.raises(EmptyInputError):
        ZoneProblem.from_cost_matrix(
            CostMatrix.from_dense(np.zeros((0, 2))),
            workload=[],
            capacity=[1, 1],
            adjacency=sp.eye(0),
        )


def test_home_locked_elsewhere_is_no_seed() -> None:
    p = _line_problem(locks={"a": "t"})
    assert p.seed.tolist() == [-1, 3]


def test_from_geodataframes() -> None:
    units, stations = synthetic_city(900, 30, n_streets=4, seed=1)
    p = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id", k=4)
    assert p.n_units == len(units) and p.n_stations == len(stations)
    homes = units.geometry.values[p.home]
    assert shapely.contains(homes, stations.geometry.values).all()
    assert (p.station_street == p.unit_street[p.home]).all()
    assert p.street_names[p.station_street].tolist() == stations["street_code"].tolist()
    # every unit has at least k candidates in its own street
    rows = np.repeat(np.arange(p.n_units), np.diff(p.costs.matrix.indptr))
    same = p.unit_street[rows] == p.station_street[p.costs.matrix.indices]
    assert np.bincount(rows[same], minlength=p.n_units).min() >= 4
    assert p.costs.mode == "euclidean"
    np.testing.assert_allclose(p.workload, units["basic_recipients"])


def test_from_geodataframes_checks_crs_and_ids() -> None:
    units, stations = synthetic_city(100, 5, seed=1)
    with pytest.raises(CRSMismatchError):
        ZoneProblem.from_geodataframes(units, stations.to_crs(4326), unit_id="block_id")
    with pytest.raises(AnalysisError, match="code"):
        ZoneProblem.from_geodataframes(units, stations)
    twice = units.copy()
    twice.loc[1, "block_id"] = twice.loc[0, "block_id"]
    with pytest.raises(AnalysisError, match="unique"):
        ZoneProblem.from_geodataframes(twice, stations, unit_id="block_id")


def test_given_cost_matrix_is_aligned_by_ids() -> None:
    units, stations = synthetic_city(100, 5, seed=2)
    base = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id", k=5)
    order = np.arange(len(units))[::-1]
    flipped = CostMatrix(
        sp.csr_array(base.costs.matrix[order]),
        base.costs.demand_ids[order],
        base.costs.facility_ids,
        base.costs.cutoff_m,
        "network",
    )
    p = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id", costs=flipped)
    np.testing.assert_allclose(p.costs.matrix.toarray(), base.costs.matrix.toarray())
    assert p.detour == pytest.approx(1.3)


def test_walking_costs_on_a_network() -> None:
    from geo.network import build_network_from_arrays
    from geo.zones import solve

    units, stations = synthetic_city(100, 5, n_streets=1, seed=1)
    x0, y0, _, _ = units.total_bounds
    ids = np.arange(121)
    xy = np.column_stack([x0 + (ids % 11) * 100.0, y0 + (ids // 11) * 100.0])
    pairs = [(i, i + 1) for i in ids if i % 11 < 10] + [(i, i + 11) for i in ids if i < 110]
    u, v = np.array(pairs).T
    net = build_network_from_arrays(ids, xy, u, v, crs=units.crs)
    walk = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id", network=net, k=5)
    line = ZoneProblem.from_geodataframes(units, stations, unit_id="block_id", k=5)
    assert walk.costs.mode == "network" and walk.detour == pytest.approx(1.3)
    assert walk.costs.matrix.nnz == line.costs.matrix.nnz == 100 * 5
    # walking on a street grid is never shorter than the straight line
    assert (walk.costs.matrix.data >= line.costs.matrix.data - 1e-6).all()
    assert walk.costs.matrix.data.sum() > 1.1 * line.costs.matrix.data.sum()
    assert solve(walk).validate().ok
