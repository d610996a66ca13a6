"""Zone plans saved in the record store, through the API, on both backends: a plan and its
history survive a restart of the app, a stale edit is 412 and changes nothing, edits need a
signed-in planner, concurrent edits on one version let exactly one through, and a plan whose
input layers changed is still served (with a note) but edited only while its units exist."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.catalog import Catalog
from api.config import Settings
from api.zones.plans import PlanRegistry
from api.zones.schemas import EditRequest, Move, ZoneRequest
from layers import PreconditionFailedError
from layers.records import RecordStore, open_record_store
from layers.store import open_store
from tests.api.test_zones_api import (
    _border_unit,
    _code,
    _communities,
    _stations,
    fill_grid,
)


@pytest.fixture(params=["gpkg", "postgis"])
def grid_store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A grid store on each backend (its location) and each role's ``Authorization``."""
    location = str(tmp_path / "grid.gpkg")
    if request.param == "postgis":
        location = request.getfixturevalue("pg_url")
    store = open_store(location)
    headers = fill_grid(store)
    store.close()
    return location, headers


@pytest.fixture
def gpkg_grid(tmp_path: Path) -> tuple[str, dict[str, str]]:
    location = str(tmp_path / "grid.gpkg")
    store = open_store(location)
    headers = fill_grid(store)
    store.close()
    return location, headers


def _client(location: str) -> TestClient:
    return TestClient(create_app(Settings(store=location)))


def _assignment(client: TestClient, url: str) -> dict[str, str | None]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return {r["unit_id"]: r["station_id"] for r in response.json()["assignment"]}


def _edit(
    client: TestClient, plan_id: str, body: dict[str, Any], *, version: int, auth: str | None
) -> Any:
    headers = {"If-Match": f'"{version}"'}
    if auth is not None:
        headers["Authorization"] = auth
    return client.post(f"/analyses/zones/{plan_id}/edits", json=body, headers=headers)


def _saved(client: TestClient, auth: dict[str, str]) -> str:
    """The id of a plan solved and saved by the planner."""
    solved = client.post("/analyses/zones", json={}, headers={"Authorization": auth["planner"]})
    assert solved.status_code == 200 and solved.json()["saved"] is True, solved.text
    return str(solved.json()["plan_id"])


def _records(location: str) -> RecordStore:
    return open_record_store(location)


def test_a_plan_and_its_history_survive_a_restart(grid_store: tuple[str, dict[str, str]]) -> None:
    location, auth = grid_store
    with _client(location) as first:
        solved = first.post("/analyses/zones", json={}, headers={"Authorization": auth["planner"]})
        assert solved.status_code == 200, solved.text
        plan_id = solved.json()["plan_id"]
        v1 = _assignment(first, f"/analyses/zones/{plan_id}")
        unit, target = _border_unit(v1, "S1")  # type: ignore[arg-type]
        move = {"moves": [{"unit": unit, "station": target}]}
        edited = _edit(first, plan_id, move, version=1, auth=auth["planner"])
        assert edited.status_code == 200, edited.text
        v2 = _assignment(first, f"/analyses/zones/{plan_id}")
    assert v2[unit] == target != v1[unit]
    with _client(location) as second:  # a new process would see the same
        current = second.get(f"/analyses/zones/{plan_id}")
        assert current.headers["ETag"] == '"2"' and current.json()["version"] == 2
        rebuilt = second.get(f"/analyses/zones/{plan_id}/report").json()
        assert rebuilt["info"] == edited.json()["info"] and rebuilt["info"]["method"]
        assert rebuilt["workload"] == edited.json()["workload"]
        assert _assignment(second, f"/analyses/zones/{plan_id}") == v2
        assert _assignment(second, f"/analyses/zones/{plan_id}/versions/1") == v1
        listed = second.get("/analyses/zones").json()["plans"]
        assert [(p["plan_id"], p["version"]) for p in listed] == [(plan_id, 2)]
        assert listed[0]["created_by"] == listed[0]["updated_by"] == "planner"
        assert listed[0]["summary"]["units"] == len(v1) and listed[0]["summary"]["ok"]
        history = second.get(f"/analyses/zones/{plan_id}/versions").json()["versions"]
        assert [h["version"] for h in history] == [1, 2]
        assert set(history[1]["changed"]) == {u for u in v1 if v1[u] != v2[u]}
        again = _edit(second, plan_id, {"locks": [_code(0, 0)]}, version=2, auth=auth["admin"])
        assert again.status_code == 200 and again.headers["ETag"] == '"3"'
        report = second.get(f"/analyses/zones/{plan_id}/report").json()
        assert report["version"] == 3 and report["updated_by"] == "admin"
        assert second.get(f"/analyses/zones/{plan_id}/versions/4").status_code == 404
    records = _records(location)
    entries = [e for e in records.audit_log() if e.target == f"zone_plan:{plan_id}"]
    assert [(e.action, e.actor) for e in entries] == [
        ("zone_plan.create", "planner"),
        ("zone_plan.edit", "planner"),
        ("zone_plan.edit", "admin"),
    ]
    assert entries[2].detail["locked"] == [_code(0, 0)] and entries[2].detail["changed"] == []
    assert records.verify_audit().ok
    records.close()


def test_a_stale_edit_is_412_and_changes_nothing(grid_store: tuple[str, dict[str, str]]) -> None:
    location, auth = grid_store
    with _client(location) as client:
        plan_id = _saved(client, auth)
        first = _edit(client, plan_id, {"locks": [_code(1, 1)]}, version=1, auth=auth["planner"])
        assert first.status_code == 200
        records = _records(location)
        before, head = records.get_plan(plan_id), records.audit_head()
        move = {"moves": [{"unit": _code(1, 2), "station": "S4"}]}
        stale = _edit(client, plan_id, move, version=1, auth=auth["planner"])
        assert stale.status_code == 412 and " / " in stale.json()["detail"]
        assert records.get_plan(plan_id) == before and before.version == 2
        assert records.audit_head() == head
        assert len(records.plan_history(plan_id)) == 2
        records.close()


