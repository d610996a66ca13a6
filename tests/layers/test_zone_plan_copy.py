"""Zone plans travel with ``mzgis store copy``: GeoPackage → PostGIS → GeoPackage keeps
every plan and every version (assignments, locks, info, notes, authors, times) and the audit
log; a plan made on the current layers is still current in the target, one made on an older
layer is still seen as older; a target holding plans refuses the copy."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from layers import ConflictError
from layers.records import RecordStore, ZonePlanVersion, layer_stamps, open_record_store
from layers.records.copy import PLAN_TABLES, copy_store_and_records
from layers.store import GeoPackageStore, open_store
from tests.layers.test_store import stations
from tests.layers.test_store_postgis_copy import fill_records

ASSIGNMENT = {"u1": "S0000", "u2": "S0001", "u3": None}


def _plan(records: RecordStore, inputs: dict[str, Any], *, edits: int) -> str:
    plan_id = str(uuid.uuid4())
    records.create_plan(
        plan_id=plan_id, request={"stations_layer": "stations", "band": 0.2},
        assignment=ASSIGNMENT, locked=["u1"], info={"method": "greedy", "cost": 1.5},
        notes=["注 / note"], inputs=inputs, summary={"units": 3}, actor="alice",
    )  # fmt: skip
    for n in range(edits):
        records.save_plan_version(
            plan_id, based_on=n + 1, assignment={**ASSIGNMENT, "u3": f"S000{n}"},
            locked=["u1", "u3"], info=None, inputs=inputs, summary={"units": 3, "n": n},
            actor="bob",
        )  # fmt: skip
    return plan_id


def _versions(records: RecordStore) -> dict[str, list[ZonePlanVersion]]:
    return {
        p.plan_id: [records.get_plan(p.plan_id, version=v + 1) for v in range(p.version)]
        for p in records.list_plans()
    }


def _without_inputs(plans: dict[str, list[ZonePlanVersion]]) -> dict[str, list[object]]:
    return {k: [{**v.__dict__, "inputs": None} for v in vs] for k, vs in plans.items()}


def test_plans_and_their_history_travel_both_ways(pg_url: str, tmp_path: Path) -> None:
    source = GeoPackageStore(tmp_path / "src.gpkg")
    source.write("stations", stations(3), kind="stations")
    records = open_record_store(source)
    old_stamp = layer_stamps(source, ["stations"])
    older = _plan(records, old_stamp, edits=0)
    source.write("stations", stations(4), kind="stations")  # the older plan is now behind
    fill_records(records)
    current = _plan(records, layer_stamps(source, ["stations"]), edits=2)
    original, history = _versions(records), records.plan_history(current)
    middle, back = open_store(pg_url), GeoPackageStore(tmp_path / "back.gpkg")
    _, rows = copy_store_and_records(source, middle)
    assert {t: rows[t] for t in PLAN_TABLES} == {
        "mzgis_zone_plans": 2,
        "mzgis_zone_plan_versions": 4,
    }
    copy_store_and_records(middle, back)
    for target in (middle, back):
        copied = open_record_store(target)
        plans = _versions(copied)
        assert _without_inputs(plans) == _without_inputs(original)
        assert copied.plan_history(current) == history
        now = layer_stamps(target, ["stations"])
        assert {v.version: v.inputs for v in plans[current]} == {1: now, 2: now, 3: now}
        assert plans[older][0].inputs != now  # still made on an older layer
        assert copied.audit_log() == records.audit_log() and copied.verify_audit().ok
        copied.close()
    assert _versions(open_record_store(back))[older][0].inputs == old_stamp  # as it was
    with pytest.raises(ConflictError, match="zone plans"):
        copy_store_and_records(source, GeoPackageStore(tmp_path / "back.gpkg"), replace=True)
    middle.close()
