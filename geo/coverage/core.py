"""The coverage analysis: who is within reach of a facility, at one radius or tiers."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from geo._errors import EmptyInputError
from geo.costs import Mode
from geo.coverage.demand import DEFAULT_POINTS_PER_POLYGON, demand_points
from geo.coverage.result import CoverageResult
from geo.coverage.standards import resolve_tiers
from geo.distance import _check_mode, nearest_xy
from geo.network.graph import Network
from geo.projection import measuring_crs, points_xy
from geo.snap import DEFAULT_MAX_SNAP_M

__all__ = ["coverage", "facility_ids"]


def facility_ids(
    facilities: gpd.GeoDataFrame, *, kind: str | None = None, facility_id: str | None = None
) -> np.ndarray:
    """Ids of the facilities: column ``facility_id``, else the schema's id column of
    ``kind`` (e.g. ``station_id``), else a ``*_id`` column, else the index."""
    from layers.schema import SCHEMAS

    if facility_id is not None:
        return facilities[facility_id].to_numpy(dtype=object)
    if kind in SCHEMAS and SCHEMAS[kind].id_field in facilities.columns:
        return facilities[SCHEMAS[kind].id_field].to_numpy(dtype=object)
    guess = next((c for c in facilities.columns if str(c).endswith("_id")), None)
    if guess is not None:
        return facilities[guess].to_numpy(dtype=object)
    return facilities.index.to_numpy(dtype=object)


def coverage(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    kind: str | None = None,
    radius_m: float | None = None,
    tiers_m: Sequence[float] | None = None,
    mode: Mode = "network",
    network: Network | None = None,
    weights: Sequence[str] | None = None,
    facility_id: str | None = None,
    points_per_polygon: int = DEFAULT_POINTS_PER_POLYGON,
    search_m: float = np.inf,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    add_access: bool = True,
) -> CoverageResult:
    """Who is covered by ``facilities``: nearest facility, distance, covered per tier.

    Parameters
    ----------
    demand
        Communities (polygons, turned into population-weighted points, see
        :mod:`geo.coverage.demand`) or a point layer, in any CRS.
    facilities
        Facility points (polygons use a point inside them), in any CRS.
    kind
        Facility kind (``"stations"``, ``"meal_points"``, ``"shelters"``): picks the
        default tiers (:data:`~geo.coverage.standards.DEFAULT_RADII_M`) and the id column.
    radius_m, tiers_m
        One radius, or several tiers (override the kind's default).
    mode
        ``"network"`` (walking distance; needs ``network``) or ``"euclidean"``.
    network
        The walking network; its CRS is the working CRS (else the demand's measuring CRS).
    weights
        Count columns of ``demand`` to roll up (default: population and elderly columns
        present); ``count`` (units) is always added.
    facility_id
        Facility id column (default: see :func:`facility_ids`).
    points_per_polygon
        About how many weighted points stand for each polygon (1: its centre only).
    search_m
        How far to look for the nearest facility (at least the largest tier; beyond it
        the nearest facility and distance are left empty). Unbounded by default, which
        costs about the same in one multi-source search.
    max_snap_m
        Points farther than this from the network are unreachable, never covered.
    add_access
        Include the straight access legs between the points and the network.

    Returns
    -------
    CoverageResult
    """
    _check_mode(mode, network)
    if len(facilities) == 0:
        raise EmptyInputError("no facilities / 没有设施")
    tiers = resolve_tiers(kind, radius_m=radius_m, tiers_m=tiers_m)
    crs = network.pyproj_crs if network is not None else measuring_crs(demand)
    points = demand_points(demand, crs=crs, points_per_polygon=points_per_polygon, weights=weights)
    fac = facilities.reset_index(drop=True)
    nearest = nearest_xy(
        points.xy,
        points_xy(fac, crs),
        network=network,
        mode=mode,
        cutoff_m=max(float(search_m), tiers[-1]),
        max_snap_m=max_snap_m,
        add_access=add_access,
    )
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
