"""mzgis geo: what we compute.

Walking networks (:mod:`geo.network`), snapping (:mod:`geo.snap`), distances
(:mod:`geo.distance`), coverage and accessibility (:mod:`geo.coverage`), on validated
frames from :mod:`layers`. ``geo`` never imports ``api``.

``geo.coverage`` is the coverage package: run an analysis with
``geo.coverage.coverage(demand, facilities, ...)``.
"""

from __future__ import annotations

from geo._errors import (
    AnalysisError,
    CRSMismatchError,
    EmptyInputError,
    InfeasibleError,
    NetworkError,
)
from geo.costs import CostMatrix, Mode
from geo.coverage import (
    DEFAULT_RADII_M,
    LIFE_CIRCLE_TIERS_M,
    AccessibilityResult,
    CoverageResult,
    demand_points,
    service_areas,
    two_step_fca,
)
from geo.distance import (
    Nearest,
    cost_matrix,
    cost_matrix_xy,
    nearest_facility,
    nearest_xy,
    node_distances,
)
from geo.network import (
    WALK_EXCLUDED_HIGHWAYS,
    BuildReport,
    Network,
    build_network,
    build_network_from_arrays,
    build_network_from_csv,
    build_network_from_osm,
    build_network_from_osm_pbf,
    build_network_from_osm_xml,
    build_network_from_roads,
    load_network,
    network_path_for,
    save_network,
)
from geo.projection import measuring_crs, to_projected
from geo.snap import DEFAULT_MAX_SNAP_M, SnapIndex, Snapped, snap_points

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_RADII_M",
    "LIFE_CIRCLE_TIERS_M",
    "WALK_EXCLUDED_HIGHWAYS",
    "AccessibilityResult",
    "AnalysisError",
    "BuildReport",
    "CRSMismatchError",
    "CostMatrix",
    "CoverageResult",
    "EmptyInputError",
    "InfeasibleError",
    "Mode",
    "Nearest",
    "Network",
    "NetworkError",
    "SnapIndex",
    "Snapped",
    "build_network",
    "build_network_from_arrays",
    "build_network_from_csv",
    "build_network_from_osm",
    "build_network_from_osm_pbf",
    "build_network_from_osm_xml",
    "build_network_from_roads",
    "cost_matrix",
    "cost_matrix_xy",
    "demand_points",
    "load_network",
    "measuring_crs",
    "nearest_facility",
    "nearest_xy",
    "network_path_for",
    "node_distances",
    "save_network",
    "service_areas",
    "snap_points",
    "to_projected",
    "two_step_fca",
]
