"""Many-to-many distances by sweeps: exact against one search per facility."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from numpy.typing import NDArray

from geo.distance import cost_matrix_xy
from geo.network import Network, build_network_from_arrays
from geo.network.search import pair_search_each
from geo.network.sweep import distance_ratio, sweep_groups, sweep_pairs
from tests.geo.conftest import GK117, ORIGIN, grid

Pairs = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


def _jittered(side: int, seed: int, *, oneway: bool = False) -> Network:
    """A ``side`` x ``side`` grid, 40 m spacing, jittered, 6 % of streets removed."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    iy, ix = np.divmod(np.arange(side * side), side)
    xy = ORIGIN + np.column_stack([ix, iy]) * 40.0 + rng.uniform(-8, 8, (side * side, 2))
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.06
    codes = rng.choice(["yes", "no", "no"], keep.sum()) if oneway else None
    return build_network_from_arrays(
        np.arange(side * side),
        xy,
        u[keep],
        v[keep],
        crs=GK117,
        oneway=codes,
        respect_oneway=oneway,
    )


def _points(net: Network, n: int, seed: int) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    return rng.uniform(lo - 30, hi + 30, (n, 2))


def _as_dict(pairs: Pairs) -> dict[tuple[int, int], float]:
    rows, cols, vals = pairs
    out = dict(zip(zip(rows.tolist(), cols.tolist(), strict=True), vals.tolist(), strict=True))
    assert len(out) == len(rows), "a pair reported twice"
    return out


def _assert_same(net: Network, dem: NDArray, fac: NDArray, **kw: float | bool) -> int:
    opts = {"cutoff_m": 400.0, "max_snap_m": 60.0, "add_access": True} | kw
    ours = _as_dict(sweep_pairs(net, dem, fac, **opts))  # type: ignore[arg-type]
    each = _as_dict(pair_search_each(net, dem, fac, **opts))  # type: ignore[arg-type]
    assert ours.keys() == each.keys()
    diff = max((abs(ours[k] - each[k]) for k in each), default=0.0)
    assert diff < 1e-3  # a millimetre
    return len(each)


@pytest.mark.parametrize("seed", range(3))
def test_sweeps_equal_one_search_per_facility(seed: int) -> None:
    net = _jittered(40, seed)
    fac = _points(net, 120, seed + 100)
    fac[5] = fac[4]  # two facilities at one place
    fac[7] = net.node_xy[3]  # one on a node
    n_pairs = _assert_same(net, _points(net, 3000, seed), fac)
    assert n_pairs > 3000  # the test has something to compare


@pytest.mark.parametrize("add_access", [True, False])
def test_sweeps_exact_on_one_way_streets(add_access: bool) -> None:
    net = _jittered(30, 7, oneway=True)
    assert net.directed
    _assert_same(net, _points(net, 2000, 1), _points(net, 80, 2), add_access=add_access)


def test_sweeps_exact_with_a_shortcut_shorter_than_the_straight_line() -> None:
    # a 'tunnel' of 100 m between opposite corners 3 km apart: walks beat straight lines
    base = grid(31, 31, extra=((0, 31 * 31 - 1),))
    e = int(np.flatnonzero((base.edge_u == 0) & (base.edge_v == 31 * 31 - 1))[0])
    lengths = base.edge_length_m.copy()
    lengths[e] = 100.0
    rows = np.repeat(np.arange(base.n_nodes), np.diff(base.indptr))
    weights = base.weights.copy()
    tunnel = {(0, 31 * 31 - 1), (31 * 31 - 1, 0)}
    pick = [i for i, rc in enumerate(zip(rows, base.indices, strict=True)) if rc in tunnel]
    weights[pick] = 100.0
    net = replace(base, edge_length_m=lengths, weights=weights, _cache={})
    assert distance_ratio(net) < 0.05
    fac = np.array([[0.0, 0.0], [3000.0, 3000.0], [1500.0, 1500.0]]) + ORIGIN + 20.0
    n_pairs = _assert_same(net, _points(net, 1500, 3), fac, cutoff_m=900.0)
    assert n_pairs > 0


def test_demo_network_sample(demo_walk_network: Network) -> None:
    net = demo_walk_network
    rng = np.random.default_rng(11)
    nodes = rng.choice(net.n_nodes, 2500, replace=False)
    dem = net.node_xy[nodes[:2000]] + rng.normal(0, 20, (2000, 2))
    fac = net.node_xy[nodes[2000:2150]] + rng.normal(0, 20, (150, 2))
    assert _assert_same(net, dem, fac, cutoff_m=1000.0, max_snap_m=500.0) > 500


def test_cost_matrix_uses_the_sweeps_and_keeps_zeros() -> None:
    net = _jittered(20, 4)
    fac = net.node_xy[[10, 200]]
    m = cost_matrix_xy(fac, fac, network=net, cutoff_m=500.0)
    assert m.matrix[0, 0] == 0.0 and m.matrix[1, 1] == 0.0  # explicit zeros
    assert m.matrix.has_canonical_format


@pytest.mark.parametrize("separation", [0.0, 50.0, 400.0])
def test_sweep_groups_are_separated_and_cover_every_point(separation: float) -> None:
    xy = np.random.default_rng(0).uniform(0, 1000, (400, 2))
    xy[1] = xy[0]
    groups = sweep_groups(xy, separation)
    assert sorted(np.concatenate(groups).tolist()) == list(range(400))
    for g in groups:
        d = np.hypot(*(xy[g][:, None] - xy[g][None]).transpose(2, 0, 1))
        np.fill_diagonal(d, np.inf)
        assert d.min() > separation
    assert len(groups) < 400 or separation == 400.0
