"""What only a PostGIS store adds to the ``/inspections`` API (every other inspection test runs
on both backends): the service connecting as the role ``mzgis store grant`` set up can use
every endpoint yet cannot rewrite the audit log, and several services sharing one schema (as
on a department's server) keep the guarantees of one: a replayed UUID is stored once and of
two edits based on the same version exactly one wins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.test_inspection_kit import PASSWORD, build_kit, make_app, marker_body
from tests.api.test_inspection_matrix import (
    CALLS,
    CHANGES_TARGET,
    EXPECTED,
    add_managed_users,
    fresh_target,
)
from tests.pg import Cluster, fresh_schema


def test_the_granted_service_role_uses_every_endpoint_but_cannot_rewrite_the_audit(
    pg_cluster: Cluster,
) -> None:
    schema, role = fresh_schema("insp"), fresh_schema("svc")
    with psycopg.connect(pg_cluster.url, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'svc-pw'")
    owner_kit = build_kit(f"{pg_cluster.url}?schema={schema}")  # the administrator's set-up
    add_managed_users(owner_kit.records, ("admin",))
    owner_kit.close()
    granted = CliRunner().invoke(cli, ["store", "grant", role, "--store", owner_kit.location])
    assert granted.exit_code == 0, granted.output
    service = pg_cluster.url_for(role, "svc-pw")
    with TestClient(make_app(f"{service}?schema={schema}")) as client:
        shared = fresh_target(client, owner_kit)
        for endpoint, call in CALLS.items():
            assert "admin" in EXPECTED[endpoint]
            target = fresh_target(client, owner_kit) if endpoint in CHANGES_TARGET else shared
            answer = call(client, owner_kit.auth("admin"), target, "admin")
            assert 200 <= answer.status_code < 300, (endpoint, answer.text)
        signed = client.post("/auth/token", data={"username": "viewer", "password": PASSWORD})
        assert signed.status_code == 200
        verified = client.get("/inspections/audit/verify", headers=owner_kit.auth("admin"))
        assert verified.json()["ok"] and verified.json()["entries"] > len(CALLS)
    with psycopg.connect(service, autocommit=True) as con:
        for statement in (
            "UPDATE {}.mzgis_audit SET actor = 'mallory'",
            "DELETE FROM {}.mzgis_audit",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(statement.format(schema).encode())


def test_two_services_on_one_schema_keep_the_guarantees_of_one(pg_url: str) -> None:
    with (
        build_kit(pg_url) as kit,
        TestClient(make_app(pg_url)) as one,
        TestClient(make_app(pg_url)) as two,  # its own connections, as another process
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        services, auth = (one, two), kit.auth("insp_left")

        def post(i: int, body: dict[str, Any]) -> Any:
            return services[i % 2].post("/inspections", json=body, headers=auth)

        body = marker_body("0001004A")
        replays = list(pool.map(lambda i: post(i, body).status_code, range(40)))
        assert sorted(replays) == [200] * 39 + [201]
        fresh = list(pool.map(lambda i: post(i, marker_body()).status_code, range(20)))
        assert fresh == [201] * 20
        url = f"/inspections/{body['record_id']}"
        etag = one.get(url, headers=auth).headers["etag"]

        def edit(i: int) -> Any:
            headers = {**auth, "If-Match": etag}
            return services[i % 2].patch(url, json={"notes": f"edit {i}"}, headers=headers)

        edits = list(pool.map(edit, range(10)))
        codes = [e.status_code for e in edits]
        assert sorted(codes) == [200] + [412] * 9  # no lost update
        winner = edits[codes.index(200)].json()
        stored = two.get(url, headers=auth).json()
        assert (stored["notes"], stored["version"]) == (winner["notes"], 2)
        snapshot = kit.snapshot()
        assert kit.records.verify_audit().ok
    actions = [e.action for e in snapshot["audit"]]
    assert len(snapshot["marker"]) == actions.count("record.create") == 1 + 20
    assert actions.count("record.update") == 1
