"""The ``/inspections`` API on a PostGIS store: the same world as ``test_inspection_api``
(its tests that need no file snapshot run here again, on PostGIS), and the guarantees that
compare snapshots (replays, bad input, stale ``If-Match`` change nothing; every write is
audited), with a snapshot of the PostGIS tables."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.auth import hash_password, issue_token
from api.routes.inspection_photos import get_photo_limit
from layers.records import Campaign, User
from layers.records.postgis import PostGISRecordStore
from layers.store.postgis import PostGISStore
from tests.api.test_inspection_api import (  # run again here, on PostGIS
    BAD_BODIES,
    JPEG,
    submit,
    test_flags_on_arrival,
    test_gcj02_positions_are_converted,
    test_parallel_replays_leave_one_record,
    test_review_workflow,
    upload,
)
from tests.api.test_inspection_kit import (
    CAMPAIGN,
    PASSWORD,
    USERS,
    Kit,
    make_app,
    marker_body,
    write_layers,
)
from tests.pg import Cluster, fresh_schema

__all__ = [
    "test_flags_on_arrival",
    "test_gcj02_positions_are_converted",
    "test_parallel_replays_leave_one_record",
    "test_review_workflow",
]

TABLES = [
    "mzgis_marker_inspections", "mzgis_segment_checks", "mzgis_photos", "mzgis_reviews",
    "mzgis_audit", "mzgis_users", "mzgis_tokens", "mzgis_campaigns", "mzgis_campaign_members",
]  # fmt: skip


def build_pg_kit(url: str) -> Kit:
    """The inspection kit's world (layers, users with tokens, campaign) in PostGIS."""
    store = PostGISStore(url)
    write_layers(store)  # type: ignore[arg-type]
    records = PostGISRecordStore(store)
    password_hash = hash_password(PASSWORD)
    for name, (role, _) in USERS.items():
        records.add_user(User(name, role, name.title(), password_hash), actor="cli")  # type: ignore[arg-type]
    campaign = Campaign(
        CAMPAIGN, "0001", 1, 2025, "2025年东城区—西城区界线联检", "110101", "东城区",
        "110102", "西城区",
    )  # fmt: skip
    records.add_campaign(campaign, actor="planner")
    for name, (_, side) in USERS.items():
        if side is not None:
            records.add_member(CAMPAIGN, name, side=side, actor="planner")
    tokens = {name: issue_token(records, name, actor="cli")[0] for name in USERS}
    return Kit(url, records, tokens)  # type: ignore[arg-type]


def pg_snapshot(kit: Kit) -> dict[str, Any]:
    """Row counts of every record table, the audit head and every record's version."""
    url = str(kit.path)
    schema = parse_qs(urlsplit(url).query)["schema"][0]
    with psycopg.connect(url.split("?", maxsplit=1)[0]) as con:
        counts = {t: con.execute(f"SELECT COUNT(*) FROM {schema}.{t}").fetchone() for t in TABLES}
        head = con.execute(
            f"SELECT hash FROM {schema}.mzgis_audit ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        versions = con.execute(
            f"SELECT string_agg(record_id || ':' || version, ',' ORDER BY fid) "
            f"FROM {schema}.mzgis_marker_inspections"
        ).fetchone()
    return {**counts, "head": head, "versions": versions}


@pytest.fixture(scope="module")
def kit(pg_cluster: Cluster) -> Kit:
    return build_pg_kit(f"{pg_cluster.url}?schema={fresh_schema('insp')}")


@pytest.fixture(scope="module")
def client(kit: Kit) -> Iterator[TestClient]:
    app = make_app(kit.path)
    app.dependency_overrides[get_photo_limit] = lambda: 4096
    with TestClient(app) as test_client:
        yield test_client


def test_replay_is_stored_once_and_a_changed_body_changes_nothing(
    client: TestClient, kit: Kit
) -> None:
    body = marker_body()
    first = submit(client, kit, body)
    assert first.status_code == 201, first.text
    replay = submit(client, kit, body)
    assert (replay.status_code, replay.json()) == (200, first.json())
    before = pg_snapshot(kit)
    assert submit(client, kit, {**body, "condition": "损坏"}).status_code == 409
    for case, bad in BAD_BODIES.items():
        answer = submit(client, kit, {**marker_body(), **bad}, user="admin")
        assert 400 <= answer.status_code < 500, (case, answer.text)
    assert pg_snapshot(kit) == before


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient, kit: Kit) -> None:
    created = submit(client, kit, marker_body("0001003B"))
    rid, etag = created.json()["record_id"], created.headers["etag"]
    url, auth = f"/inspections/{rid}", kit.auth("insp_left")
    updated = client.patch(url, json={"notes": "一"}, headers={**auth, "If-Match": etag})
    assert updated.status_code == 200
    before = pg_snapshot(kit)
    stale = client.patch(url, json={"notes": "二"}, headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    assert pg_snapshot(kit) == before
    assert client.get(url, headers=kit.auth("viewer")).json()["notes"] == "一"


def test_every_write_is_audited_and_the_chain_verifies(client: TestClient, kit: Kit) -> None:
    start = len(kit.records.audit_log())
    body = marker_body(photos=[{"sha256": hashlib.sha256(JPEG).hexdigest()}])
    created = submit(client, kit, body)
    submit(client, kit, body)  # a replay writes nothing
    rid, etag = created.json()["record_id"], created.headers["etag"]
    patched = client.patch(
        f"/inspections/{rid}",
        json={"notes": "n"},
        headers={**kit.auth("insp_left"), "If-Match": etag},
    )
    assert upload(client, kit, rid, JPEG).status_code == 201
    approve = {**kit.auth("planner"), "If-Match": patched.headers["etag"]}
    client.post(f"/inspections/{rid}/review", json={"state": "approved"}, headers=approve)
    actions = [(e.action, e.actor) for e in kit.records.audit_log()[start:]]
    assert actions == [
        ("record.create", "insp_left"),
        ("record.update", "insp_left"),
        ("photo.add", "insp_left"),
        ("record.review", "planner"),
    ]
    assert client.get("/inspections/audit/verify", headers=kit.auth("admin")).json()["ok"]
    photo = client.get(
        f"/inspections/{rid}/photos/{hashlib.sha256(JPEG).hexdigest()}",
        headers=kit.auth("viewer"),
    )
    assert photo.content == JPEG
