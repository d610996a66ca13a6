"""Coverage partitioned by district, run on Dask, equal to the single-process run.

The demand is split by district (the 6-digit prefix of its division codes, or a column
named by ``district_of``). Each partition gets its demand points, the facilities within
``margin_m`` of the district's demand (plus those it owns: every facility is owned by the
partition of its nearest demand point, which reports whether it snaps) and the streets
within ``margin_m + max_snap_m`` of the bounding box of its points and owned facilities.
It finds every point's nearest facility on that piece of network as one task. The driver
puts the per-point answers back in order and builds an ordinary
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

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo._errors import AnalysisError, EmptyInputError
from geo.costs import Mode
from geo.coverage.core import facility_ids
from geo.coverage.demand import DEFAULT_POINTS_PER_POLYGON, DemandPoints, demand_points
from geo.coverage.demand import level_groups as _level_groups
from geo.coverage.result import CoverageResult
from geo.coverage.standards import resolve_tiers
from geo.distance import Nearest, _check_mode, nearest_xy
from geo.distributed.clip import EdgeIndex, clip_network
from geo.distributed.cluster import Scheduler, dask_client, run_tasks
from geo.network.graph import Network
from geo.projection import measuring_crs
from geo.snap import DEFAULT_MAX_SNAP_M, points_xy, snap_points

__all__ = ["Partition", "coverage_by_district", "district_keys", "min_margin_m"]


@dataclass(frozen=True)
class Partition:
    """One district's share of the work (a task's whole input).

    Attributes
    ----------
    district
        The partition key (the district code).
    points
        Positions of its demand points in the whole run.
    xy
        Their coordinates (working CRS).
    facilities
        Positions of the facilities it is given, ascending.
    facility_xy
        Their coordinates.
    owned
        Which of them the partition reports on (every facility is owned by the
        partition of its nearest demand point; its streets are in the piece).
    network
        Its piece of network (None in Euclidean mode).
    mode, cutoff_m, max_snap_m, add_access
        How to measure.
    """

    district: str
    points: NDArray[np.int64]
    xy: NDArray[np.float64]
    facilities: NDArray[np.int64]
    facility_xy: NDArray[np.float64]
    owned: NDArray[np.bool_]
    network: Network | None
    mode: Mode
    cutoff_m: float
    max_snap_m: float
    add_access: bool


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


def _no_facility(part: Partition) -> Nearest:
    """The answer of a partition with no facility or no street: only who snaps."""
    n, net = len(part.points), part.network
    fac_ok = np.full(len(part.facilities), net is None, dtype=bool)
    if net is None:
        reach, snap = np.ones(n, dtype=bool), np.zeros(n)
    elif net.n_edges == 0:
        reach, snap = np.zeros(n, dtype=bool), np.full(n, np.inf)
    else:
        snapped = snap_points(part.xy, net, max_snap_m=part.max_snap_m)
        reach, snap = snapped.ok, snapped.snap_m
    none = np.full(n, -1, dtype=np.int64)
    return Nearest(none, np.full(n, np.inf), reach, snap, fac_ok)


def _run_partition(part: Partition) -> Nearest:
    """One task: the nearest facility (whole-run position) of the partition's points on
    its piece, and which of its facilities snap."""
    if len(part.facility_xy) == 0 or (part.network is not None and part.network.n_edges == 0):
        return _no_facility(part)
    found = nearest_xy(
        part.xy,
        part.facility_xy,
        network=part.network,
        mode=part.mode,
        cutoff_m=part.cutoff_m,
        max_snap_m=part.max_snap_m,
        add_access=part.add_access,
    )
    glob = np.where(found.facility >= 0, part.facilities[np.maximum(found.facility, 0)], -1)
    return Nearest(
        facility=glob.astype(np.int64),
        distance_m=found.distance_m,
        reachable=found.reachable,
        snap_m=found.snap_m,
        facility_reachable=found.facility_reachable,
    )


def _owners(
    points: DemandPoints, which: NDArray[np.int64], fac_xy: NDArray[np.float64]
) -> NDArray[np.int64]:
    """The partition of every facility: that of its nearest demand point."""
    _, nearest = cKDTree(points.xy).query(fac_xy)
    return which[np.asarray(nearest, dtype=np.int64)]


def _plan(
    points: DemandPoints,
    keys: NDArray[np.object_],
    fac_xy: NDArray[np.float64],
    *,
    index: EdgeIndex | None,
    margin_m: float,
    measure: tuple[Mode, float, float, bool],
) -> list[Partition]:
    """One :class:`Partition` per district key, largest first."""
    mode, cutoff_m, max_snap_m, add_access = measure
    districts, which = np.unique(keys[points.unit].astype(str), return_inverse=True)
    owner = _owners(points, which, fac_xy)
    fac_geoms = shapely.points(fac_xy)
    parts = []
    for d, name in enumerate(districts):
        pos = np.flatnonzero(which == d)
        region = shapely.MultiPoint(points.xy[pos]).convex_hull
        own = owner == d
        fac = np.flatnonzero(shapely.dwithin(region, fac_geoms, margin_m) | own)
        net = None
        if index is not None:
            every = np.concatenate([points.xy[pos], fac_xy[own]])
            bounds = (*every.min(axis=0), *every.max(axis=0))
            net = clip_network(index.network, index.near(bounds, margin_m + max_snap_m))
        parts.append(
            Partition(
                str(name),
                pos,
                points.xy[pos],
                fac,
                fac_xy[fac],
                own[fac],
                net,
                mode,
                cutoff_m,
                max_snap_m,
                add_access,
            )
        )
    return sorted(parts, key=lambda p: -len(p.points))


def _gather(
    n_points: int, n_facilities: int, parts: Sequence[Partition], results: Sequence[Nearest]
) -> Nearest:
    """The per-point answers of every partition, back in the whole run's order; every
    facility's reachability from the partition that owns it."""
    facility = np.full(n_points, -1, dtype=np.int64)
    distance = np.full(n_points, np.inf)
    reachable = np.zeros(n_points, dtype=bool)
    snap = np.full(n_points, np.inf)
    fac_ok = np.zeros(n_facilities, dtype=bool)
    for part, found in zip(parts, results, strict=True):
        pos = part.points
        facility[pos], distance[pos] = found.facility, found.distance_m
        reachable[pos], snap[pos] = found.reachable, found.snap_m
        fac_ok[part.facilities[part.owned]] = found.facility_reachable[part.owned]
    return Nearest(facility, distance, reachable, snap, fac_ok)


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
    keys = district_keys(points.units, district_of=district_of)
    fac = facilities.reset_index(drop=True)
    fac_xy = points_xy(fac, crs)
    index = EdgeIndex(net) if net is not None else None
    measure = (mode, cutoff, max_snap_m, add_access)
    parts = _plan(points, keys, fac_xy, index=index, margin_m=margin, measure=measure)
    with dask_client(scheduler, n_workers=n_workers, timeout_s=timeout_s) as client:
        results = run_tasks(_run_partition, parts, client=client)
    return CoverageResult(
        demand_points=points,
        facilities=fac,
        facility_ids=facility_ids(fac, kind=kind, facility_id=facility_id),
        nearest=_gather(len(points), len(fac), parts, results),
        tiers_m=tiers,
        mode=mode,
        network=network,
        kind=kind,
        max_snap_m=max_snap_m,
        add_access=add_access,
    )
