"""Tasks of the partitioned coverage run: what a district's task is sent, the task itself,
where the districts' inputs come from, and putting the answers back together (see
:mod:`geo.distributed.coverage`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from geo.costs import Mode
from geo.distance import Nearest, nearest_xy
from geo.distributed.pieces import (
    Piece,
    PieceInputs,
    PieceSource,
    cut_pieces,
    load_piece,
    write_pieces,
)
from geo.network.graph import Network
from geo.network.search import nearest_search
from geo.snap import snap_points

__all__ = [
    "Partition",
    "Task",
    "district_inputs",
    "far_reachable",
    "gather",
    "pieces_directory",
    "run_task",
]


@dataclass(frozen=True)
class Partition:
    """One district's share of the work, as the driver keeps it.

    Attributes
    ----------
    district
        The partition key (the district code).
    points
        Positions of its demand points in the whole run.
    facilities
        Positions of the facilities it is given, ascending.
    owned
        Which of them the partition reports on (every facility is owned by the first
        partition whose piece holds every street it could snap to; see
        :mod:`geo.distributed.coverage`).
    """

    district: str
    points: NDArray[np.int64]
    facilities: NDArray[np.int64]
    owned: NDArray[np.bool_]


@dataclass(frozen=True)
class Task:
    """What a task is sent: where its district's input is (a :class:`PieceSource` to read,
    or the input itself), its facilities' coordinates, how to measure, and whether to keep
    a read piece in memory for the next run (on a worker)."""

    piece: PieceSource | Piece
    facility_xy: NDArray[np.float64]
    measure: tuple[Mode, float, float, bool]
    keep: bool


def _no_facility(piece: Piece, n_facilities: int, max_snap_m: float) -> Nearest:
    """The answer of a partition with no facility or no street: only who snaps."""
    network, n = piece.network, len(piece.xy)
    fac_ok = np.full(n_facilities, network is None, dtype=bool)
    if network is None:
        reach, snap = np.ones(n, dtype=bool), np.zeros(n)
    elif network.n_edges == 0:
        reach, snap = np.zeros(n, dtype=bool), np.full(n, np.inf)
    else:
        snapped = piece.snapped(max_snap_m)
        reach, snap = snapped.ok, snapped.snap_m
    none = np.full(n, -1, dtype=np.int64)
    return Nearest(none, np.full(n, np.inf), reach, snap, fac_ok)


def run_task(task: Task) -> Nearest:
    """One task: the nearest facility (the task's own numbering) of the district's points
    on its piece, and which of its facilities snap (the points snapped once per piece)."""
    piece = task.piece
    if not isinstance(piece, Piece):
        piece = load_piece(piece, keep=task.keep)
    network, xy = piece.network, piece.xy
    mode, cutoff_m, max_snap_m, add_access = task.measure
    if len(task.facility_xy) == 0 or (network is not None and network.n_edges == 0):
        return _no_facility(piece, len(task.facility_xy), max_snap_m)
    if network is None:
        return nearest_xy(xy, task.facility_xy, mode=mode, cutoff_m=cutoff_m)
    found = nearest_search(
        network,
        xy,
        task.facility_xy,
        cutoff_m=cutoff_m,
        max_snap_m=max_snap_m,
        add_access=add_access,
        demand=piece.snapped(max_snap_m),
    )
    return Nearest(**vars(found))


def gather(
    n_points: int, n_facilities: int, parts: Sequence[Partition], results: Sequence[Nearest]
) -> Nearest:
    """The per-point answers of every partition, back in the whole run's order and
    numbering; every facility's reachability from the partition that owns it."""
    facility = np.full(n_points, -1, dtype=np.int64)
    distance = np.full(n_points, np.inf)
    reachable = np.zeros(n_points, dtype=bool)
    snap = np.full(n_points, np.inf)
    fac_ok = np.zeros(n_facilities, dtype=bool)
    for part, found in zip(parts, results, strict=True):
        pos, local = part.points, found.facility
        if len(part.facilities):
            facility[pos] = np.where(local >= 0, part.facilities[np.maximum(local, 0)], -1)
        distance[pos], reachable[pos], snap[pos] = found.distance_m, found.reachable, found.snap_m
        fac_ok[part.facilities[part.owned]] = found.facility_reachable[part.owned]
    return Nearest(facility, distance, reachable, snap, fac_ok)


def far_reachable(
    found: Nearest,
    fac_xy: NDArray[np.float64],
    owner: NDArray[np.intp],
    network: Network | None,
    max_snap_m: float,
) -> None:
    """Whether the facilities no partition owns (``owner`` -1) snap, found on the whole
    network (in place; every facility counts as reachable in Euclidean mode)."""
    far = np.flatnonzero(owner < 0)
    if not far.size:
        return
    if network is None:
        found.facility_reachable[far] = True
    else:
        found.facility_reachable[far] = snap_points(fac_xy[far], network, max_snap_m=max_snap_m).ok


@contextmanager
def pieces_directory(
    pieces_dir: str | os.PathLike[str] | None, scheduler: Any, network: Network | None
) -> Iterator[Path | None]:
    """Where the run writes its districts' pieces: ``pieces_dir``, else a temporary
    directory for a ``"local"`` cluster (removed after the run), else nowhere (``None``:
    the pieces travel with the tasks; always in Euclidean mode, which has none)."""
    if network is None:
        yield None
    elif pieces_dir is not None:
        yield Path(pieces_dir)
    elif scheduler == "local":
        with tempfile.TemporaryDirectory(prefix="mzgis-pieces-") as tmp:
            yield Path(tmp)
    else:
        yield None


def district_inputs(
    network: Network | None,
    xy: NDArray[np.float64],
    which: NDArray[np.intp],
    districts: NDArray[Any],
    *,
    reach_m: float,
    directory: Path | None,
    store: str | None = None,
) -> dict[str, PieceSource | Piece]:
    """Every district's input by label: its files in ``directory`` (written once, see
    :func:`geo.distributed.pieces.write_pieces`), its artifacts in the store at ``store``
    (:func:`geo.distributed.stored.store_pieces`), or the piece and points themselves."""
    inputs = None if network is None else PieceInputs(network, xy, which, districts, reach_m)
    if inputs is not None and store is not None:
        from geo.distributed.stored import store_pieces

        return dict(store_pieces(store, inputs))
    if inputs is not None and directory is not None:
        return dict(write_pieces(directory, inputs).refs)
    nets = cut_pieces(inputs) if inputs is not None else [None] * len(districts)
    return {
        str(name): Piece(net, xy[which == d])
        for d, (name, net) in enumerate(zip(districts, nets, strict=True))
    }
