"""A kept district piece searched near its points only: the same nearest facilities and
distances as the whole piece, with and without access legs, one-way streets too."""

from __future__ import annotations

import numpy as np
import pytest

from geo.distributed._coverage_tasks import near_graph
from geo.network import Network, build_network_from_arrays
from geo.network.search import nearest_search
from tests.geo.conftest import GK117, ORIGIN


def _grid(side: int, spacing_m: float, *, oneway: bool) -> Network:
    rng = np.random.default_rng(31)
    idx = np.arange(side * side).reshape(side, side)
    xy = ORIGIN + np.column_stack([idx.ravel() % side, idx.ravel() // side]) * spacing_m
    xy += rng.uniform(-0.2, 0.2, xy.shape) * spacing_m
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.06
    one = rng.random(int(keep.sum())) < 0.2 if oneway else np.zeros(int(keep.sum()), bool)
    return build_network_from_arrays(
        idx.ravel(), xy, u[keep], v[keep], crs=GK117, oneway=one, respect_oneway=oneway
    )


@pytest.mark.parametrize(("add_access", "oneway"), [(True, False), (False, False), (True, True)])
def test_near_graph_gives_the_whole_piece_answers(add_access: bool, oneway: bool) -> None:
    net = _grid(60, 40.0, oneway=oneway)  # 2.4 km across
    assert net.directed == oneway
    rng = np.random.default_rng(32)
    xy = ORIGIN + rng.uniform(900, 1500, (3000, 2))  # the district: 600 m across
    fac = ORIGIN + rng.uniform(0, 2400, (200, 2))
    outside = ((fac - ORIGIN < 900) | (fac - ORIGIN > 1500)).any(axis=1)
    fac = fac[outside]  # every facility around the district, some within reach
    cutoff, snap = 400.0, 60.0
    demand = net.snap_index.snap(xy, max_snap_m=snap)
    kept = near_graph(net, xy, cutoff + (0.0 if add_access else snap))
    assert kept.indices.size < 0.5 * net.indices.size  # most of the piece is left out
    assert near_graph(net, xy, cutoff + (0.0 if add_access else snap)) is kept
    whole, near = (
        nearest_search(
            graph, xy, fac, cutoff_m=cutoff, max_snap_m=snap, add_access=add_access, demand=demand
        )
        for graph in (net, kept)
    )
    assert np.isfinite(whole.distance_m).mean() > 0.5
    assert (near.facility == whole.facility).all()
    assert np.array_equal(near.distance_m, whole.distance_m)
    assert (near.facility_reachable == whole.facility_reachable).all()
