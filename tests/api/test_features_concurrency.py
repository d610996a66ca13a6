"""Part 4 writes from two app instances on one store (each with its own in-process locks,
so only the store's version check keeps them apart), on both backends: edits of different
features all land (no lost update), and of two edits based on one ETag exactly one does."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from layers.store import open_store
from tests.api.test_features_write import ITEMS, fill

EDITS_PER_THREAD = 3
Instances = tuple[TestClient, TestClient, dict[str, str], str]


def stored_version(location: str) -> int:
    """The stations layer's version as the store says (an instance's catalog is refreshed
    by its own writes only)."""
    store = open_store(location)
    try:
        return store.info("stations").version
    finally:
        store.close()


@pytest.fixture
def two_instances(new_location: Callable[[str], str]) -> Iterator[Instances]:
    location = new_location("part4race")
    records, tokens = fill(location)
    auth = {"Authorization": f"Bearer {tokens['planner']}"}
    try:
        with (
            TestClient(create_app(Settings(store=location))) as first,
            TestClient(create_app(Settings(store=location))) as second,
        ):
            for client in (first, second):  # FastAPI builds a route's state on first use
                assert client.get(f"{ITEMS}/S1").status_code == 200
                assert client.patch(f"{ITEMS}/S1", json={}, headers=auth).status_code == 428
            yield first, second, auth, location
    finally:
        records.close()


def test_edits_of_different_features_from_two_instances_all_land(
    two_instances: Instances,
) -> None:
    first, second, auth, location = two_instances
    features = ["S1", "S2", "S3", "S4"]
    start = threading.Barrier(len(features))
    failures: list[str] = []

    def edit(index: int, feature_id: str) -> None:
        client = (first, second)[index % 2]
        start.wait()
        for n in range(1, EDITS_PER_THREAD + 1):
            etag = client.get(f"{ITEMS}/{feature_id}").headers["ETag"]
            changes = {"properties": {"capacity_persons": 100 * (index + 1) + n}}
            answer = client.patch(
                f"{ITEMS}/{feature_id}", json=changes, headers={**auth, "If-Match": etag}
            )
            if answer.status_code != 200:
                failures.append(f"{feature_id}: {answer.status_code} {answer.text}")

    threads = [threading.Thread(target=edit, args=pair) for pair in enumerate(features)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    stored = {
        f["id"]: f["properties"]["capacity_persons"] for f in first.get(ITEMS).json()["features"]
    }
    for index, feature_id in enumerate(features):
        assert stored[feature_id] == 100 * (index + 1) + EDITS_PER_THREAD, feature_id
    assert stored_version(location) == 1 + len(features) * EDITS_PER_THREAD  # one per edit


def test_two_edits_based_on_one_etag_let_exactly_one_through(
    two_instances: Instances,
) -> None:
    first, second, auth, location = two_instances
    etag = first.get(f"{ITEMS}/S1").headers["ETag"]
    start = threading.Barrier(4)
    statuses: list[int] = []

    def edit(index: int) -> None:
        client = (first, second)[index % 2]
        start.wait()
        answer = client.patch(
            f"{ITEMS}/S1",
            json={"properties": {"name": f"编辑{index}"}},
            headers={**auth, "If-Match": etag},
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412, 412, 412]
    assert stored_version(location) == 2
