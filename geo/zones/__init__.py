"""Responsibility zones (责任片区): every demand unit assigned to exactly one station.

Build a :class:`ZoneProblem` (:meth:`ZoneProblem.from_cost_matrix`, or
:meth:`ZoneProblem.from_geodataframes`), :func:`solve` it into a :class:`ZonePlan`, edit the
plan by hand (:func:`move_units`, :func:`lock_units`, :func:`unlock_units`; each edit names
the version it was based on and rebalances only the zones it touches and their neighbours),
and check any plan, including one drawn by hand, with :func:`validate_plan`. Units of a street
with no station join a zone of an adjacent street unless the problem says
``orphan_streets="refuse"``.
"""

from __future__ import annotations

from geo.zones._errors import BandInfeasibleError, StalePlanError
from geo.zones.adjacency import (
    Contiguity,
    adjacency_edges,
    delaunay_adjacency,
    polygon_adjacency,
    unit_adjacency,
)
from geo.zones.edit import lock_units, move_units, unlock_units
from geo.zones.explain import band_states, explain_changes
from geo.zones.plan import SolveInfo, ZonePlan
from geo.zones.problem import Band, OrphanStreets, ZoneProblem
from geo.zones.solve import Method, solve
from geo.zones.validate import ZoneReport, validate_plan

__all__ = [
    "Band",
    "BandInfeasibleError",
    "Contiguity",
    "Method",
    "OrphanStreets",
    "SolveInfo",
    "StalePlanError",
    "ZonePlan",
    "ZoneProblem",
    "ZoneReport",
    "adjacency_edges",
    "band_states",
    "delaunay_adjacency",
    "explain_changes",
    "lock_units",
    "move_units",
    "polygon_adjacency",
    "solve",
    "unit_adjacency",
    "unlock_units",
    "validate_plan",
]
