"""The thin adapter from unit and station GeoDataFrames to a :class:`ZoneProblem`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray

from geo._errors import AnalysisError, CRSMismatchError, EmptyInputError
from geo.costs import CostMatrix, Mode
from geo.distance import cost_matrix_xy
from geo.network import Network
from geo.projection import measuring_crs
from geo.zones._hosts import unit_hosts
from geo.zones.adjacency import Contiguity, adjacency_edges, unit_adjacency
from geo.zones.problem import Band, OrphanStreets, ZoneProblem, band_limits

__all__ = ["knearest_costs", "problem_from_frames"]


def knearest_costs(
    unit_xy: NDArray[np.float64],
    station_xy: NDArray[np.float64],
    *,
    k: int = 16,
    unit_group: NDArray[np.intp] | None = None,
    station_group: NDArray[np.intp] | None = None,
    network: Network | None = None,
    cutoff_m: float = np.inf,
    demand_ids: NDArray[np.object_] | None = None,
    facility_ids: NDArray[np.object_] | None = None,
) -> CostMatrix:
    """Distances from every unit to its ``k`` nearest stations and (when groups are given) to
    its ``k`` nearest stations of the same group (street), by
    :func:`geo.distance.cost_matrix_xy` (walking on ``network`` if given, else straight line).

    Returns
    -------
    CostMatrix
        Absent pairs are "not among the nearest" (or beyond ``cutoff_m``).
    """
    n, m = len(unit_xy), len(station_xy)
    mode: Mode = "euclidean" if network is None else "network"

    def pairs(units: NDArray[np.intp], stations: NDArray[np.intp]) -> sp.coo_array:
        cm = cost_matrix_xy(
            unit_xy[units],
            station_xy[stations],
            network=network,
            mode=mode,
            cutoff_m=cutoff_m,
            k=k,
        )
        coo = sp.coo_array(cm.matrix)
        return sp.coo_array((coo.data, (units[coo.row], stations[coo.col])), shape=(n, m))

    parts = [pairs(np.arange(n), np.arange(m))]
    if unit_group is not None and station_group is not None:
        for g in np.unique(station_group):
            su, ss = np.flatnonzero(unit_group == g), np.flatnonzero(station_group == g)
            if su.size:
                parts.append(pairs(su, ss))
    rows = np.concatenate([p.row for p in parts]).astype(np.int64)
    cols = np.concatenate([p.col for p in parts]).astype(np.int64)
    data = np.concatenate([p.data for p in parts])
    key, first = np.unique(rows * m + cols, return_index=True)
    matrix = sp.csr_array((data[first], (key // m, key % m)), shape=(n, m))
    matrix.sort_indices()
    return CostMatrix(
        matrix,
        np.arange(n).astype(object) if demand_ids is None else demand_ids,
        np.arange(m).astype(object) if facility_ids is None else facility_ids,
        float(cutoff_m),
        mode,
    )


def _ids(frame: gpd.GeoDataFrame, column: str | None, what: str) -> NDArray[np.object_]:
    if column is None:
        ids = frame.index.to_numpy(dtype=object)
    elif column in frame.columns:
        ids = frame[column].to_numpy(dtype=object)
    else:
        raise AnalysisError(f"{what} have no column {column!r} / {what} 缺少字段 {column!r}")
    if pd.Index(ids).has_duplicates:
        raise AnalysisError(f"{what} ids are not unique / {what} 编号不唯一")
    return ids


def _homes(units: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> NDArray[np.intp]:
    geoms = units.geometry.values
    pts = stations.geometry.values
    tree = shapely.STRtree(geoms)
    home = np.full(len(pts), -1, dtype=np.intp)
    if set(shapely.get_type_id(geoms)) <= {3, 6}:
        si, ui = tree.query(pts, predicate="intersects")
        order = np.lexsort((ui, si))
        first = np.unique(si[order], return_index=True)[1]
        home[si[order][first]] = ui[order][first]
    rest = np.flatnonzero(home < 0)
    if rest.size:
        si, ui = tree.query_nearest(pts[rest], all_matches=False)
        home[rest[si]] = ui
    return home


def _aligned(costs: CostMatrix, uid: NDArray[np.object_], sid: NDArray[np.object_]) -> CostMatrix:
    r = pd.Index(costs.demand_ids).get_indexer(pd.Index(uid))
    c = pd.Index(costs.facility_ids).get_indexer(pd.Index(sid))
    if (r < 0).any() or (c < 0).any() or len(r) != costs.shape[0] or len(c) != costs.shape[1]:
        raise AnalysisError("cost matrix ids do not match the frames / 成本矩阵编号与图层不符")
    if (r == np.arange(r.size)).all() and (c == np.arange(c.size)).all():
        return costs
    matrix = sp.csr_array(costs.matrix[r][:, c])
    matrix.sort_indices()
    return CostMatrix(matrix, uid, sid, costs.cutoff_m, costs.mode)


def problem_from_frames(
    units: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    workload: str = "basic_recipients",
    capacity: str = "capacity_persons",
    street: str | None = "street_code",
    unit_id: str | None = "code",
    station_id: str | None = "station_id",
    costs: CostMatrix | None = None,
    network: Network | None = None,
    cutoff_m: float = np.inf,
    k: int = 16,
    contiguity: Contiguity = "rook",
    tolerance_m: float = 0.0,
    max_edge_m: float | None = None,
    locks: Mapping[Hashable, Hashable] | None = None,
    band: Band = 0.15,
    allow_cross_street: bool = False,
    cross_penalty_m: float = 500.0,
    orphan_streets: OrphanStreets = "adjacent",
) -> ZoneProblem:
    """Build a :class:`ZoneProblem` from demand units and stations.

    Parameters
    ----------
    units
        Communities, blocks (polygons) or points, with a workload column and (optionally) a
        street column.
    stations
        Station points with a capacity column; same CRS as ``units``.
    workload, capacity, street, unit_id, station_id
        Column names (``unit_id``/``station_id`` ``None``: use the index; ``street``
        ``None``: one street).
    costs
        Distances to use as they are (rows and columns matched by id).
    network, cutoff_m, k
        Without ``costs``: distances from each unit's centroid to its ``k`` nearest stations
        and the ``k`` nearest of its street (of its host street for a street with no
        station; :func:`knearest_costs`), walking on ``network`` if given (within
        ``cutoff_m``), else straight line.
    contiguity, tolerance_m, max_edge_m
        Adjacency options (:func:`geo.zones.adjacency.unit_adjacency`).
    locks, band, allow_cross_street, cross_penalty_m, orphan_streets
        As in :meth:`ZoneProblem.from_cost_matrix`.

    Returns
    -------
    ZoneProblem
        With unit and station geometries (projected) kept for drawing.
    """
    if len(units) == 0 or len(stations) == 0:
        raise EmptyInputError("no units or no stations / 没有单元或没有驿站")
    if units.crs is None or stations.crs is None or units.crs != stations.crs:
        raise CRSMismatchError("units and stations need one CRS / 单元与驿站坐标系须一致")
    crs = measuring_crs(units)
    u, s = units.to_crs(crs), stations.to_crs(crs)
    uid, sid = _ids(u, unit_id, "units"), _ids(s, station_id, "stations")
    uxy = shapely.get_coordinates(shapely.centroid(u.geometry.values))
    sxy = shapely.get_coordinates(shapely.centroid(s.geometry.values))
    home = _homes(u, s)
    labels = None if street is None else u[street].to_numpy(dtype=object)
    w = u[workload].to_numpy(dtype=float)
    cap = s[capacity].to_numpy(dtype=float)
    adjacency = unit_adjacency(
        u, contiguity=contiguity, tolerance_m=tolerance_m, max_edge_m=max_edge_m
    )
    if costs is None:
        upper = cap * (1 + band_limits(band)[1])
        group = _street_groups(labels, home, adjacency, w, upper, orphan_streets=orphan_streets)
        costs = knearest_costs(
            uxy, sxy, k=k, network=network, cutoff_m=cutoff_m, unit_group=group,
            station_group=None if group is None else group[home], demand_ids=uid,
            facility_ids=sid,
        )  # fmt: skip
    else:
        costs = _aligned(costs, uid, sid)
    return ZoneProblem.from_cost_matrix(
        costs, workload=w, capacity=cap, adjacency=adjacency, street=labels, locks=locks,
        band=band, allow_cross_street=allow_cross_street, cross_penalty_m=cross_penalty_m,
        homes=uid[home], unit_xy=uxy, station_xy=sxy,
        unit_geometry=gpd.GeoSeries(u.geometry.values, crs=crs),
        station_geometry=gpd.GeoSeries(s.geometry.values, crs=crs),
        orphan_streets=orphan_streets,
    )  # fmt: skip


def _street_groups(
    labels: NDArray[np.object_] | None,
    home: NDArray[np.intp],
    adjacency: sp.csr_array,
    workload: NDArray[np.float64],
    upper: NDArray[np.float64],
    *,
    orphan_streets: OrphanStreets,
) -> NDArray[np.intp] | None:
    """The group of each unit whose nearest stations are also looked for among the group's
    own: its street, or (a street with no station) its host street (:func:`_host_groups`);
    ``None`` without streets. ``upper`` is each station's largest workload."""
    if labels is None:
        return None
    if orphan_streets == "refuse":
        return pd.factorize(pd.Series(labels), sort=True)[0].astype(np.intp)
    return _host_groups(labels, home, adjacency, workload, upper)


def _host_groups(
    labels: NDArray[np.object_],
    home: NDArray[np.intp],
    adjacency: sp.csr_array,
    workload: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> NDArray[np.intp]:
    """Street code of every unit, its host street's for units of streets with no station
    (the same rule as :attr:`ZoneProblem.unit_host`), ``-1`` without a host: the groups
    whose nearest stations the cost matrix must hold."""
    code = pd.factorize(pd.Series(labels), sort=True)[0].astype(np.intp)
    return unit_hosts(
        code,
        code[home],
        adjacency_edges(sp.csr_array(adjacency, dtype=bool)),
        workload=workload,
        upper=upper,
        n_streets=int(code.max()) + 1,
    )
