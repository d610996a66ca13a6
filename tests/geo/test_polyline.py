"""Straight pieces of polylines: offsets along each line stay exact at province scale."""

from __future__ import annotations

import numpy as np

from geo.network._polyline import pieces


def test_piece_offsets_do_not_inherit_rounding_from_earlier_lines() -> None:
    # 200,000 lines of 1,000.123456789 m before a short bent one: a network-wide float64
    # running total of 2e8 m would leave ~3e-8 m of rounding in the last line's offsets
    n = 200_000
    xy = np.zeros((2 * n, 2))
    xy[1::2, 0] = 1000.123456789
    xy[:, 1] = np.repeat(np.arange(n, dtype=float), 2)
    xy = np.vstack([xy, [[0.0, -1.0], [0.1, -1.0], [0.3, -1.0]]])
    offsets = np.append(np.arange(0, 2 * n + 1, 2), 2 * n + 3).astype(np.int64)

    out = pieces(offsets, xy)

    assert out.start_m[-2] == 0.0
    assert abs(out.start_m[-1] - 0.1) < 1e-9  # the first piece's length, not 0.1 ± 3e-8
    assert out.line[-1] == n
    assert np.array_equal(out.start_m[:n], np.zeros(n))
