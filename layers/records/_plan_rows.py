"""Rows of the zone-plan tables, shared by both record stores: the compact text of an
assignment, the stamps of the input layers a plan was made on, and the row → object helpers.

An assignment is kept as canonical JSON grouped by station
(``{"stations": {station: [units]}, "unassigned": [units]}``): each station id is written
once, so a city's 7,500 units take about 15 bytes each.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from layers.records.models import ZonePlanSummary, ZonePlanVersion, canonical_json
from layers.store.base import Store

__all__ = [
    "HEAD_COLUMNS",
    "VERSION_COLUMNS",
    "changed_units",
    "decode_assignment",
    "encode_assignment",
    "layer_stamps",
    "to_summary",
    "to_version",
]

#: columns of ``mzgis_zone_plans`` (one row per plan: its current version)
HEAD_COLUMNS = (
    "plan_id", "version", "request", "created_by", "created_at", "updated_by", "updated_at",
)  # fmt: skip
#: columns of ``mzgis_zone_plan_versions`` (one row per version, never changed)
VERSION_COLUMNS = (
    "plan_id", "version", "assignment", "locked", "info", "notes", "inputs", "summary",
    "changed", "actor", "at",
)  # fmt: skip


def encode_assignment(assignment: Mapping[str, str | None]) -> str:
    """The stored text of ``{unit: station or None}`` (ids as text, sorted)."""
    stations: dict[str, list[str]] = {}
    unassigned: list[str] = []
    for unit, station in assignment.items():
        if station is None:
            unassigned.append(str(unit))
        else:
            stations.setdefault(str(station), []).append(str(unit))
    groups = {s: sorted(units) for s, units in stations.items()}
    return canonical_json({"stations": groups, "unassigned": sorted(unassigned)})


def decode_assignment(text: str) -> dict[str, str | None]:
    """``{unit: station or None}`` from its stored text."""
    stored = json.loads(text)
    out: dict[str, str | None] = dict.fromkeys(stored.get("unassigned", []))
    for station, units in stored.get("stations", {}).items():
        out.update(dict.fromkeys(units, station))
    return out


def changed_units(
    before: Mapping[str, str | None], after: Mapping[str, str | None]
) -> tuple[str, ...]:
    """Units whose station differs between two assignments (sorted)."""
    units = set(before) | set(after)
    return tuple(sorted(u for u in units if before.get(u) != after.get(u)))


def layer_stamps(store: Store, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{layer: {"version", "updated_at"}}`` of the named layers the store holds: what a
    plan records of its inputs, to tell later whether they have changed."""
    wanted = set(names)
    return {
        info.name: {"version": int(info.version), "updated_at": str(info.updated_at)}
        for info in store.layers()
        if info.name in wanted
    }


def to_version(head: tuple[Any, ...], row: tuple[Any, ...]) -> ZonePlanVersion:
    """A version from its plan's head row and its version row."""
    plan_id, _, request, created_by, created_at, _, _ = head
    _, version, assignment, locked, info, notes, inputs, summary, changed, actor, at = row
    return ZonePlanVersion(
        plan_id, int(version), json.loads(request), decode_assignment(assignment),
        tuple(json.loads(locked)), json.loads(info), tuple(json.loads(notes)),
        json.loads(inputs), json.loads(summary), tuple(json.loads(changed)),
        created_by, created_at, actor, at,
    )  # fmt: skip


def to_summary(row: tuple[Any, ...]) -> ZonePlanSummary:
    """A summary from ``plan_id, version, created_by, created_at, actor, at, summary,
    changed``."""
    plan_id, version, created_by, created_at, actor, at, summary, changed = row
    return ZonePlanSummary(
        plan_id, int(version), created_by, created_at, actor, at, json.loads(summary),
        tuple(json.loads(changed)),
    )  # fmt: skip
