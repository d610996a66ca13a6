"""Stored resize proposals (``/analyses/communities/proposals``) on the small town of
tests/api/test_communities.py: saved by a run, read at any version, edited by a planner with
If-Match (a stale edit 412, nothing saved), kept apart from zone plans, and accepted as the
communities layer (asked first; refused once the layers changed); on both store backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from api.config import Settings
from layers.records import User, open_record_store
from layers.store import open_store
from tests.api.test_communities import BIG, MID, SMALL, _town
from tests.api.test_features_rules import audit_refused

URL = "/analyses/communities/proposals"


@pytest.fixture
def town_client(
    new_location: Callable[[str], str],
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The town on each store backend (GeoPackage, PostGIS), with planner and viewer."""
    copy = new_location("town")
    headers = fill_town(copy)
    with TestClient(create_app(Settings(store=copy))) as client:
        yield client, headers


def fill_town(location: str) -> dict[str, str]:
    """The town's layers in the new store at ``location``, and the ``Authorization`` value
    of a planner and a viewer."""
    store = open_store(location)
    for kind, frame in _town().items():
        store.import_frame(frame, name=kind, kind=kind)
    records = open_record_store(store)
    headers = {}
    for role in ("planner", "viewer"):
        records.add_user(User(role, role, role.title(), "not-a-password-hash"), actor="test")
        headers[role] = f"Bearer {issue_token(records, role, actor='test')[0]}"
    records.close()
    store.close()
    return headers


def _saved(client: TestClient) -> dict[str, Any]:
    r = client.post("/analyses/communities", params={"save": "true"}, json={})
    assert r.status_code == 200, r.text
    (proposal,) = r.json()["proposals"]
    assert proposal["proposal_id"]
    return dict(proposal)


def test_save_read_edit_and_history(town_client: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = town_client
    saved = _saved(client)
    url = f"{URL}/{saved['proposal_id']}"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    body = first.json()
    assert body["codes"] == saved["codes"] and body["status"] == "proposed"
    listed = client.get(URL).json()["proposals"]
    assert [p["plan_id"] for p in listed] == [saved["proposal_id"]]
    assert client.get("/analyses/zones").json()["plans"] == []  # kept apart from zone plans
    assert client.get(f"/analyses/zones/{saved['proposal_id']}").status_code == 404
    block = f"{BIG}-001"
    other = next(c for c in saved["codes"] if c != body["assignment"][block])
    edit = {"moves": [{"block": block, "part": other}], "names": {other: "新名社区"}}
    anonymous = client.post(f"{url}/edits", json=edit, headers={"If-Match": '"1"'})
    assert anonymous.status_code == 401
    viewer = {"If-Match": '"1"', "Authorization": headers["viewer"]}
    assert client.post(f"{url}/edits", json=edit, headers=viewer).status_code == 403
    planner = {"Authorization": headers["planner"]}
    assert client.post(f"{url}/edits", json=edit, headers=planner).status_code == 428
    r = client.post(f"{url}/edits", json=edit, headers={**planner, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"' and "新名社区" in r.json()["names"]
    stale = client.post(f"{url}/edits", json=edit, headers={**planner, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.get(url).headers["ETag"] == '"2"'
    moved = client.get(url, params={"format": "geojson"}).json()["features"]
    assert client.get(url).json()["assignment"][block] == other
    households = [f["properties"]["households"] for f in moved]
    assert all(1000 <= h <= 3000 for h in households) and sum(households) == 4000
    assert client.get(url, params={"version": 1}).json()["names"] == body["names"]
    versions = client.get(f"{url}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2] and block in versions[1]["changed"]
    bad = {"moves": [{"block": "nope", "part": other}]}
    r = client.post(f"{url}/edits", json=bad, headers={**planner, "If-Match": '"2"'})
    assert r.status_code == 422 and "moves.0.block" in r.text
    assert client.get(f"{URL}/nope").status_code == 404
    page = client.get("/maps/communities", params={"proposal_id": saved["proposal_id"]})
    assert page.status_code == 200 and "新名社区" in page.text
    old = {"proposal_id": saved["proposal_id"], "version": 1}
    assert "新名社区" not in client.get("/maps/communities", params=old).text
    assert client.get("/maps/communities", params={"proposal_id": "nope"}).status_code == 404


def test_accept_asks_then_writes_and_refuses_when_layers_changed(
    town_client: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = town_client
    saved = _saved(client)
    again = _saved(client)
    url = f"{URL}/{saved['proposal_id']}/accept"
    planner = {"Authorization": headers["planner"], "If-Match": '"1"'}
    layer_version = client.app.state.store.info("communities").version
    asked = client.post(url, json={}, headers=planner)
    assert asked.status_code == 422 and BIG in asked.text and "confirm" in asked.text
    entries = len(client.app.state.records.audit_log())
    with audit_refused(client.app.state.store):  # type: ignore[attr-defined]
        refused = client.post(url, json={"confirm": True}, headers=planner)
    assert refused.status_code == 503 and "audit log unavailable" in refused.text
    assert client.app.state.store.info("communities").version == layer_version  # unchanged
    assert len(client.app.state.records.audit_log()) == entries
    r = client.post(url, json={"confirm": True}, headers=planner)
    assert r.status_code == 200, r.text
    assert r.json()["dropped"] == [BIG] and r.json()["layer"]["count"] == 4
    assert r.json()["layer"]["version"] > layer_version  # a new version of the layer
    entry = client.app.state.records.audit_log()[-1]
    assert entry.action == "community_proposal.accept" and entry.actor == "planner"
    assert entry.detail["dropped"] == [BIG] and entry.detail["added"] == saved["codes"]
    items = client.get("/collections/communities/items").json()["features"]
    codes = {f["properties"]["code"] for f in items}
    assert codes == {SMALL, MID, *saved["codes"]}
    late = client.post(
        f"{URL}/{again['proposal_id']}/accept", json={"confirm": True}, headers=planner
    )
    assert late.status_code == 409 and " / " in late.json()["detail"]
