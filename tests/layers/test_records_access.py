"""Grants and the security generation (both stores): what a token grants is read in one
statement with the generation; every write that may take access away moves the generation
on; a record written on a grant of an older generation is refused with nothing stored; the
write checks its campaign itself (one round trip on PostGIS)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from layers.records import (
    AccessChangedError,
    Campaign,
    RecordFilter,
    RecordNotFoundError,
    RecordStore,
    User,
    open_record_store,
)
from layers.store import Store

CAMPAIGN = Campaign("2025-0001", "0001", 1, 2025, "test", "110101", "东城区", "110102", "西城区")
OTHER = Campaign("2025-0002", "0001", 2, 2025, "test 2", "110101", "东城区", "110102", "西城区")
BODY = {"marker_no": "0001003B", "condition": "完好", "inspected_at": "2025-04-08T01:30:00Z"}
COMPUTED = {"lon": 116.39, "lat": 39.90, "flags": []}
NOW = "2026-01-01T00:00:00.000000Z"
EXPIRES = "2099-01-01T00:00:00.000000Z"


@pytest.fixture
def records(store: Store) -> Iterator[RecordStore]:
    """A record store with inspector alice (token ``t-alice``), member of one campaign."""
    opened = open_record_store(store)
    opened.add_user(User("alice", "inspector", "Alice", "hash"), actor="cli")
    opened.add_campaign(CAMPAIGN, actor="cli")
    opened.add_member(CAMPAIGN.campaign_id, "alice", side="left", actor="cli")
    opened.add_token("alice", "t-alice", label="", expires_at=EXPIRES, actor="cli")
    yield opened
    opened.close()


def _create(records: RecordStore, generation: int | None, campaign_id: str = "2025-0001") -> bool:
    _, created = records.create_record(
        "marker", record_id=str(uuid.uuid4()), campaign_id=campaign_id, line_code="0001",
        body=BODY, computed=COMPUTED, actor="alice", generation=generation,
    )  # fmt: skip
    return created


def test_access_for_token_reads_user_campaigns_and_generation(records: RecordStore) -> None:
    access = records.access_for_token("t-alice", now=NOW)
    assert access is not None
    assert (access.user.username, access.user.role) == ("alice", "inspector")
    assert access.campaign_ids == ("2025-0001",)
    assert access.expires_at == EXPIRES
    campaign, generation = records.campaign_at("2025-0001")
    assert campaign == records.get_campaign("2025-0001")
    assert generation == access.generation
    assert records.campaign_at("nope") == (None, access.generation)
    assert records.access_for_token("t-unknown", now=NOW) is None
    assert records.access_for_token("t-alice", now="2100-01-01T00:00:00Z") is None  # expired


def _add_and_remove(records: RecordStore, user: User) -> None:
    records.add_user(user, actor="cli")
    records.remove_user(user.username, actor="cli")


CHANGES: dict[str, Callable[[RecordStore], object]] = {
    "revoke_tokens": lambda r: r.revoke_tokens("alice", actor="cli"),
    "revoke_token": lambda r: r.revoke_token("t-alice", actor="cli"),
    "disable": lambda r: r.update_user("alice", active=False, actor="cli"),
    "passwd": lambda r: r.update_user("alice", password_hash="new", actor="cli"),
    "member": lambda r: r.add_member("2025-0001", "alice", side="right", actor="cli"),
    "campaign": lambda r: r.add_campaign(OTHER, actor="cli"),
    "remove": lambda r: _add_and_remove(r, User("bob", "viewer", "B", "h")),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_access_change_refuses_writes_on_older_grants(
    records: RecordStore, change: str
) -> None:
    _, before = records.campaign_at("2025-0001")
    assert _create(records, before)  # the current generation writes
    audit_before = len(records.audit_log())
    CHANGES[change](records)
    _, after = records.campaign_at("2025-0001")
    assert after > before
    with pytest.raises(AccessChangedError):
        _create(records, before)
    total = records.list_records("marker", RecordFilter())[1]
    assert total == 1  # nothing written by the refused one
    assert len(records.audit_log()) == audit_before + (2 if change == "remove" else 1)
    assert records.verify_audit().ok
    assert _create(records, after)


def test_access_reflects_a_revocation_at_once(records: RecordStore) -> None:
    records.revoke_tokens("alice", actor="cli")
    assert records.access_for_token("t-alice", now=NOW) is None
    assert records.user_for_token("t-alice", now=NOW) is None


def test_a_record_in_no_campaign_is_refused_in_the_write(records: RecordStore) -> None:
    with pytest.raises(RecordNotFoundError, match="nope"):
        _create(records, None, campaign_id="nope")
    assert records.list_records("marker", RecordFilter())[1] == 0
    assert [e.action for e in records.audit_log()].count("record.create") == 0


def test_a_replay_on_a_stale_grant_is_refused_too(records: RecordStore) -> None:
    _, generation = records.campaign_at("2025-0001")
    args = {"record_id": str(uuid.uuid4()), "campaign_id": "2025-0001", "line_code": "0001"}
    records.create_record("marker", **args, body=BODY, computed=COMPUTED, actor="alice")
    records.revoke_tokens("alice", actor="cli")
    with pytest.raises(AccessChangedError):
        records.create_record(
            "marker", **args, body=BODY, computed=COMPUTED, actor="alice", generation=generation
        )
