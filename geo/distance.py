"""Distances from demand points to facilities, on the walking network or straight line.

Two questions, each in two modes (``"network"``: walking along the network;
``"euclidean"``: straight line in a projected CRS):

- :func:`nearest_facility`: the nearest facility of every demand point and its distance
  (one multi-source Dijkstra, bounded by ``cutoff_m``);
- :func:`cost_matrix`: every facility (or the ``k`` nearest) within ``cutoff_m`` of every
  demand point, as a :class:`~geo.costs.CostMatrix` (the input of siting and zones).

Network distances are exact for points anywhere on a segment: demand and facility points
snap to their nearest segment (see :mod:`geo.snap`), facilities become virtual nodes (see
:mod:`geo.network.augment`), and each distance includes both access legs (the straight
snap distances) unless ``add_access=False``. A point beyond ``max_snap_m`` from the
network is unreachable: no distance, never a false zero. All numerics are vectorised
(``scipy.sparse.csgraph.dijkstra``, ``scipy.spatial.cKDTree``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo._errors import AnalysisError, EmptyInputError
from geo.costs import CostMatrix, Mode
from geo.network.graph import Network
from geo.network.search import (
    NearestArrays,
    Pairs,
    nearest_search,
    node_search,
    pair_search,
)
from geo.projection import measuring_crs, points_xy
from geo.snap import DEFAULT_MAX_SNAP_M

__all__ = [
    "Nearest",
    "cost_matrix",
    "cost_matrix_xy",
    "nearest_facility",
    "nearest_xy",
    "node_distances",
]


@dataclass(frozen=True)
class Nearest(NearestArrays):
    """The nearest facility of every demand point (arrays, one entry per point).

    Attributes
    ----------
    facility
        Position of the nearest facility, ``-1`` if none within the cutoff or unreachable.
    distance_m
        Its distance, ``inf`` if none.
    reachable
        False where the demand point is beyond ``max_snap_m`` from the network.
    snap_m
        The demand point's access leg (0 in Euclidean mode, ``inf`` if unreachable).
    facility_reachable
        Per facility: False where it is beyond ``max_snap_m`` from the network.
    """

    def to_frame(self, facility_ids: NDArray[Any] | None = None) -> pd.DataFrame:
        """A frame with ``facility_id``, ``distance_m`` (NaN if none), ``reachable``,
        ``snap_m``."""
        ids = np.arange(len(self.facility_reachable)) if facility_ids is None else facility_ids
        found = self.facility >= 0
        fid = np.full(len(found), None, dtype=object)
        fid[found] = np.asarray(ids, dtype=object)[self.facility[found]]
        return pd.DataFrame(
            {
                "facility_id": fid,
                "distance_m": np.where(found, self.distance_m, np.nan),
                "reachable": self.reachable,
                "snap_m": np.where(self.reachable, self.snap_m, np.nan),
            }
        )


def _working_crs(network: Network | None, frame: gpd.GeoDataFrame) -> object:
    return network.pyproj_crs if network is not None else measuring_crs(frame)


def _check_mode(mode: str, network: Network | None) -> None:
    if mode not in ("network", "euclidean"):
        msg = f"unknown mode {mode!r}: use 'network' or 'euclidean' / 未知的距离模式"
        raise AnalysisError(msg)
    if mode == "network" and network is None:
        raise AnalysisError("network mode needs a network / 路网模式需要路网")


def nearest_xy(
    demand_xy: NDArray[np.float64],
    facility_xy: NDArray[np.float64],
    *,
    network: Network | None = None,
    mode: Mode = "network",
    cutoff_m: float = np.inf,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    add_access: bool = True,
) -> Nearest:
    """:func:`nearest_facility` on coordinates already in a projected CRS (the network's
    in network mode)."""
    _check_mode(mode, network)
    demand_xy = np.asarray(demand_xy, dtype=np.float64).reshape(-1, 2)
    facility_xy = np.asarray(facility_xy, dtype=np.float64).reshape(-1, 2)
    if len(facility_xy) == 0:
        raise EmptyInputError("no facilities / 没有设施")
    if mode == "euclidean":
        d, j = cKDTree(facility_xy).query(demand_xy, distance_upper_bound=cutoff_m, workers=-1)
        found = np.isfinite(d)
        return Nearest(
            facility=np.where(found, j, -1).astype(np.int64),
            distance_m=np.asarray(d, dtype=np.float64),
            reachable=np.ones(len(demand_xy), dtype=bool),
            snap_m=np.zeros(len(demand_xy)),
            facility_reachable=np.ones(len(facility_xy), dtype=bool),
        )
    assert network is not None
    arrays = nearest_search(
        network,
        demand_xy,
        facility_xy,
        cutoff_m=cutoff_m,
        max_snap_m=max_snap_m,
        add_access=add_access,
    )
    return Nearest(**vars(arrays))


def nearest_facility(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    network: Network | None = None,
    mode: Mode = "network",
    cutoff_m: float = np.inf,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    facility_id: str | None = None,
    add_access: bool = True,
) -> pd.DataFrame:
    """The nearest facility of every demand point and its distance.

    Parameters
    ----------
    demand, facilities
        Point layers in any CRS (polygons use a point inside them).
    network
        The walking network (required in network mode; its CRS is used for measuring).
    mode
        ``"network"`` (walking) or ``"euclidean"`` (straight line).
    cutoff_m
        Facilities farther than this are ignored (also bounds the search).
    max_snap_m
        Points farther than this from the network are unreachable (network mode).
    facility_id
        Column of facility ids (default: the facilities' index).
    add_access
        Include the straight access legs to and from the network.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``demand``: ``facility_id`` (None if none), ``distance_m`` (NaN if
        none within the cutoff or unreachable), ``reachable``, ``snap_m``.
    """
    _check_mode(mode, network)
    crs = _working_crs(network, demand)
    res = nearest_xy(
        points_xy(demand, crs),
        points_xy(facilities, crs),
        network=network,
        mode=mode,
        cutoff_m=cutoff_m,
        max_snap_m=max_snap_m,
        add_access=add_access,
    )
    ids = (facilities[facility_id] if facility_id else facilities.index).to_numpy()
    return res.to_frame(ids).set_axis(demand.index)


def node_distances(
    network: Network,
    facility_xy: NDArray[np.float64],
    *,
    cutoff_m: float = np.inf,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    add_access: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Distance from every network node to its nearest facility, and which facility
    (``-1``/``inf`` beyond the cutoff). Facilities are coordinates in the network CRS."""
    return node_search(
        network,
        np.asarray(facility_xy, dtype=np.float64).reshape(-1, 2),
        cutoff_m=cutoff_m,
        max_snap_m=max_snap_m,
        add_access=add_access,
    )


def cost_matrix_xy(
    demand_xy: NDArray[np.float64],
    facility_xy: NDArray[np.float64],
    *,
    network: Network | None = None,
    mode: Mode = "network",
    cutoff_m: float = np.inf,
    k: int | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    add_access: bool = True,
    demand_ids: NDArray[Any] | None = None,
    facility_ids: NDArray[Any] | None = None,
) -> CostMatrix:
    """:func:`cost_matrix` on coordinates already in a projected CRS."""
    _check_mode(mode, network)
    if k is not None and k < 1:
        raise AnalysisError("k must be at least 1 / k 至少为 1")
    demand_xy = np.asarray(demand_xy, dtype=np.float64).reshape(-1, 2)
    facility_xy = np.asarray(facility_xy, dtype=np.float64).reshape(-1, 2)
    if mode == "euclidean":
        rows, cols, vals = _euclidean_pairs(demand_xy, facility_xy, cutoff_m, k)
    else:
        assert network is not None
        rows, cols, vals = pair_search(
            network,
            demand_xy,
            facility_xy,
            cutoff_m=cutoff_m,
            max_snap_m=max_snap_m,
            add_access=add_access,
        )
    if k is not None:
        rows, cols, vals = _k_smallest(rows, cols, vals, k)
    shape = (len(demand_xy), len(facility_xy))
    matrix = sp.csr_array((vals, (rows, cols)), shape=shape)
    matrix.sort_indices()
    return CostMatrix(
        matrix,
        np.asarray(np.arange(shape[0]) if demand_ids is None else demand_ids, dtype=object),
        np.asarray(np.arange(shape[1]) if facility_ids is None else facility_ids, dtype=object),
        float(cutoff_m),
        mode,
    )


def cost_matrix(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    network: Network | None = None,
    mode: Mode = "network",
    cutoff_m: float = np.inf,
    k: int | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    demand_id: str | None = None,
    facility_id: str | None = None,
    add_access: bool = True,
) -> CostMatrix:
    """Distances from every demand point to the facilities within ``cutoff_m``.

    Parameters
    ----------
    demand, facilities
        Point layers in any CRS (polygons use a point inside them).
    network, mode, cutoff_m, max_snap_m, add_access
        As :func:`nearest_facility`. In network mode a finite cutoff lets one bounded
        multi-source search serve many well-separated facilities at once
        (:mod:`geo.network.sweep`); without one, each facility gets its own search.
    k
        Keep only the ``k`` nearest facilities of each demand point (default: all within
        the cutoff).
    demand_id, facility_id
        Id columns (default: the frames' index).

    Returns
    -------
    CostMatrix
        Demand rows × facility columns, explicit entries (zeros included) for pairs
        within the cutoff; unreachable demand points have empty rows.
    """
    _check_mode(mode, network)
    crs = _working_crs(network, demand)
    return cost_matrix_xy(
        points_xy(demand, crs),
        points_xy(facilities, crs),
        network=network,
        mode=mode,
        cutoff_m=cutoff_m,
        k=k,
        max_snap_m=max_snap_m,
        add_access=add_access,
        demand_ids=(demand[demand_id] if demand_id else demand.index).to_numpy(),
        facility_ids=(facilities[facility_id] if facility_id else facilities.index).to_numpy(),
    )


def _euclidean_pairs(
    demand_xy: NDArray[np.float64], facility_xy: NDArray[np.float64], cutoff_m: float, k: int | None
) -> Pairs:
    if len(demand_xy) == 0 or len(facility_xy) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    tree = cKDTree(facility_xy)
    if k is not None:
        kk = min(k, len(facility_xy))
        d, j = tree.query(demand_xy, k=kk, distance_upper_bound=cutoff_m, workers=-1)
        d, j = d.reshape(len(demand_xy), kk), j.reshape(len(demand_xy), kk)
        rows, pos = np.nonzero(np.isfinite(d))
        return rows.astype(np.int64), j[rows, pos].astype(np.int64), d[rows, pos]
    reach = cutoff_m
    if not np.isfinite(reach):
        span = np.ptp(np.concatenate([demand_xy, facility_xy]), axis=0)
        reach = float(np.hypot(*span)) + 1.0
    pairs = cKDTree(demand_xy).sparse_distance_matrix(tree, reach, output_type="ndarray")
    keep = pairs["v"] <= cutoff_m
    return (
        pairs["i"][keep].astype(np.int64),
        pairs["j"][keep].astype(np.int64),
        pairs["v"][keep].astype(np.float64),
    )


def _k_smallest(
    rows: NDArray[np.int64], cols: NDArray[np.int64], vals: NDArray[np.float64], k: int
) -> Pairs:
    """Keep the ``k`` smallest entries of every row (ties broken by column)."""
    order = np.lexsort((cols, vals, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = rank < k
    return rows[keep], cols[keep], vals[keep]
