"""A network as bytes (what a store keeps as an artifact): the same content as the file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from geo._errors import NetworkError
from geo.network import network_from_bytes, network_to_bytes, save_network
from geo.network.io import _ARRAYS
from tests.geo.conftest import grid


def test_bytes_round_trip_and_match_the_file(tmp_path: Path) -> None:
    net = grid(4, 3)
    data = network_to_bytes(net)
    again = network_from_bytes(data)
    for name in _ARRAYS:
        left, right = getattr(net, name), getattr(again, name)
        assert left.dtype == right.dtype and np.array_equal(left, right), name
    assert again.report == net.report and again.crs == net.crs
    from_file = network_from_bytes(save_network(net, tmp_path / "n.npz").read_bytes())
    assert np.array_equal(from_file.indices, net.indices) and from_file.n_nodes == 12


def test_foreign_bytes_are_refused() -> None:
    other = io.BytesIO()
    np.savez(other, a=np.arange(3))
    good = network_to_bytes(grid(2, 2))
    for data in (b"", b"not a network", good[: len(good) // 2], other.getvalue()):
        with pytest.raises(NetworkError, match="not a network file: store bytes"):
            network_from_bytes(data, label="store bytes")
