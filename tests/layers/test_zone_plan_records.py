"""Zone plans (责任片区方案) in the record store, on both backends: create, read, list, the
history of versions, the compare-and-swap of an edit (a stale edit changes nothing; of
concurrent edits on one version exactly one is saved), audit entries that chain, and
history rows that the database refuses to change."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from layers import ConflictError, PreconditionFailedError
from layers.records import (
    RecordNotFoundError,
    RecordStore,
    RecordValidationError,
    _ddl,
    open_record_store,
    sha256_hex,
)
from layers.records._plan_rows import decode_assignment, encode_assignment
from layers.records.gpkg import GeoPackageRecordStore
from layers.records.postgis import grant_app_role
from layers.store import Store
from layers.store.postgis import PostGISStore
from tests.pg import Cluster, fresh_schema

REQUEST = {"units_layer": "communities", "stations_layer": "stations", "band": 0.15}
#: 6 units, 2 stations, one unit unassigned
FIRST = {"u1": "S1", "u2": "S1", "u3": "S1", "u4": "S2", "u5": "S2", "u6": None}
INFO = {"method": "milp", "cost": 1234.5, "gap": float("nan"), "out_of_band": []}
INPUTS = {"communities": {"version": 1, "updated_at": "2025-01-01T00:00:00.000000Z"}}


@pytest.fixture
def records(store: Store) -> Iterator[RecordStore]:
    opened = open_record_store(store)
    yield opened
    opened.close()


def _create(records: RecordStore, **changes: object) -> str:
    plan_id = str(uuid.uuid4())
    values: dict[str, object] = {
        "request": REQUEST, "assignment": FIRST, "locked": ["u1"], "info": INFO,
        "notes": ["1 closed stations get no zone / 1 处停业驿站不参与分区"], "inputs": INPUTS,
        "summary": {"units": 6, "ok": False}, "actor": "alice", **changes,
    }  # fmt: skip
    records.create_plan(plan_id=plan_id, **values)  # type: ignore[arg-type]
    return plan_id


def _edit(records: RecordStore, plan_id: str, based_on: int, **changes: object) -> object:
    moved = {**FIRST, "u3": "S2", "u6": "S2"}
    values: dict[str, object] = {"assignment": moved, "locked": ["u3"], "actor": "bob", **changes}
    return records.save_plan_version(plan_id, based_on=based_on, **values)  # type: ignore[arg-type]


def test_assignment_text_is_compact_and_round_trips() -> None:
    units = {f"1101010010{i:02d}": f"S{i % 7}" if i % 11 else None for i in range(100)}
    text = encode_assignment(units)
    assert decode_assignment(text) == units
    assert text.count('"S1"') == 1  # each station id once
    assert len(text) < 16 * len(units)


def test_create_read_and_list(records: RecordStore) -> None:
    plan_id = _create(records)
    plan = records.get_plan(plan_id)
    assert (plan.version, plan.request, plan.assignment) == (1, REQUEST, FIRST)
    assert plan.locked == ("u1",) and plan.changed == () and plan.inputs == INPUTS
    assert plan.info is not None and plan.info["cost"] == 1234.5 and plan.info["gap"] != 0
    assert plan.notes == ("1 closed stations get no zone / 1 处停业驿站不参与分区",)
    assert plan.created_by == plan.updated_by == "alice"
    other = _create(records, actor="carol")
    listed = records.list_plans()
    assert [p.plan_id for p in listed] == [other, plan_id]  # newest first
    assert listed[1].summary == {"units": 6, "ok": False}
    assert [p.plan_id for p in records.list_plans(limit=1, offset=1)] == [plan_id]
    with pytest.raises(RecordNotFoundError, match="zone plan"):
        records.get_plan(str(uuid.uuid4()))
    with pytest.raises(ConflictError, match=" / "):
        records.create_plan(plan_id=plan_id, request={}, assignment=FIRST, actor="x")


def test_plans_of_another_analysis_are_listed_apart(records: RecordStore) -> None:
    zones = [_create(records), _create(records)]
    resize = {"analysis": "communities", "community_code": "110101001001", "resize": {}}
    proposal = _create(records, request=resize)
    assert [p.plan_id for p in records.list_plans()] == zones[::-1]
    assert [p.plan_id for p in records.list_plans(limit=1, offset=1)] == [zones[0]]
    assert [p.plan_id for p in records.list_plans(analysis="communities")] == [proposal]
    assert records.list_plans(analysis="other") == []
    assert records.get_plan(proposal).request == resize


BAD_PLANS = [
    ("not-a-uuid", FIRST, [], "plan_id"),
    (None, {}, [], "assignment"),
    (None, FIRST, ["u9"], "locked"),
]


def test_bad_plans_are_refused(records: RecordStore) -> None:
    for plan_id, assignment, locked, field in BAD_PLANS:
        with pytest.raises(RecordValidationError) as caught:
            records.create_plan(
                plan_id=plan_id or str(uuid.uuid4()),
                request=REQUEST,
                assignment=assignment,
                locked=locked,
                actor="x",
            )
        assert [p.field for p in caught.value.errors] == [field]
        assert " / " in caught.value.message
    assert records.list_plans() == [] and records.audit_head()[0] == 0


def test_edits_keep_every_version(records: RecordStore) -> None:
    plan_id = _create(records)
    second = _edit(records, plan_id, 1)
    assert second.version == 2 and second.changed == ("u3", "u6")  # type: ignore[attr-defined]
    third = records.save_plan_version(
        plan_id, based_on=2, assignment=FIRST, locked=[], actor="carol"
    )
    assert third.version == 3 and third.created_by == "alice" and third.updated_by == "carol"
    assert records.get_plan(plan_id).assignment == FIRST
    assert records.get_plan(plan_id, version=2).assignment["u6"] == "S2"
    assert records.get_plan(plan_id, version=1).locked == ("u1",)
    history = records.plan_history(plan_id)
    assert [(h.version, h.updated_by, h.changed) for h in history] == [
        (1, "alice", ()),
        (2, "bob", ("u3", "u6")),
        (3, "carol", ("u3", "u6")),
    ]
    assert [p.version for p in records.list_plans()] == [3]
    with pytest.raises(RecordNotFoundError):
        records.get_plan(plan_id, version=4)
    with pytest.raises(RecordNotFoundError):
        records.plan_history(str(uuid.uuid4()))


def test_a_stale_edit_changes_nothing(records: RecordStore) -> None:
    plan_id = _create(records)
    _edit(records, plan_id, 1)
    before, head = records.get_plan(plan_id), records.audit_head()
    with pytest.raises(PreconditionFailedError, match=r"version 2.* / "):
        _edit(records, plan_id, 1, assignment=FIRST)
    with pytest.raises(PreconditionFailedError):
        _edit(records, plan_id, 3)
    assert records.get_plan(plan_id) == before and records.audit_head() == head
    assert len(records.plan_history(plan_id)) == 2
    with pytest.raises(RecordNotFoundError):
        _edit(records, str(uuid.uuid4()), 1)


def test_concurrent_edits_on_one_version_save_exactly_one(records: RecordStore) -> None:
    plan_id = _create(records)
    barrier = threading.Barrier(6)
    saved: list[str] = []
    refused: list[str] = []
    errors: list[str] = []

    def editor(n: int) -> None:
        barrier.wait()
        try:
            _edit(records, plan_id, 1, actor=f"editor{n}", assignment={**FIRST, "u6": f"S{n}"})
            saved.append(f"editor{n}")
        except PreconditionFailedError:
            refused.append(f"editor{n}")
        except Exception as exc:  # anything else is a failure of the store
            errors.append(repr(exc))

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(saved) == 1 and len(refused) == 5
    plan = records.get_plan(plan_id)
    assert plan.version == 2 and plan.updated_by == saved[0]
    assert plan.assignment["u6"] == f"S{saved[0].removeprefix('editor')}"
    edits = [e for e in records.audit_log() if e.action == "zone_plan.edit"]
    assert [e.actor for e in edits] == saved


def test_audit_entries_chain_and_pin_the_assignment(records: RecordStore) -> None:
    plan_id = _create(records)
    version = _edit(records, plan_id, 1)
    log = records.audit_log()
    assert [(e.action, e.target, e.actor) for e in log] == [
        ("zone_plan.create", f"zone_plan:{plan_id}", "alice"),
        ("zone_plan.edit", f"zone_plan:{plan_id}", "bob"),
    ]
    create, edit = log[0].detail, log[1].detail
    assert create["version"] == 1 and create["units"] == 6 and create["assigned"] == 5
    assert create["request"] == REQUEST and create["locked"] == ["u1"]
    assert edit["based_on"] == 1 and edit["changed"] == ["u3", "u6"]
    assert edit["locked"] == ["u3"] and edit["unlocked"] == ["u1"]
    stored = encode_assignment(version.assignment)  # type: ignore[attr-defined]
    assert edit["assignment_sha256"] == sha256_hex(stored)
    check = records.verify_audit()
    assert check.ok and check.entries == 2


def test_history_rows_cannot_be_changed(records: RecordStore, store: Store) -> None:
    plan_id = _create(records)
    statement = "UPDATE mzgis_zone_plan_versions SET actor = 'mallory'"
    if isinstance(records, GeoPackageRecordStore):
        with contextlib.closing(sqlite3.connect(records.gpkg.path)) as con:
            with pytest.raises(sqlite3.DatabaseError, match="never changed"):
                con.execute(statement)
            with pytest.raises(sqlite3.DatabaseError, match="never changed"):
                con.execute("DELETE FROM mzgis_zone_plan_versions")
    else:
        assert isinstance(store, PostGISStore)
        with psycopg.connect(store.conninfo, autocommit=True) as con:
            for sql in (statement, "DELETE FROM mzgis_zone_plan_versions"):
                with pytest.raises(psycopg.Error, match="never changed"):
                    con.execute(sql.replace("mzgis_", f"{store.schema}.mzgis_", 1))
    assert records.get_plan(plan_id).updated_by == "alice"


def test_an_older_geopackage_gets_the_plan_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.gpkg"
    GeoPackageRecordStore(path).close()
    with contextlib.closing(sqlite3.connect(path)) as con, con:  # made before plans were kept
        con.execute("DROP TABLE mzgis_zone_plan_versions")
        con.execute("DROP TABLE mzgis_zone_plans")
        con.execute("UPDATE mzgis_records_meta SET value = '1' WHERE key = 'schema'")
    records = GeoPackageRecordStore(path)
    plan_id = _create(records)
    assert records.get_plan(plan_id).version == 1
    records.close()
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        found = con.execute("SELECT value FROM mzgis_records_meta").fetchone()
        assert found == (str(_ddl.SCHEMA_VERSION),)
        newer = str(_ddl.SCHEMA_VERSION + 1)
        con.execute("UPDATE mzgis_records_meta SET value = ? WHERE key = 'schema'", (newer,))
    with pytest.raises(Exception, match="newer mzgis"):
        GeoPackageRecordStore(path)


@pytest.fixture
def service_url(pg_cluster: Cluster) -> tuple[str, str]:
    """``(URL, schema)`` of a PostGIS store as the role the service connects as, after its
    owner set it up and granted it (:func:`grant_app_role`)."""
    schema, role = fresh_schema(), fresh_schema("app")
    with psycopg.connect(pg_cluster.url, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-pw'")
    owner = PostGISStore(f"{pg_cluster.url}?schema={schema}")
    grant_app_role(owner, role)
    owner.close()
    return f"{pg_cluster.url_for(role, 'app-pw')}?schema={schema}", schema


def test_the_service_role_saves_plans_but_cannot_rewrite_them(
    service_url: tuple[str, str],
) -> None:
    app_url, schema = service_url
    records = open_record_store(app_url)
    plan_id = _create(records)
    _edit(records, plan_id, 1)
    refused = (
        f"UPDATE {schema}.mzgis_zone_plan_versions SET actor = 'mallory'",
        f"DELETE FROM {schema}.mzgis_zone_plan_versions",
        f"DROP TRIGGER mzgis_zone_plan_versions_kept ON {schema}.mzgis_zone_plan_versions",
    )
    with psycopg.connect(app_url.split("?", maxsplit=1)[0], autocommit=True) as con:
        for statement in refused:
            with pytest.raises(psycopg.Error, match=r"permission denied|must be owner"):
                con.execute(statement)
    assert [h.updated_by for h in records.plan_history(plan_id)] == ["alice", "bob"]
    records.close()
