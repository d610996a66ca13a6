"""Values at the edges that once gave 500s: huge offsets and sequence numbers, dates in
year 1 or 9999 with a ±14 h offset and dates in the future, NUL characters, an update that
nulls a required field, a stale ETag on an invalid change; each is a 4xx and changes
nothing; on a GeoPackage and on PostGIS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_inspection_kit import Kit, build_kit, make_app, marker_body, segment_body

HUGE = str(2**63)


@pytest.fixture(scope="module")
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    with build_kit(new_location("edges")) as kit:
        yield kit


@pytest.fixture(scope="module")
def client(kit: Kit) -> Iterator[TestClient]:
    with TestClient(make_app(kit.location)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "path",
    [
        f"/inspections?offset={HUGE}",
        f"/inspections/segments?offset={HUGE}",
        f"/inspections/audit?after_seq={HUGE}",
        f"/analyses/zones?offset={HUGE}",
        f"/collections/markers/items?offset={HUGE}",
        f"/analyses/communities/proposals?offset={HUGE}",
        f"/layers/markers/rows?offset={HUGE}",
        "/inspections?offset=9007199254740993",
    ],
)
def test_offsets_past_2_53_are_400(client: TestClient, kit: Kit, path: str) -> None:
    answer = client.get(path, headers=kit.auth("admin"))
    assert answer.status_code == 400, answer.text
    assert answer.json()["problems"][0]["field"] in ("offset", "after_seq")


def _future() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("inspected_at", "0001-01-01T00:00:00+14:00"),
        ("inspected_at", "9999-12-31T23:59:59-14:00"),
        ("inspected_at", "1900-01-01T00:00:00+08:00"),
        ("inspected_at", "future"),
        ("notes", "before\u0000after"),
    ],
)
def test_records_refuse_dates_out_of_range_and_nul(
    client: TestClient, kit: Kit, field: str, value: str
) -> None:
    before = kit.records.audit_head()
    body = marker_body(**{field: _future() if value == "future" else value})
    answer = client.post("/inspections", json=body, headers=kit.auth("insp_left"))
    assert answer.status_code == 422, answer.text
    assert kit.records.audit_head() == before
    segment = segment_body(checked_at="0001-01-01T00:00:00+14:00")
    assert (
        client.post(
            "/inspections/segments", json=segment, headers=kit.auth("insp_left")
        ).status_code
        == 422
    )


def test_nul_in_a_parameter_is_400(client: TestClient, kit: Kit) -> None:
    answer = client.get("/inspections?q=a%00b", headers=kit.auth("admin"))
    assert answer.status_code == 400


def _created(client: TestClient, kit: Kit) -> Any:
    answer = client.post("/inspections", json=marker_body(), headers=kit.auth("insp_left"))
    assert answer.status_code == 201, answer.text
    return answer


def test_an_update_nulling_a_required_field_is_422(client: TestClient, kit: Kit) -> None:
    created = _created(client, kit)
    url = f"/inspections/{created.json()['record_id']}"
    headers = {**kit.auth("insp_left"), "If-Match": created.headers["ETag"]}
    answer = client.patch(url, json={"condition": None}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["problems"][0]["field"] == "condition"
    future = client.patch(url, json={"inspected_at": _future()}, headers=headers)
    assert future.status_code == 422


def test_a_stale_etag_is_412_before_the_change_is_looked_at(client: TestClient, kit: Kit) -> None:
    created = _created(client, kit)
    url = f"/inspections/{created.json()['record_id']}"
    headers = {**kit.auth("insp_left"), "If-Match": created.headers["ETag"]}
    changed = client.patch(url, json={"notes": "补记"}, headers=headers)
    assert changed.status_code == 200, changed.text
    stale = client.patch(url, json={"condition": None}, headers=headers)  # invalid and stale
    assert stale.status_code == 412, stale.text


def test_an_empty_existing_layer_is_400(client: TestClient) -> None:
    answer = client.get("/maps/siting?existing=")
    assert answer.status_code == 400 and answer.json()["problems"][0]["field"] == "existing"


def test_a_model_a_route_builds_from_the_query_refuses_with_422(client: TestClient) -> None:
    answer = client.get("/maps/communities", params={"codes": "0" * 65})
    assert answer.status_code == 422, answer.text
    assert answer.json()["problems"][0]["field"] == "codes.0"
