"""Districts' inputs on disk: each district's piece of network and demand points, written
once to a shared directory and read by key on the workers.

A partitioned coverage run on a cluster used to pickle every district's piece of network
to the workers on every run (about 18 MB a district, 290 MB for a 16-district province).
Instead :func:`write_pieces` writes them once, under a sub-directory named by the content
key of what they are cut from (:class:`PieceInputs`: the network, the demand points and
their districts, the reach): ``<directory>/<key>/manifest.json`` and two files a district,
``NNN.network.npz`` (the piece, as :func:`geo.network.io.save_network` writes a network)
and ``NNN.xy.npy`` (its demand points). A later run on the same inputs finds the key and
writes nothing; a run on changed inputs writes a new key beside it (the oldest keys beyond
``keep`` are removed). A task is sent only a :class:`PieceRef` (two paths) and reads the
files itself; on a Dask worker the piece read stays in memory for the next run (with its
snap index and its points snapped to it; at most 32 pieces a worker), keyed by the path,
which names immutable content.

Why files: a piece is a set of arrays (CSR graph, segment polylines) that a worker needs
whole. An uncompressed ``.npz`` of 18 MB loads in 7-30 ms on the shared machine (about
what pickling and unpickling it costs, without sending it through the scheduler's
connection), and once per worker as pieces are kept; memory-mapping would save at most
that. The directory must be visible to the workers at the same path (any local cluster; a
shared file system for a remote one). Workers without one read the same pieces from a
store (:mod:`geo.distributed.stored`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.distributed.clip import EdgeIndex, clip_network
from geo.network.graph import Network
from geo.network.io import load_network, save_network
from geo.snap import Snapped, snap_points

__all__ = [
    "Piece",
    "PieceInputs",
    "PieceRef",
    "PieceSet",
    "PieceSource",
    "content_key",
    "cut_pieces",
    "district_bounds",
    "load_piece",
    "write_pieces",
]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: the directories :func:`write_pieces` makes: a key, or a key being written
_NAME = re.compile(r"[0-9a-f]{32}(\.tmp-[0-9]+)?")


@dataclass(frozen=True)
class PieceRef:
    """Where a task finds its district's input: the piece of network and the points."""

    network_path: str
    xy_path: str

    def read(self) -> Piece:
        """The piece and its points, from the files."""
        try:
            xy = np.load(self.xy_path, allow_pickle=False)
        except OSError as exc:
            msg = (
                f"cannot read the district's points at {self.xy_path} ({exc}): the pieces "
                f"directory must be visible to the workers / "
                f"无法读取区县需求点文件，分区目录须对工作进程可见"
            )
            raise AnalysisError(msg) from exc
        return Piece(load_network(self.network_path), xy)


@dataclass(frozen=True)
class PieceSet:
    """The pieces of one run's districts on disk.

    Attributes
    ----------
    directory
        The key's directory.
    refs
        District label → its files.
    written
        Whether this call wrote them (False: found from an earlier run).
    seconds
        Time spent finding or writing them.
    """

    directory: Path
    refs: dict[str, PieceRef]
    written: bool
    seconds: float


@dataclass(frozen=True, eq=False)
class PieceInputs:
    """What every district's piece is cut from.

    Attributes
    ----------
    network
        The whole network.
    xy, which, districts
        Demand point coordinates and the district of each (``districts[which]``).
    reach_m
        Streets whose bounding box comes within this distance of a district's points'
        bounding box are in its piece (the margin plus the snapping limit).
    """

    network: Network
    xy: NDArray[np.float64]
    which: NDArray[np.intp]
    districts: NDArray[Any]
    reach_m: float

    def points(self, district: int) -> NDArray[np.float64]:
        """The demand points of the district at position ``district``."""
        return np.ascontiguousarray(self.xy[self.which == district])


def _network_key(network: Network) -> str:
    """A content hash of the network (kept with the network object: computed once)."""
    cached = network._cache.get("content_key")
    if cached is None:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(network.crs.encode())
        for f in fields(network):
            array = getattr(network, f.name)
            if isinstance(array, np.ndarray):  # every array a network file holds
                array = np.ascontiguousarray(array)
                digest.update(f"{f.name}:{array.dtype.str}:{array.shape}".encode())
                digest.update(array.data)
        cached = network._cache["content_key"] = digest.hexdigest()
    return str(cached)


def content_key(inputs: PieceInputs) -> str:
    """The key of the pieces cut from ``inputs``: their network, points, districts and
    reach."""
    digest = hashlib.blake2b(digest_size=16)
    key = f"v{FORMAT_VERSION}:{_network_key(inputs.network)}:{float(inputs.reach_m)!r}"
    digest.update(key.encode())
    digest.update(np.ascontiguousarray(inputs.xy, dtype=np.float64).data)
    digest.update(np.ascontiguousarray(inputs.which, dtype=np.int64).data)
    digest.update("\0".join(str(d) for d in inputs.districts).encode())
    return digest.hexdigest()


def district_bounds(
    xy: NDArray[np.float64], which: NDArray[np.intp], n_districts: int
) -> NDArray[np.float64]:
    """(n_districts, 4) bounding box (xmin, ymin, xmax, ymax) of every district's points."""
    out = np.empty((n_districts, 4))
    for col, (func, axis) in enumerate(
        ((np.minimum, 0), (np.minimum, 1), (np.maximum, 0), (np.maximum, 1))
    ):
        init = np.inf if func is np.minimum else -np.inf
        out[:, col] = init
        func.at(out[:, col], which, xy[:, axis])
    return out