def test_edits_need_a_signed_in_planner(gpkg_grid: tuple[str, dict[str, str]]) -> None:
    location, auth = gpkg_grid
    with _client(location) as client:
        solved = client.post("/analyses/zones", json={})  # solving stays open, unsaved
        assert solved.status_code == 200 and solved.json()["saved"] is False
        assert solved.json()["plan_id"] is None and "ETag" not in solved.headers
        assert solved.json()["workload"] and solved.json()["report"]
        as_viewer = client.post(
            "/analyses/zones", json={}, headers={"Authorization": auth["viewer"]}
        )
        assert as_viewer.status_code == 200 and as_viewer.json()["saved"] is False
        assert client.get("/analyses/zones").json()["plans"] == []  # nothing was saved
        forged = client.post("/analyses/zones", json={}, headers={"Authorization": "Bearer x"})
        assert forged.status_code == 401  # a token that is sent must be good
        plan_id = _saved(client, auth)
        body = {"locks": [_code(0, 0)]}
        assert _edit(client, plan_id, body, version=1, auth=None).status_code == 401
        for role in ("viewer", "inspector"):
            refused = _edit(client, plan_id, body, version=1, auth=auth[role])
            assert refused.status_code == 403 and " / " in refused.json()["detail"]
        assert client.get(f"/analyses/zones/{plan_id}").json()["version"] == 1
        assert _edit(client, plan_id, body, version=1, auth=auth["planner"]).status_code == 200


def test_concurrent_edits_on_one_version_let_one_through(
    gpkg_grid: tuple[str, dict[str, str]],
) -> None:
    store = open_store(gpkg_grid[0])
    records = open_record_store(store)
    registry = PlanRegistry(Catalog.build(store), records)
    stored = registry.solve(ZoneRequest(), actor="planner")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def editor(n: int) -> None:  # one request thread of the service each
        edit = EditRequest(locks=[_code(n % 4, n)])
        barrier.wait()
        try:
            registry.edit(stored.plan_id, edit, based_on=1, actor=f"p{n}")
            outcomes.append("saved")
        except PreconditionFailedError:
            outcomes.append("412")

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["412", "412", "412", "saved"]
    history = records.plan_history(stored.plan_id)
    assert [h.version for h in history] == [1, 2]
    assert records.verify_audit().ok
    records.close()
    store.close()


def test_changed_inputs_are_noted_and_lost_units_block_edits(
    gpkg_grid: tuple[str, dict[str, str]],
) -> None:
    location, auth = gpkg_grid
    with _client(location) as client:
        plan_id = _saved(client, auth)
        assert not any(
            "changed" in n for n in client.get(f"/analyses/zones/{plan_id}/report").json()["notes"]
        )
        store = open_store(location)
        store.import_frame(_stations(), name="stations", kind="stations")  # same, new version
        notes = client.get(f"/analyses/zones/{plan_id}/report").json()["notes"]
        assert any("stations (v1 → v2)" in n and " / " in n for n in notes), notes
        edited = _edit(client, plan_id, {"locks": [_code(0, 0)]}, version=1, auth=auth["planner"])
        assert edited.status_code == 200, edited.text
        assert not any("changed" in n for n in edited.json()["notes"])  # made on v2
        gone = _code(2, 2)
        units = _communities()
        store.import_frame(units[units["code"] != gone], name="communities", kind="communities")
        store.close()
        answer = client.get(f"/analyses/zones/{plan_id}")
        assert answer.status_code == 200
        assert gone not in _assignment(client, f"/analyses/zones/{plan_id}")
        assert any("1 units and 0 stations" in n for n in answer.json()["notes"])
        refused = _edit(client, plan_id, {"locks": [_code(0, 1)]}, version=2, auth=auth["planner"])
        assert refused.status_code == 422 and " / " in refused.json()["detail"]
        assert client.get(f"/analyses/zones/{plan_id}").json()["version"] == 2


def test_unknown_move_and_the_map_of_a_saved_plan(gpkg_grid: tuple[str, dict[str, str]]) -> None:
    location, auth = gpkg_grid
    with _client(location) as client:
        plan_id = _saved(client, auth)
        move = EditRequest(moves=[Move(unit=_code(0, 0), station="S9")]).model_dump()
        bad = _edit(client, plan_id, move, version=1, auth=auth["planner"])
        assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "moves.0.station"
        page = client.get("/maps/zones", params={"plan_id": plan_id, "version": 1})
        assert page.status_code == 200 and "v1" in page.text
        assert client.get("/maps/zones", params={"plan_id": "nope"}).status_code == 404


def test_private_reading_needs_a_reader(gpkg_grid: tuple[str, dict[str, str]]) -> None:
    location, auth = gpkg_grid
    with TestClient(create_app(Settings(store=location, public_read=False))) as client:
        assert client.get("/analyses/zones").status_code == 401
        solved = client.post("/analyses/zones", json={}, headers={"Authorization": auth["viewer"]})
        assert solved.status_code == 200 and solved.json()["saved"] is False
        plan_id = _saved(client, auth)
        listed = client.get("/analyses/zones", headers={"Authorization": auth["inspector"]})
        assert [p["plan_id"] for p in listed.json()["plans"]] == [plan_id]
        assert client.get("/maps/zones", params={"plan_id": plan_id}).status_code == 401
