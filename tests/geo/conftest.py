"""Fixtures of the walking-network tests: the demo walking network and small hand-made
networks in a projected CRS (metres)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.network import Network, build_network_from_arrays, build_network_from_csv

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
#: CGCS2000 / 3-degree Gauss-Kruger CM 117E: metres around Beijing
GK117 = "EPSG:4548"
ORIGIN = np.array([500_000.0, 4_420_000.0])


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    if not (RAW / "beijing_walk_network" / "edges.csv").is_file():
        pytest.skip("data/raw is missing")
    return RAW


@pytest.fixture(scope="session")
def demo_walk_network(raw_dir: Path) -> Network:
    """The demo's OSM-derived walking network (inside the 5th ring), built once."""
    walk = raw_dir / "beijing_walk_network"
    return build_network_from_csv(walk / "nodes.csv", walk / "edges.csv")


def grid(
    nx: int,
    ny: int,
    *,
    spacing_m: float = 100.0,
    drop: tuple[tuple[int, int], ...] = (),
    extra: tuple[tuple[int, int], ...] = (),
) -> Network:
    """An ``nx`` × ``ny`` street grid (node ``i = y * nx + x`` at ``ORIGIN + (x, y) *
    spacing``), without the ``drop`` streets and with the ``extra`` ones."""
    ids = np.arange(nx * ny)
    xy = ORIGIN + np.column_stack([ids % nx, ids // nx]) * spacing_m
    pairs = [(int(i), int(i) + 1) for i in ids if i % nx < nx - 1]
    pairs += [(int(i), int(i) + nx) for i in ids if i // nx < ny - 1]
    pairs = [p for p in pairs if p not in drop] + list(extra)
    u, v = np.array(pairs).T
    return build_network_from_arrays(ids, xy, u, v, crs=GK117)


def line(n_nodes: int = 3, spacing_m: float = 1000.0) -> Network:
    """Nodes on a straight east-west street, ``spacing_m`` apart."""
    ids = np.arange(n_nodes)
    xy = ORIGIN + np.column_stack([ids * spacing_m, np.zeros(n_nodes)])
    return build_network_from_arrays(ids, xy, ids[:-1], ids[1:], crs=GK117)
