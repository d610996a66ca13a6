"""Boundary inspection rules (界线联检): displacement against the marker register, the 2σ
rule, plausibility of an observed position against the line, and progress along a line.

A marker is *suspected displaced* when the distance between its registered and observed
positions exceeds ``k·√(σ_register² + σ_observed²)`` (``k = 2`` by default). With σ the
point (radial) standard errors (点位中误差) and independent, circular normal errors, an
undisturbed marker exceeds that with probability ``exp(-k²)`` (1.8 % for k = 2): the flag
asks for a look on site, it is not a verdict. The observed σ is the horizontal accuracy the
receiver reports.

Everything is measured in the line's CGCS2000 3-degree Gauss-Krüger zone
(:func:`geo.projection.gk_crs`), prepared once per line in a :class:`LineGauge`.
"""

from geo.inspection.gauge import (
    UNREACHED,
    ArrivalRules,
    ImplausiblePositionError,
    LineGauge,
    assess_arrays,
    assess_observations,
    displacement_threshold_m,
)
from geo.inspection.progress import (
    NOT_INSPECTED,
    LineProgress,
    covered_length_m,
    latest_by_marker,
    line_progress,
    stretch_lonlat,
)

__all__ = [
    "NOT_INSPECTED",
    "UNREACHED",
    "ArrivalRules",
    "ImplausiblePositionError",
    "LineGauge",
    "LineProgress",
    "assess_arrays",
    "assess_observations",
    "covered_length_m",
    "displacement_threshold_m",
    "latest_by_marker",
    "line_progress",
    "stretch_lonlat",
]
