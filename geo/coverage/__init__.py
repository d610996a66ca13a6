"""Coverage: who is within reach of a facility (one radius or tiered standards), roll-ups
by community / street / district, gaps ranked by uncovered elderly, service areas built
from reached streets, and capacity-aware accessibility (2SFCA)."""

from __future__ import annotations

from geo.coverage.areas import service_areas
from geo.coverage.core import coverage, facility_ids
from geo.coverage.demand import (
    DEFAULT_POINTS_PER_POLYGON,
    LEVELS,
    WEIGHT_COLUMNS,
    DemandPoints,
    demand_points,
    level_groups,
)
from geo.coverage.fca import AccessibilityResult, two_step_fca
from geo.coverage.maps import draw_areas, new_map
from geo.coverage.result import CoverageResult
from geo.coverage.standards import (
    DEFAULT_RADII_M,
    LIFE_CIRCLE_TIERS_M,
    resolve_tiers,
    tier_label,
)

__all__ = [
    "DEFAULT_POINTS_PER_POLYGON",
    "DEFAULT_RADII_M",
    "LEVELS",
    "LIFE_CIRCLE_TIERS_M",
    "WEIGHT_COLUMNS",
    "AccessibilityResult",
    "CoverageResult",
    "DemandPoints",
    "coverage",
    "demand_points",
    "draw_areas",
    "facility_ids",
    "level_groups",
    "new_map",
    "resolve_tiers",
    "service_areas",
    "tier_label",
    "two_step_fca",
]
