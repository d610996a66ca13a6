"""What only the PostGIS record store does: the database itself keeps the audit log
append-only (triggers for everyone, and the service's role may only read and append it),
migrations run once, and several service processes writing at once lose nothing."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from layers import ConflictError
from layers.records import Campaign, RecordFilter, User, open_record_store
from layers.records.postgis import PostGISRecordStore, grant_app_role
from layers.store.postgis import PostGISStore
from tests.layers.test_store import stations
from tests.pg import Cluster, fresh_schema

CAMPAIGN = Campaign("2025-0001", "0001", 1, 2025, "test", "110101", "东城区", "110102", "西城区")
BODY = {"marker_no": "0001003B", "condition": "完好", "inspected_at": "2025-04-08T01:30:00Z"}
COMPUTED = {"lon": 116.39, "lat": 39.90, "flags": []}


def seed(records: PostGISRecordStore) -> None:
    records.add_user(User("alice", "inspector", "Alice", "hash"), actor="cli")
    records.add_campaign(CAMPAIGN, actor="cli")


def submit(records: PostGISRecordStore, record_id: str | None = None) -> tuple[object, bool]:
    return records.create_record(
        "marker",
        record_id=record_id or str(uuid.uuid4()),
        campaign_id=CAMPAIGN.campaign_id,
        line_code="0001",
        body=BODY,
        computed=COMPUTED,
        actor="alice",
    )


@pytest.fixture
def shared(pg_cluster: Cluster) -> Iterator[tuple[str, str, str]]:
    """``(owner URL, app URL, schema)``: a store set up by its owner, used by an app role
    that was granted it (as a department's administrator would set it up)."""
    schema, role = fresh_schema(), fresh_schema("app")
    with psycopg.connect(pg_cluster.url, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-pw'")
    owner_url = f"{pg_cluster.url}?schema={schema}"
    owner = PostGISStore(owner_url)
    owner.write("stations", stations(3), kind="stations")  # stored before the grant
    seed(PostGISRecordStore(owner))
    grant_app_role(owner, role)
    owner.close()
    yield owner_url, f"{pg_cluster.url_for(role, 'app-pw')}?schema={schema}", schema


def test_the_app_role_writes_but_cannot_rewrite_history(shared: tuple[str, str, str]) -> None:
    _, app_url, schema = shared
    app = open_record_store(app_url)
    _, created = submit(app)  # type: ignore[arg-type]
    assert created
    app.audit("report.export", "campaign:2025-0001", {"format": "html"}, actor="bob")
    layers = PostGISStore(app_url)
    assert layers.write("stations", stations(5), kind="stations").version == 2
    assert layers.write("new_layer", stations(1), kind="stations").version == 1
    layers.put_artifact("walking_network", b"v1", key="roads:1")  # the network cache
    layers.put_artifact("walking_network", b"v2", key="roads:2")  # replaced when stale
    assert layers.get_artifact("walking_network", key="roads:2") == b"v2"
    layers.close()
    refused = {
        f"UPDATE {schema}.mzgis_audit SET actor = 'mallory'": "permission denied",
        f"DELETE FROM {schema}.mzgis_audit": "permission denied",
        f"TRUNCATE {schema}.mzgis_audit": "permission denied",
        f"DROP TRIGGER mzgis_audit_no_change ON {schema}.mzgis_audit": "must be owner",
        f"ALTER TABLE {schema}.mzgis_audit DISABLE TRIGGER ALL": "must be owner",
        f"DELETE FROM {schema}.mzgis_layers_history": "permission denied",
        f"INSERT INTO {schema}.mzgis_audit VALUES (99, 'now', 'm', 'x', 't', '{{}}', 'x', 'y')": (
            "out of chain"
        ),
    }
    with psycopg.connect(app_url.split("?", maxsplit=1)[0], autocommit=True) as con:
        for statement, reason in refused.items():
            with pytest.raises(psycopg.Error, match=reason):
                con.execute(statement)
    assert app.verify_audit().ok
    assert [e.action for e in app.audit_log()][-2:] == ["record.create", "report.export"]
    app.close()


def test_even_the_owner_is_stopped_and_tampering_shows(shared: tuple[str, str, str]) -> None:
    owner_url, _, schema = shared
    records = open_record_store(owner_url)
    submit(records)  # type: ignore[arg-type]
    log = records.audit_log()
    with psycopg.connect(owner_url.split("?", maxsplit=1)[0], autocommit=True) as con:
        for statement in (
            f"UPDATE {schema}.mzgis_audit SET actor = 'mallory'",
            f"DELETE FROM {schema}.mzgis_audit WHERE seq = 1",
            f"TRUNCATE {schema}.mzgis_audit",
        ):
            with pytest.raises(psycopg.Error, match="append-only"):
                con.execute(statement)
        # an owner who drops the trigger can edit a row, but the chain shows it
        con.execute(f"ALTER TABLE {schema}.mzgis_audit DISABLE TRIGGER mzgis_audit_no_change")
        con.execute(f"UPDATE {schema}.mzgis_audit SET detail = '{{}}' WHERE seq = 2")
    check = records.verify_audit()
    assert not check.ok
    assert check.first_bad_seq == 2
    assert records.audit_log()[0] == log[0]
    records.close()


def test_migrations_run_once(pg_url: str) -> None:
    schema = pg_url.split("schema=")[1]
    for _ in range(2):
        open_record_store(pg_url).close()
    with psycopg.connect(pg_url.split("?", maxsplit=1)[0]) as con:
        steps = con.execute(
            f"SELECT component, step FROM {schema}.mzgis_migrations ORDER BY component, step"
        ).fetchall()
    assert steps == [
        ("layers", 1), ("layers", 2), ("layers", 3), ("records", 1), ("records", 2), ("records", 3),
        ("records", 4),
    ]  # fmt: skip


def test_service_processes_writing_at_once_lose_nothing(pg_url: str) -> None:
    seed(open_record_store(pg_url))  # type: ignore[arg-type]
    replayed_id = str(uuid.uuid4())
    outcomes: list[bool] = []
    errors: list[str] = []

    def service(n: int) -> None:
        records = PostGISRecordStore(pg_url)  # a process of its own: its own connections
        try:
            for _ in range(5):
                submit(records)
            outcomes.append(bool(submit(records, replayed_id)[1]))
            try:
                records.create_record(
                    "marker",
                    record_id=replayed_id,
                    campaign_id=CAMPAIGN.campaign_id,
                    line_code="0001",
                    body={**BODY, "condition": "损坏"},
                    computed=COMPUTED,
                    actor="alice",
                )
                errors.append(f"service {n}: a changed body was accepted")
            except ConflictError:
                pass
        except Exception as exc:
            errors.append(f"service {n}: {exc}")
        finally:
            records.close()

    threads = [threading.Thread(target=service, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(outcomes) == [False, False, False, True]  # the replayed UUID stored once
    records = open_record_store(pg_url)
    assert records.list_records("marker", RecordFilter())[1] == 4 * 5 + 1
    check = records.verify_audit()
    assert check.ok
    assert check.entries == 2 + 4 * 5 + 1  # user, campaign, then one entry per record
    records.close()
