"""OpenStreetMap test files: copies of a real extract (XML or PBF, chosen by suffix),
optionally clipped by removing nodes, written with pyosmium; and a comparison of two
networks node by node."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import dijkstra

from geo.network import Network


def write_osm(
    src: Path, dst: Path, *, drop_share: float = 0.0, seed: int = 6
) -> tuple[Path, set[int]]:
    """Copy ``src`` to ``dst`` (format from the suffix) without a random ``drop_share``
    of its nodes, as a clipped extract lacks them; returns the file and the ids removed."""
    import osmium

    rng = np.random.default_rng(seed)
    removed: set[int] = set()
    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            if isinstance(obj, osmium.osm.Node) and rng.random() < drop_share:
                removed.add(obj.id)
                continue
            writer.add(obj)
    return dst, removed


def way_steps(src: Path) -> set[tuple[int, int]]:
    """Every pair of consecutive nodes of the ways of ``src`` with a highway tag (both
    orders)."""
    import osmium

    steps: set[tuple[int, int]] = set()
    for obj in osmium.FileProcessor(str(src), osmium.osm.WAY):
        if "highway" in obj.tags:
            refs = [r.ref for r in obj.nodes]
            steps.update(itertools.pairwise(refs))
            steps.update(itertools.pairwise(refs[::-1]))
    return steps


def assert_same_network(a: Network, b: Network, *, n_sources: int = 15) -> None:
    """The same nodes (ids, coordinates), edges, lengths and walking distances."""
    assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)
    assert np.array_equal(a.node_ids, b.node_ids)
    assert np.allclose(a.node_xy, b.node_xy, atol=1e-6)
    assert np.array_equal(a.edge_u, b.edge_u) and np.array_equal(a.edge_v, b.edge_v)
    assert np.allclose(a.edge_length_m, b.edge_length_m, atol=1e-6)
    assert a.report.length_m == b.report.length_m
    pick = np.random.default_rng(3).choice(a.n_nodes, min(n_sources, a.n_nodes), replace=False)
    d_a = dijkstra(a.graph, indices=pick)
    d_b = dijkstra(b.graph, indices=pick)
    assert np.allclose(d_a, d_b, atol=1e-6)