def cut_pieces(inputs: PieceInputs) -> Iterator[Network]:
    """Every district's piece of the network, in district order: the streets whose
    bounding box comes within ``reach_m`` of the bounding box of the district's points."""
    network = inputs.network
    index = EdgeIndex(network)
    for box in district_bounds(inputs.xy, inputs.which, len(inputs.districts)):
        x0, y0, x1, y1 = (float(v) for v in box)
        yield clip_network(network, index.near((x0, y0, x1, y1), inputs.reach_m))


def _refs(directory: Path, files: dict[str, dict[str, str]]) -> dict[str, PieceRef]:
    return {
        name: PieceRef(str(directory / f["network"]), str(directory / f["xy"]))
        for name, f in files.items()
    }


def _prune(root: Path, keep: int) -> None:
    """Remove the oldest key directories beyond ``keep`` and unfinished writes over an
    hour old: only directories this module names (a key, or a key and ``.tmp-PID``)."""
    mine = [p for p in root.iterdir() if p.is_dir() and _NAME.fullmatch(p.name)]
    done = [p for p in mine if "." not in p.name and (p / MANIFEST).is_file()]
    done.sort(key=lambda p: (p / MANIFEST).stat().st_mtime, reverse=True)
    hour_ago = time.time() - 3600
    stale = [p for p in mine if "." in p.name and p.stat().st_mtime < hour_ago]
    for old in done[keep:] + stale:
        shutil.rmtree(old, ignore_errors=True)


def write_pieces(
    directory: str | os.PathLike[str], inputs: PieceInputs, *, keep: int = 2
) -> PieceSet:
    """Write (or find, when written before) every district's piece of network and points.

    Parameters
    ----------
    directory
        The shared directory (created if missing); each key gets a sub-directory.
    inputs
        What the pieces are cut from (:class:`PieceInputs`).
    keep
        How many keys to keep in ``directory`` (the newest; at least this call's).

    Returns
    -------
    PieceSet
        The files of every district.
    """
    t0 = time.perf_counter()
    root = Path(directory)
    key = content_key(inputs)
    try:
        root.mkdir(parents=True, exist_ok=True)
        written, files = _find_or_write(root / key, inputs)
    except OSError as exc:
        msg = f"cannot write the district pieces in {root} ({exc}) / 无法在 {root} 写入区县分片"
        raise AnalysisError(msg) from exc
    if written:
        _prune(root, max(int(keep), 1))
    target = root / key
    return PieceSet(target, _refs(target, files), written, time.perf_counter() - t0)


def _find_or_write(target: Path, inputs: PieceInputs) -> tuple[bool, dict[str, dict[str, str]]]:
    """Whether the pieces of key directory ``target`` were written now, and their
    manifest's file names."""
    key = target.name
    manifest = target / MANIFEST
    if manifest.is_file():
        os.utime(manifest)
        return False, json.loads(manifest.read_text(encoding="utf-8"))["districts"]
    tmp = target.with_name(f"{key}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    files = {}
    for d, (name, piece) in enumerate(zip(inputs.districts, cut_pieces(inputs), strict=True)):
        stem = f"{d:03d}"
        save_network(piece, tmp / f"{stem}.network.npz")
        np.save(tmp / f"{stem}.xy.npy", inputs.points(d))
        files[str(name)] = {"network": f"{stem}.network.npz", "xy": f"{stem}.xy.npy"}
    body = {
        "format_version": FORMAT_VERSION, "key": key, "reach_m": inputs.reach_m,
        "districts": files,
    }  # fmt: skip
    (tmp / MANIFEST).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    try:
        tmp.rename(target)
    except OSError:  # another run wrote the same key meanwhile: theirs is identical
        shutil.rmtree(tmp, ignore_errors=True)
    return True, files


@dataclass(frozen=True)
class Piece:
    """A district's input in memory: its piece of network (None in Euclidean mode) and
    its demand points, and the points snapped to the piece (kept by snapping limit: the
    same on every run of a kept piece)."""

    network: Network | None
    xy: NDArray[np.float64]
    _snapped: dict[float, Snapped] = field(default_factory=dict, repr=False, compare=False)

    def snapped(self, max_snap_m: float) -> Snapped:
        """The points snapped to the piece within ``max_snap_m`` (computed once)."""
        assert self.network is not None
        if max_snap_m not in self._snapped:
            self._snapped[max_snap_m] = snap_points(self.xy, self.network, max_snap_m=max_snap_m)
        return self._snapped[max_snap_m]


class PieceSource(Protocol):
    """Anything a task can read its district's piece from (hashable: kept pieces are
    found by it): :class:`PieceRef` (files),
    :class:`geo.distributed.stored.StoredPieceRef` (a store's artifacts)."""

    def __hash__(self) -> int: ...

    def read(self) -> Piece:
        """The piece and its points."""
        ...


@lru_cache(maxsize=32)
def _read_kept(ref: PieceSource) -> Piece:
    return ref.read()


def load_piece(ref: PieceSource, *, keep: bool = False) -> Piece:
    """A district's piece of network and its points; with ``keep``, kept in memory for
    the next call with the same reference, with what was computed on it (a worker's
    cache; what a reference names never changes)."""
    return _read_kept(ref) if keep else ref.read()
