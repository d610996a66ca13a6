"""Siting (location-allocation): where new facilities should go.

Build a problem from a :class:`~geo.costs.CostMatrix` (``from_cost_matrix``, the core) or
from layers (``from_geodataframe``, a thin adapter over :func:`geo.distance.cost_matrix`,
walking or straight-line), then ``solve(time_limit_s=..., mip_gap=...)`` with HiGHS:

- :class:`LSCP`: fewest sites covering all demand within the service radius;
- :class:`MCLP`: most demand covered with ``p`` new sites;
- :class:`PMedian`: least total weighted distance with ``p`` new sites;
- :class:`PCenter`: least worst distance with ``p`` new sites.

Existing sites can be fixed open (``p`` counts new sites only); LSCP, MCLP and p-median
take capacities (optionally single-source). Candidates come from a layer or from
:func:`grid_candidates` / :func:`network_candidates`, thinned by :func:`exclude_within`,
:func:`exclude_near` and :func:`enforce_spacing`. A :class:`SitingResult` holds the status,
objective, bound, gap and solve time, the chosen sites (``to_gdf``), the assignment,
coverage before and after, and the gain of each new site in order (``explore`` draws it).
"""

from __future__ import annotations

from geo.siting.candidates import (
    enforce_spacing,
    exclude_near,
    exclude_within,
    grid_candidates,
    network_candidates,
)
from geo.siting.problem import LSCP, MCLP, PCenter, PMedian, SitingProblem
from geo.siting.result import SitingResult
from geo.siting.solve import SolveTimeoutError

__all__ = [
    "LSCP",
    "MCLP",
    "PCenter",
    "PMedian",
    "SitingProblem",
    "SitingResult",
    "SolveTimeoutError",
    "enforce_spacing",
    "exclude_near",
    "exclude_within",
    "grid_candidates",
    "network_candidates",
]
