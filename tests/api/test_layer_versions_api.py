"""Layer history and restore over HTTP: admins only, the restore is a new version with an
audit entry, and the catalog sees it (on a GeoPackage and on PostGIS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from layers.store import open_store
from tests.api.test_inspection_kit import Kit, build_kit, make_app


@pytest.fixture(scope="module")
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    with build_kit(new_location("versions")) as kit:
        yield kit


@pytest.fixture(scope="module")
def client(kit: Kit) -> Iterator[TestClient]:
    with TestClient(make_app(kit.location)) as test_client:
        yield test_client


def test_history_and_restore_need_an_admin(client: TestClient, kit: Kit) -> None:
    url = "/collections/markers/versions"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=kit.auth("planner")).status_code == 403
    assert client.post(f"{url}/1/restore", headers=kit.auth("planner")).status_code == 403
    assert client.get("/collections/nowhere/versions", headers=kit.auth("admin")).status_code == 404


def test_restore_is_a_new_version_with_an_audit_entry(client: TestClient, kit: Kit) -> None:
    store = open_store(kit.location)
    try:
        before = store.read("markers")
        store.write("markers", before.iloc[:2], kind="markers", source="edit by test")
    finally:
        store.close()
    admin = kit.auth("admin")
    history = client.get("/collections/markers/versions", headers=admin).json()["versions"]
    assert [(v["version"], v["row_count"], v["kept"], v["current"]) for v in history] == [
        (1, len(before), True, False),
        (2, 2, False, True),
    ]
    assert history[1]["source"] == "edit by test" and history[1]["updated_at_beijing"]
    conflict = client.post("/collections/markers/versions/2/restore", headers=admin)
    assert conflict.status_code == 409
    answer = client.post("/collections/markers/versions/1/restore", headers=admin)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["version"], answer.json()["count"]) == (3, len(before))
    items = client.get("/collections/markers/items?limit=100").json()
    assert items["numberMatched"] == len(before)
    entry = kit.records.audit_log()[-1]
    assert (entry.action, entry.target, entry.actor) == ("layer.restore", "markers", "admin")
