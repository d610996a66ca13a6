"""Coverage partitioned by district, run on Dask, equal to the single-process run.

The demand is split by district (the 6-digit prefix of its division codes, or a column
named by ``district_of``). Each partition gets its demand points, the streets within
``margin_m + max_snap_m`` of the bounding box of its points (its piece of network) and the
facilities within ``margin_m`` of its demand, plus those it owns: every facility is owned
by the first partition whose box grown by ``margin_m`` holds it, which reports whether it
snaps; a facility no box holds is out of every demand point's reach and is snapped on the
whole network by the driver. It finds every point's nearest facility on that piece of
network as one task. The pieces and points depend only on the network, the demand and the
margin, not on the facilities: on a cluster they are written once to a shared directory
and each task reads its district's by key (:mod:`geo.distributed.pieces`), so a task is
sent two paths and its facilities' coordinates, and a worker keeps what it read for the
next run. The driver puts the per-point answers back in order and builds an ordinary
:class:`~geo.coverage.CoverageResult`, so per-unit tables, roll-ups by community, street
and district, gaps and the summary are computed by the same code as a single run.

Why the answers are the same. Let ``R`` be the search distance (the service radius by
default) and ``S`` the snapping limit. A facility within walking distance ``R`` of a
demand point is within straight distance ``R`` of it (``R + 2S`` when access legs are not
counted), and every street on the way lies within ``R + S`` of it. A facility kept in a
partition snaps to the same segment as in the whole network, because every segment within
``S`` of it is kept (``margin_m + S``). So every path the whole run can find within ``R``
is in the piece with the same length, and the piece has no path the whole network lacks
(it is a subgraph). Covered flags, nearest facilities and roll-ups are equal; distances
agree to rounding (a few 1e-9 m on a province: positions along segments come from a
running sum over the network's pieces, whose rounding grows with the network's total
length). Equal-distance ties between two facilities may resolve to either.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import ConvexHull, QhullError

from geo._errors import AnalysisError, EmptyInputError
from geo.costs import Mode
from geo.coverage.core import facility_ids
from geo.coverage.demand import DEFAULT_POINTS_PER_POLYGON, demand_points
from geo.coverage.demand import level_groups as _level_groups
from geo.coverage.result import CoverageResult
from geo.coverage.standards import resolve_tiers
from geo.distance import _check_mode
from geo.distributed._coverage_tasks import (
    Partition,
    Task,
    district_inputs,
    far_reachable,
    gather,
    pieces_directory,
    run_task,
)
from geo.distributed.cluster import Scheduler, dask_client, run_tasks
from geo.distributed.pieces import district_bounds
from geo.network.graph import Network
from geo.projection import measuring_crs, points_xy
from geo.snap import DEFAULT_MAX_SNAP_M

__all__ = ["Partition", "coverage_by_district", "district_keys", "min_margin_m"]


def min_margin_m(cutoff_m: float, *, mode: Mode, max_snap_m: float, add_access: bool) -> float:
    """The smallest facility margin that keeps a partitioned run exact (see the module
    docstring): ``R``, or ``R + 2S`` in network mode without access legs."""
    if mode == "euclidean" or add_access:
        return float(cutoff_m)
    return float(cutoff_m + 2 * max_snap_m)


def district_keys(units: pd.DataFrame, *, district_of: str | None = None) -> NDArray[np.object_]:
    """The partition key of every demand unit: column ``district_of``, else its 6-digit
    district code (from ``district_code``, or the prefix of its street / community code)."""
    if district_of is not None:
        if district_of not in units.columns:
            msg = f"demand has no column {district_of!r} / 需求图层缺少列 {district_of!r}"
            raise AnalysisError(msg)
        return np.asarray(units[district_of].fillna("").astype(str).to_numpy(dtype=object))
    found = _level_groups(units)["district"]
    if found is None:
        msg = (
            "the demand layer has no district, street or community codes to partition by / "
            "需求图层没有可用于分区的区县、街道或社区代码"
        )
        raise AnalysisError(msg)
    which, distinct = found
    return np.asarray(distinct[which], dtype=object)


def _district_groups(
    units: pd.DataFrame, *, district_of: str | None
) -> tuple[NDArray[np.intp], NDArray[np.str_]]:
    """The district of every unit (a position in the sorted keys) and the keys as strings:
    what ``np.unique`` of :func:`district_keys` gives, from the one factorisation of the
    codes that finds the keys."""
    found = _level_groups(units)["district"] if district_of is None else None
    if found is not None:
        which, distinct = found
    else:
        keys = district_keys(units, district_of=district_of)
        which, distinct = pd.factorize(keys, sort=True)
    return np.asarray(which, dtype=np.intp), np.asarray(distinct, dtype=str)


def _owners(
    fac_xy: NDArray[np.float64], boxes: NDArray[np.float64], margin_m: float
) -> NDArray[np.intp]:
    """The partition owning every facility: the first whose points' bounding box grown by
    ``margin_m`` holds it (its piece then holds every street the facility could snap to,
    which lies within ``margin_m + max_snap_m`` of that box); -1 when none does (the
    facility is beyond reach of every demand point; see :func:`_far_reachable`)."""
    x, y = fac_xy[:, :1], fac_xy[:, 1:]
    inside = (x >= boxes[:, 0] - margin_m) & (x <= boxes[:, 2] + margin_m)
    inside &= (y >= boxes[:, 1] - margin_m) & (y <= boxes[:, 3] + margin_m)
    return np.where(inside.any(axis=1), inside.argmax(axis=1), -1).astype(np.intp)


def _hull(xy: NDArray[np.float64]) -> Any:
    """The convex hull of points (scipy's, ten times quicker than making the points first;
    shapely's for fewer than three or collinear points), of the points that can be its
    corners (see :func:`_outer`)."""
    xy = _outer(xy)
    try:
        return shapely.Polygon(xy[ConvexHull(xy).vertices])
    except (QhullError, ValueError):
        return shapely.convex_hull(shapely.multipoints(xy))


def _outer(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """The points not strictly inside the polygon of the extreme points in eight
    directions (Akl and Toussaint): those inside cannot be corners of the hull, and for a
    district's scattered points they are nearly all. Points within rounding of an edge are
    kept."""
    if len(xy) < 64:
        return xy
    rel = xy - xy[0]
    s, d = rel[:, 0] + rel[:, 1], rel[:, 0] - rel[:, 1]
    # counter-clockwise from the lowest point
    corners = rel[
        [
            np.argmin(rel[:, 1]),
            np.argmax(d),
            np.argmax(rel[:, 0]),
            np.argmax(s),
            np.argmax(rel[:, 1]),
            np.argmin(d),
            np.argmin(rel[:, 0]),
            np.argmin(s),
        ]
    ]
    edge = np.roll(corners, -1, axis=0) - corners
    span = float(np.abs(rel).max()) or 1.0
    tol = 1e-9 * span * span
    inside = np.ones(len(rel), dtype=bool)
    for a, e in zip(corners, edge, strict=True):
        inside &= e[0] * (rel[:, 1] - a[1]) - e[1] * (rel[:, 0] - a[0]) > tol
    return xy[~inside]


def _plan(
    xy: NDArray[np.float64],
    which: NDArray[np.intp],
    districts: NDArray[Any],
    fac_xy: NDArray[np.float64],
    owner: NDArray[np.intp],
    *,
    margin_m: float,
) -> list[Partition]:
    """One :class:`Partition` per district, largest first."""
    fac_geoms = shapely.points(fac_xy)
    # by district, ascending within each (a radix sort on 16-bit keys)
    key = which.astype(np.uint16) if len(districts) <= 2**16 else which
    order = np.argsort(key, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(which, minlength=len(districts)))]
    parts = []
    for d, name in enumerate(districts):
        pos = order[bounds[d] : bounds[d + 1]]
        region = _hull(xy[pos])
        own = owner == d
        fac = np.flatnonzero(shapely.dwithin(region, fac_geoms, margin_m) | own)
        parts.append(Partition(str(name), pos, fac, own[fac]))
    return sorted(parts, key=lambda p: -len(p.points))


def _reach(
    search_m: float | None,
    tiers: tuple[float, ...],
    margin_m: float | None,
    *,
    mode: Mode,
    max_snap_m: float,
    add_access: bool,
) -> tuple[float, float]:
    """The search cutoff and the facility margin, checked."""
    cutoff = tiers[-1] if search_m is None else max(float(search_m), tiers[-1])
    if not np.isfinite(cutoff):
        msg = "a partitioned run needs a finite search_m / 分区计算需要有限的搜索距离"
        raise AnalysisError(msg)
    minimum = min_margin_m(cutoff, mode=mode, max_snap_m=max_snap_m, add_access=add_access)
    if mode == "network" and not np.isfinite(minimum + max_snap_m):
        msg = "a partitioned run needs a finite max_snap_m / 分区计算需要有限的吸附距离"
        raise AnalysisError(msg)
    margin = minimum if margin_m is None else float(margin_m)
    if margin < minimum - 1e-9:
        msg = (
            f"margin_m {margin:g} is below {minimum:g} m: results would differ from a single "
            f"run / 边距 {margin:g} 米小于 {minimum:g} 米，结果将与整体计算不同"
        )
        raise AnalysisError(msg)
    return cutoff, margin


def coverage_by_district(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network: Network | gpd.GeoDataFrame | None = None,
    *,
    district_of: str | None = None,
    margin_m: float | None = None,
    scheduler: Scheduler = "local",
    n_workers: int = 2,
    timeout_s: float = 10.0,
    kind: str | None = None,
    radius_m: float | None = None,
    tiers_m: Sequence[float] | None = None,
    mode: Mode = "network",
    weights: Sequence[str] | None = None,
    facility_id: str | None = None,
    points_per_polygon: int = DEFAULT_POINTS_PER_POLYGON,
    search_m: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    add_access: bool = True,
    pieces_dir: str | os.PathLike[str] | None = None,
    pieces_store: str | None = None,
) -> CoverageResult:
    """:func:`geo.coverage.coverage` partitioned by district, one Dask task per district.

    Parameters
    ----------
    demand, facilities
        As :func:`geo.coverage.coverage`; the demand carries division codes (or the
        column ``district_of``).
    network
        The walking network, or a road layer (built into one network here first), or
        ``None`` in Euclidean mode.
    district_of
        Column of ``demand`` to partition by (default: the 6-digit district code).
    margin_m
        Facilities within this distance of a district's demand are given to it; streets
        within ``margin_m + max_snap_m``. Default and minimum: :func:`min_margin_m`.
    scheduler
        ``"local"`` (a local cluster of ``n_workers`` processes, closed after the run),
        a scheduler address (``"tcp://host:8786"``), a ``distributed.Client``, or
        ``None`` (in this process); see :mod:`geo.distributed.cluster`.
    n_workers, timeout_s
        Workers of a local cluster; seconds to try to reach a scheduler address.
    kind, radius_m, tiers_m, mode, weights, facility_id, points_per_polygon, max_snap_m, \
add_access
        As :func:`geo.coverage.coverage`.
    search_m
        How far to look for the nearest facility (default: the service radius; must be
        finite). Beyond it the nearest facility and distance are left empty.
    pieces_dir
        A directory the workers can read at the same path, where every district's piece
        of network and demand points are written once and found again by later runs on
        the same network and demand (see :mod:`geo.distributed.pieces`); tasks are sent
        only the files' paths. Default: a temporary directory for a ``"local"`` cluster;
        for a scheduler address, a ``Client`` or ``None`` the pieces travel with the
        tasks.

    pieces_store
        Instead of a directory, a store the workers can open (a ``postgresql://`` URL, or
        a GeoPackage path they share): the pieces are kept there as artifacts, written
        once (see :mod:`geo.distributed.stored`).
    Returns
    -------
    CoverageResult
        Equal to ``coverage(demand, facilities, network=..., search_m=...)`` on the whole
        input: same per-point distances, covered flags and roll-ups.
    """
    if isinstance(network, gpd.GeoDataFrame):
        from geo.network.tables import build_network_from_roads

        network = build_network_from_roads(network)
    _check_mode(mode, network)
    if len(facilities) == 0:
        raise EmptyInputError("no facilities / 没有设施")
    tiers = resolve_tiers(kind, radius_m=radius_m, tiers_m=tiers_m)
    net = network if mode == "network" else None
    cutoff, margin = _reach(
        search_m, tiers, margin_m, mode=mode, max_snap_m=max_snap_m, add_access=add_access
    )
    crs = network.pyproj_crs if network is not None else measuring_crs(demand)
    points = demand_points(demand, crs=crs, points_per_polygon=points_per_polygon, weights=weights)
    unit_district, districts = _district_groups(points.units, district_of=district_of)
    which = unit_district[points.unit]
    fac = facilities.reset_index(drop=True)
    fac_xy = points_xy(fac, crs)
    owner = _owners(fac_xy, district_bounds(points.xy, which, len(districts)), margin)
    parts = _plan(points.xy, which, districts, fac_xy, owner, margin_m=margin)
    measure = (mode, cutoff, max_snap_m, add_access)
    with (
        dask_client(scheduler, n_workers=n_workers, timeout_s=timeout_s) as client,
        pieces_directory(
            None if pieces_store else pieces_dir, None if pieces_store else scheduler, net
        ) as directory,
    ):
        found = district_inputs(
            net,
            points.xy,
            which,
            districts,
            reach_m=margin + max_snap_m,
            directory=directory,
            store=pieces_store,
        )
        tasks = [
            Task(found[p.district], fac_xy[p.facilities], measure, keep=client is not None)
            for p in parts
        ]
        sent = directory is None and pieces_store is None
        results = run_tasks(run_task, tasks, client=client, scatter=sent, sticky=True)
    nearest = gather(len(points), len(fac), parts, results)
    far_reachable(nearest, fac_xy, owner, net, max_snap_m)
    return CoverageResult(
        demand_points=points,
        facilities=fac,
        facility_ids=facility_ids(fac, kind=kind, facility_id=facility_id),
        nearest=nearest,
        tiers_m=tiers,
        mode=mode,
        network=network,
        kind=kind,
        max_snap_m=max_snap_m,
        add_access=add_access,
    )
