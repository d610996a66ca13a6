"""What a saved zone plan is once read back: :class:`StoredPlan` (one version rebuilt on the
current layers), :class:`EditResult` (an edit and the version it was made on), and the
assignment and summary saved with a version. Kept apart from :mod:`api.zones.plans` (the
registry that reads and writes them) so that answers and exports need only this.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple, TypedDict

import numpy as np

from api.tables import json_safe
from api.zones.schemas import ZoneRequest
from geo.zones import ZonePlan, ZoneReport
from layers.records import ZonePlanVersion

__all__ = ["EditResult", "Saved", "StoredPlan", "plan_assignment", "plan_summary", "saved_by"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Saved:
    """What a stored version says of itself, a zone plan's or a resize proposal's (both are
    kept in the zone-plan tables): its notes, who made the plan and who last changed it,
    and whether its input layers changed since."""

    notes: tuple[str, ...] = ()
    created_by: str = ""
    created_at: str = ""
    updated_by: str = ""
    updated_at: str = ""
    inputs_changed: bool = False


class Authors(TypedDict):
    """Who made a stored plan and who last changed it, and when."""

    created_by: str
    created_at: str
    updated_by: str
    updated_at: str


def saved_by(saved: ZonePlanVersion) -> Authors:
    """The authors and times of a stored version, as :class:`Saved` takes them."""
    return {
        "created_by": saved.created_by,
        "created_at": saved.created_at,
        "updated_by": saved.updated_by,
        "updated_at": saved.updated_at,
    }


@dataclasses.dataclass(frozen=True)
class StoredPlan(Saved):
    """One version of a stored plan, rebuilt on the current layers.

    ``notes`` holds the notes saved with the version and, when it applies, a note that the
    input layers changed or that units or stations are gone (listed in ``missing_units``
    and ``missing_stations``).
    """

    plan_id: str
    plan: ZonePlan
    request: ZoneRequest
    missing_units: tuple[str, ...] = ()
    missing_stations: tuple[str, ...] = ()

    @functools.cached_property
    def report(self) -> ZoneReport:
        """The validation report of this version (computed once)."""
        return self.plan.validate()


class EditResult(NamedTuple):
    """An edit: the new version (not saved when previewed), the units whose station
    changed, and the version it was made on."""

    stored: StoredPlan
    changed: list[str]
    before: StoredPlan


def plan_assignment(plan: ZonePlan) -> tuple[dict[str, str | None], list[str]]:
    """``({unit: station or None}, locked units)`` of a plan, ids as text."""
    p, z = plan.problem, plan.assignment
    stations = np.asarray(p.station_ids, dtype=object)[np.clip(z, 0, None)]
    units = [str(u) for u in p.unit_ids]
    table = {u: (str(s) if j >= 0 else None) for u, s, j in zip(units, stations, z, strict=True)}
    locked = [units[i] for i in np.flatnonzero(plan.locks >= 0)]
    return table, locked


def plan_summary(plan: ZonePlan, report: ZoneReport, request: ZoneRequest) -> dict[str, Any]:
    """What a list of plans shows of one version."""
    p = plan.problem
    return json_safe(
        {
            "units_layer": request.units_layer,
            "stations_layer": request.stations_layer,
            "units": p.n_units,
            "stations": p.n_stations,
            "assigned": int((plan.assignment >= 0).sum()),
            "locked": int((plan.locks >= 0).sum()),
            "ok": report.ok,
            "overloaded": len(report.overloaded),
            "underloaded": len(report.underloaded),
            "fragmented": len(report.fragmented),
            "cost": plan.cost,
            "method": plan.info.method if plan.info else None,
        }
    )
