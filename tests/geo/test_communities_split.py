"""Splitting blocks into parts: the optimum found by brute-force enumeration on small block
sets, band / contiguity / anchors held or the infeasibility named."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo.communities._split import split_blocks
from geo.zones import polygon_adjacency


def _grid(nx: int, ny: int, size_m: float = 100.0) -> tuple[np.ndarray, sp.csr_array]:
    boxes = np.array(
        [
            shapely.box(i * size_m, j * size_m, (i + 1) * size_m, (j + 1) * size_m)
            for j in range(ny)
            for i in range(nx)
        ],
        dtype=object,
    )
    xy = shapely.get_coordinates(shapely.centroid(boxes))
    return xy, polygon_adjacency(boxes)


def _contiguous(adj: sp.csr_array, members: np.ndarray) -> bool:
    sub = adj[members][:, members]
    return connected_components(sub, directed=False)[0] == 1


def _hess_cost(
    part: np.ndarray, xy: np.ndarray, w: np.ndarray, centres: np.ndarray | None
) -> float:
    """Σ households × squared distance to the best centre of each part (among ``centres``
    inside it, or any of its blocks)."""
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    total = 0.0
    for j in np.unique(part):
        members = np.flatnonzero(part == j)
        cands = members if centres is None else np.intersect1d(members, centres)
        total += float((w[members] @ d2[np.ix_(members, cands)]).min())
    return total


def _enumerate(
    xy: np.ndarray,
    w: np.ndarray,
    adj: sp.csr_array,
    *,
    k: int,
    band: tuple[float, float],
    anchors: np.ndarray | None = None,
) -> float:
    """The optimum over every labelling of the blocks into k parts (brute force)."""
    n = w.size
    best = np.inf
    for labels in itertools.product(range(k), repeat=n - 1):
        part = np.array((0, *labels))  # block 0 in part 0: halves the symmetric copies
        if np.unique(part).size != k:
            continue
        loads = np.bincount(part, weights=w, minlength=k)
        if (loads < band[0]).any() or (loads > band[1]).any():
            continue
        if anchors is not None and any(
            not np.isin(anchors, np.flatnonzero(part == j)).any() for j in range(k)
        ):
            continue
        if not all(_contiguous(adj, np.flatnonzero(part == j)) for j in range(k)):
            continue
        best = min(best, _hess_cost(part, xy, w, anchors))
    return best


@pytest.mark.parametrize(
    ("nx", "ny", "k", "seed"),
    [(4, 2, 2, 0), (3, 3, 2, 1), (3, 3, 3, 2), (4, 2, 3, 3), (2, 4, 2, 4), (3, 3, 3, 5)],
)
def test_split_matches_enumerated_optimum(nx: int, ny: int, k: int, seed: int) -> None:
    xy, adj = _grid(nx, ny)
    rng = np.random.default_rng(seed)
    w = rng.integers(200, 900, size=nx * ny).astype(float)
    band = (0.7 * w.sum() / k, 1.3 * w.sum() / k)
    optimum = _enumerate(xy, w, adj, k=k, band=band)
    assert np.isfinite(optimum)
    split = split_blocks(xy, w, adj, parts=k, band=band)
    assert split.ok, split.reasons
    loads = np.bincount(split.part, weights=w, minlength=k)
    assert (loads >= band[0] - 1e-9).all() and (loads <= band[1] + 1e-9).all()
    assert all(_contiguous(adj, np.flatnonzero(split.part == j)) for j in range(k))
    assert _hess_cost(split.part, xy, w, None) == pytest.approx(optimum, rel=1e-9)
    assert split.cost == pytest.approx(optimum, rel=1e-9)
    assert split.gap == pytest.approx(0.0, abs=1e-6)


def test_equal_blocks_split_into_halves() -> None:
    """Six equal blocks in a row, two parts of 1,000–2,000 households (2 to 4 blocks): by
    hand, halves cost 2 × 500 × (100² + 100²) = 2e7 m², a 2 + 4 split 3.5e7, so halves."""
    xy, adj = _grid(6, 1)
    split = split_blocks(xy, np.full(6, 500.0), adj, parts=2, band=(1000, 2000))
    assert np.unique(split.part[:3]).size == 1 and np.unique(split.part[3:]).size == 1
    assert split.part[0] != split.part[5]
    assert split.cost == pytest.approx(2e7)


def test_anchor_split_matches_enumeration() -> None:
    xy, adj = _grid(3, 3)
    w = np.array([400, 300, 500, 600, 200, 300, 700, 400, 500], dtype=float)
    anchors = np.array([0, 2, 8])
    band = (1000.0, 2000.0)
    optimum = _enumerate(xy, w, adj, k=3, band=band, anchors=anchors)
    split = split_blocks(xy, w, adj, parts=3, band=band, anchors=anchors)
    assert split.ok, split.reasons
    for j in range(3):
        assert np.isin(anchors, np.flatnonzero(split.part == j)).any()
    assert split.cost == pytest.approx(optimum, rel=1e-9)


def test_iterative_centres_stay_feasible_and_near_enumeration() -> None:
    """Too many centre sets to try them all: the medoid descent still meets band and
    contiguity and costs no less than the optimum."""
    xy, adj = _grid(3, 3)
    w = np.random.default_rng(7).integers(200, 900, size=9).astype(float)
    band = (0.6 * w.sum() / 3, 1.4 * w.sum() / 3)
    optimum = _enumerate(xy, w, adj, k=3, band=band)
    split = split_blocks(xy, w, adj, parts=3, band=band, exhaustive_max=0)
    assert split.ok, split.reasons
    assert split.solves >= 1
    assert _hess_cost(split.part, xy, w, None) >= optimum - 1e-6


@pytest.mark.parametrize(
    ("households", "parts", "anchors", "needle"),
    [
        ([500.0] * 8, 5, None, "cannot make 5 parts"),
        ([500.0] * 7 + [3500.0], 2, None, "blocks above 3000 households"),
        ([500.0] * 8, 2, np.array([3]), "only 1 blocks hold an anchor"),
    ],
)
def test_infeasibility_named_before_solving(
    households: list[float], parts: int, anchors: np.ndarray | None, needle: str
) -> None:
    xy, adj = _grid(4, 2)
    split = split_blocks(xy, np.array(households), adj, parts=parts, anchors=anchors)
    assert not split.ok
    assert split.plan is None and (split.part == -1).all()
    assert any(needle in r for r in split.reasons), split.reasons
    assert all(" / " in r for r in split.reasons)  # English / Chinese


def test_separate_pieces_named() -> None:
    xy, _ = _grid(4, 1)
    adj = sp.csr_array(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], bool))
    adj2 = sp.csr_array(np.zeros((4, 4), dtype=bool))
    assert split_blocks(xy, np.full(4, 600.0), adj, parts=2, band=(1000, 3000)).ok
    split = split_blocks(xy, np.full(4, 600.0), adj2, parts=2, band=(1000, 3000))
    assert any("separate pieces" in r for r in split.reasons)


def test_band_unmeetable_by_block_structure_is_named() -> None:
    """Three blocks in a row, 2,900 / 200 / 2,900 households, two parts of 1,000–3,000:
    the middle block makes either side 3,100, so no contiguous split meets the band."""
    xy, adj = _grid(3, 1)
    split = split_blocks(xy, np.array([2900.0, 200.0, 2900.0]), adj, parts=2)
    assert not split.ok
    assert any("outside the household band" in r for r in split.reasons), split.reasons
    assert split.plan is not None  # the best-effort plan is kept to show
