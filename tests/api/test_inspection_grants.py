"""Submissions on cached grants (``api.grants``) never outlive an access change: with two
services on one store (two processes of one server, each with its own cache), a token
revoked, a user disabled or given a new password through one of them, or through the
store as the CLI does it, is refused (401) at once by the other, whose cache still holds
the token; nothing is stored for the refused request. A refusal is never told from the
cache: a membership added after a 403 lets the next submission in. Both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import issue_token, token_digest
from api.grants import Grants
from layers.records import RecordFilter, User
from tests.api.test_inspection_kit import CAMPAIGN, Kit, build_kit, make_app, marker_body

Pair = tuple[TestClient, TestClient]


@pytest.fixture(scope="module")
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    with build_kit(new_location("grants")) as kit:
        yield kit


@pytest.fixture(scope="module")
def services(kit: Kit) -> Iterator[Pair]:
    """Two services on the kit's store: each has its own connections and cache."""
    with TestClient(make_app(kit.location)) as one, TestClient(make_app(kit.location)) as two:
        yield one, two


def _inspector(kit: Kit, name: str, *, member: bool = True) -> dict[str, str]:
    """A new inspector (a member of the kit's campaign unless told) and their token."""
    kit.records.add_user(User(name, "inspector", name, "!"), actor="cli")
    if member:
        kit.records.add_member(CAMPAIGN, name, side="left", actor="cli")
    token, _ = issue_token(kit.records, name, actor="cli")
    return {"Authorization": f"Bearer {token}"}


def _cached(client: TestClient, headers: dict[str, str]) -> bool:
    grants: Grants = client.app.state.grants  # type: ignore[attr-defined]
    return grants.holds(token_digest(headers["Authorization"].removeprefix("Bearer ")))


def _stored(kit: Kit, record_id: str) -> bool:
    return any(
        r.record_id == record_id for r in kit.records.list_records("marker", RecordFilter())[0]
    )


def _warm(services: Pair, headers: dict[str, str]) -> None:
    """Submit through both services, so both caches hold the token."""
    for client in services:
        assert client.post("/inspections", json=marker_body(), headers=headers).status_code == 201
        assert _cached(client, headers)


CHANGES: dict[str, Callable[[Kit, TestClient, str], Any]] = {
    "revoke (http)": lambda kit, two, name: two.post(
        f"/users/{name}/revoke", headers=kit.auth("admin")
    ),
    "disable (http)": lambda kit, two, name: two.post(
        f"/users/{name}/disable", headers=kit.auth("admin")
    ),
    "password (http)": lambda kit, two, name: two.put(
        f"/users/{name}/password",
        json={"password": "a much longer new pass 7"},
        headers=kit.auth("admin"),
    ),
    "revoke (store)": lambda kit, two, name: kit.records.revoke_tokens(name, actor="cli"),
    "disable (store)": lambda kit, two, name: kit.records.update_user(
        name, active=False, actor="cli"
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_an_access_change_refuses_the_next_submission_of_a_cached_token(
    kit: Kit, services: Pair, change: str
) -> None:
    one, two = services
    name = f"g{list(CHANGES).index(change)}"
    headers = _inspector(kit, name)
    _warm(services, headers)
    done = CHANGES[change](kit, two, name)
    assert getattr(done, "status_code", 200) == 200, getattr(done, "text", "")
    assert _cached(one, headers)  # the other service's cache still holds the token
    body = marker_body()
    refused = one.post("/inspections", json=body, headers=headers)
    assert refused.status_code == 401, refused.text
    assert not _stored(kit, body["record_id"])
    segment = {**body, "marker_no": None}  # a bad body is refused as unsigned too, not 422
    assert one.post("/inspections", json=segment, headers=headers).status_code == 401
    assert one.post("/inspections/segments", json={}, headers=headers).status_code == 401
    assert two.post("/inspections", json=body, headers=headers).status_code == 401


def test_a_cached_grant_never_answers_a_check_for_a_revoked_token(kit: Kit, services: Pair) -> None:
    one, _ = services
    headers = _inspector(kit, "g_check")
    _warm(services, headers)
    kit.records.revoke_tokens("g_check", actor="cli")
    unknown_marker = marker_body("9999999Z")  # refused by the register check (422) when valid
    assert one.post("/inspections", json=unknown_marker, headers=headers).status_code == 401


def test_a_refusal_is_not_cached_a_new_membership_acts_at_once(kit: Kit, services: Pair) -> None:
    one, two = services
    headers = _inspector(kit, "g_new", member=False)
    assert one.post("/inspections", json=marker_body(), headers=headers).status_code == 403
    assert _cached(one, headers)
    kit.records.add_member(CAMPAIGN, "g_new", side="right", actor="cli")
    body = marker_body()
    assert one.post("/inspections", json=body, headers=headers).status_code == 201
    assert two.post("/inspections", json=marker_body(), headers=headers).status_code == 201
    assert _stored(kit, body["record_id"])


def test_writes_on_a_warm_cache_keep_replays_and_conflicts(kit: Kit, services: Pair) -> None:
    one, two = services
    headers = _inspector(kit, "g_replay")
    _warm(services, headers)
    body = marker_body()
    first = one.post("/inspections", json=body, headers=headers)
    assert first.status_code == 201
    replay = two.post("/inspections", json=body, headers=headers)
    assert replay.status_code == 200 and replay.json() == first.json()
    changed = one.post("/inspections", json={**body, "condition": "损坏"}, headers=headers)
    assert changed.status_code == 409
    verified = one.get("/inspections/audit/verify", headers=kit.auth("admin")).json()
    assert verified["ok"]
