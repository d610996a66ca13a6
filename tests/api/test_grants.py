"""The cache of grants (``api.grants.Grants``) on a real record store (GeoPackage): entries
live at most their TTL and their token's expiry; a read at a newer security generation
empties the cache; a campaign is only answered at the generation asked for; the size is
bounded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.grants import Grants
from layers.records import Campaign, GeoPackageRecordStore, RecordStore, User

CAMPAIGN = Campaign("2025-0001", "0001", 1, 2025, "test", "110101", "东城区", "110102", "西城区")
NOW = "2026-01-01T00:00:00.000000Z"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def records(tmp_path: Path) -> Iterator[RecordStore]:
    store = GeoPackageRecordStore(tmp_path / "r.gpkg")
    store.add_campaign(CAMPAIGN, actor="cli")
    for name in ("ann", "ben", "cy"):
        store.add_user(User(name, "inspector", name, "!"), actor="cli")
        store.add_token(name, f"t-{name}", label="", expires_at="2099-01-01", actor="cli")
    yield store
    store.close()


def test_a_read_grant_is_cached_until_its_ttl(records: RecordStore) -> None:
    clock = Clock()
    grants = Grants(records, ttl_s=30, clock=clock)
    assert grants.cached("t-ann", now=NOW) is None
    read = grants.read("t-ann", now=NOW)
    assert read is not None and not read.cached and read.access.user.username == "ann"
    hit = grants.cached("t-ann", now=NOW)
    assert hit is not None and hit.cached and hit.access == read.access
    clock.now = 31
    assert grants.cached("t-ann", now=NOW) is None


def test_a_cached_grant_ends_with_its_token(records: RecordStore) -> None:
    grants = Grants(records)
    assert grants.read("t-ann", now=NOW) is not None
    assert grants.cached("t-ann", now="2099-01-02") is None


def test_unknown_tokens_are_never_cached(records: RecordStore) -> None:
    grants = Grants(records)
    assert grants.read("t-nobody", now=NOW) is None
    assert not grants.holds("t-nobody")


def test_a_newer_generation_empties_the_cache(records: RecordStore) -> None:
    grants = Grants(records)
    old = grants.read("t-ann", now=NOW)
    assert old is not None
    assert grants.campaign("2025-0001", old.access.generation) == records.get_campaign("2025-0001")
    records.add_member("2025-0001", "ben", side="left", actor="cli")  # an access change
    assert grants.holds("t-ann")  # the cache does not know yet ...
    assert grants.campaign("2025-0001", old.access.generation) is not None  # (cached row)
    new = grants.read("t-ben", now=NOW)  # ... until it reads the store again
    assert new is not None and new.access.generation > old.access.generation
    assert new.access.campaign_ids == ("2025-0001",)
    assert not grants.holds("t-ann")
    assert grants.campaign("2025-0001", old.access.generation) is None  # the store moved on
    assert grants.campaign("2025-0001", new.access.generation) is not None
    assert grants.campaign("no-such", new.access.generation) is None


def test_forget_drops_every_entry(records: RecordStore) -> None:
    grants = Grants(records)
    grants.read("t-ann", now=NOW)
    grants.forget()
    assert not grants.holds("t-ann")


def test_the_cache_is_bounded(records: RecordStore) -> None:
    grants = Grants(records, max_entries=2)
    for name in ("ann", "ben", "cy"):
        grants.read(f"t-{name}", now=NOW)
    held = [grants.holds(f"t-{name}") for name in ("ann", "ben", "cy")]
    assert held == [False, False, True]  # emptied when full, then the newest kept
