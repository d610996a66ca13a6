"""The community-proposal routes as the OpenAPI document describes them: real answers of a
run (saved, with geometry, and unsaved), the list, a proposal, its history, an edit, an
acceptance and their refusals (401, 403, 404, 409, 412, 422, 428) validate against the
schemas declared for that operation and status."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from tests.api.test_communities import BIG
from tests.api.test_communities_proposals import fill_town
from tests.api.test_openapi_document import check, declared, validate

RESIZE = "/analyses/communities"
ONE = "/analyses/communities/proposals/{proposal_id}"
OPERATIONS = [
    ("POST", RESIZE),
    ("GET", RESIZE + "/proposals"),
    ("GET", ONE),
    ("GET", ONE + "/versions"),
    ("POST", ONE + "/edits"),
    ("POST", ONE + "/accept"),
]


@pytest.fixture
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    """The small town of tests/api/test_communities.py with a planner and a viewer."""
    path = tmp_path_factory.mktemp("openapi_communities") / "town.gpkg"
    headers = {k: {"Authorization": v} for k, v in fill_town(str(path)).items()}
    with TestClient(create_app(Settings(store=str(path)))) as client:
        yield client, headers
    shutil.rmtree(Path(path).parent, ignore_errors=True)


def test_runs_and_stored_proposals_match_their_models(town: tuple[TestClient, dict]) -> None:
    client, auth = town
    document = client.get("/openapi.json").json()
    for method, path in OPERATIONS:  # a model, whose members are closed (no extra keys)
        model = declared(document, method, path, 200)["$ref"].rsplit("/", 1)[-1]
        assert document["components"]["schemas"][model]["additionalProperties"] is False
    plain = client.post(RESIZE, json={})
    assert plain.status_code == 200 and "proposal_id" not in plain.json()["proposals"][0]
    check(document, plain, "POST", RESIZE)
    saved = client.post(RESIZE, params={"save": "true", "geometry": "true"}, json={})
    assert saved.status_code == 200, saved.text
    check(document, saved, "POST", RESIZE)
    assert saved.json()["parts"]["type"] == "FeatureCollection"
    proposal = saved.json()["proposals"][0]
    url = f"/analyses/communities/proposals/{proposal['proposal_id']}"
    check(document, client.get("/analyses/communities/proposals"), "GET", RESIZE + "/proposals")
    read = client.get(url)
    check(document, read, "GET", ONE)
    geojson = client.get(url, params={"format": "geojson"})
    assert geojson.headers["content-type"].startswith("application/geo+json")
    assert "application/geo+json" in document["paths"][ONE]["get"]["responses"]["200"]["content"]
    check(document, client.get(f"{url}/versions"), "GET", ONE + "/versions")
    block = f"{BIG}-001"
    other = next(c for c in proposal["codes"] if c != read.json()["assignment"][block])
    edit = {"moves": [{"block": block, "part": other}]}
    planner = {**auth["planner"], "If-Match": '"1"'}
    edited = client.post(f"{url}/edits", json=edit, headers=planner)
    assert edited.status_code == 200, edited.text
    check(document, edited, "POST", ONE + "/edits")
    accepted = client.post(
        f"{url}/accept", json={"confirm": True}, headers={**planner, "If-Match": '"2"'}
    )
    assert accepted.status_code == 200, accepted.text
    check(document, accepted, "POST", ONE + "/accept")
    assert accepted.json()["dropped"] == proposal["replaces"]


def test_refusals_of_the_proposal_routes_match_the_document(
    town: tuple[TestClient, dict],
) -> None:
    client, auth = town
    document = client.get("/openapi.json").json()
    saved = client.post(RESIZE, params={"save": "true"}, json={})
    url = f"/analyses/communities/proposals/{saved.json()['proposals'][0]['proposal_id']}"
    edit, planner, viewer = {"names": {"x": "y"}}, auth["planner"], auth["viewer"]
    one, stale = {**planner, "If-Match": '"1"'}, {**planner, "If-Match": '"7"'}
    edits, accept = f"{url}/edits", f"{url}/accept"
    answers = [
        (401, ONE + "/edits", client.post(edits, json=edit, headers={"If-Match": '"1"'})),
        (403, ONE + "/edits", client.post(edits, json=edit, headers={**viewer, "If-Match": '"1"'})),
        (404, ONE, client.get("/analyses/communities/proposals/nope")),
        (412, ONE + "/edits", client.post(edits, json=edit, headers=stale)),
        (422, ONE + "/accept", client.post(accept, json={}, headers=one)),
        (428, ONE + "/accept", client.post(accept, json={"confirm": True}, headers=planner)),
    ]
    for status, path, answer in answers:
        assert answer.status_code == status, (status, answer.text)
        check(document, answer, answer.request.method, path)
    # the layers changed since the proposal was saved: accepting it is a 409
    changed = _accept_after_change(client, planner)
    assert changed.status_code == 409, changed.text
    validate(changed.json(), declared(document, "POST", ONE + "/accept", 409), document)


def _accept_after_change(client: TestClient, planner: dict[str, str]) -> Any:
    first, second = (
        client.post(RESIZE, params={"save": "true"}, json={}).json()["proposals"][0]
        for _ in range(2)
    )
    confirm = {"confirm": True}
    done = client.post(
        f"/analyses/communities/proposals/{first['proposal_id']}/accept",
        json=confirm,
        headers={**planner, "If-Match": '"1"'},
    )
    assert done.status_code == 200, done.text
    return client.post(
        f"/analyses/communities/proposals/{second['proposal_id']}/accept",
        json=confirm,
        headers={**planner, "If-Match": '"1"'},
    )
