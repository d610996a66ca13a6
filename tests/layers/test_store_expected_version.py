"""The compare-and-swap of a layer write (``expected_version``), on both backends: a write
based on the current version goes through, one based on another version changes nothing,
and of several writers racing from one version exactly one wins."""

from __future__ import annotations

import threading

import pytest

from layers import PreconditionFailedError
from layers.store import Store
from tests.layers.test_store import stations


def test_a_write_based_on_the_current_version_goes_through(store: Store) -> None:
    first = store.write("stations", stations(3), kind="stations", expected_version=0)
    second = store.write("stations", stations(4), kind="stations", expected_version=first.version)
    assert (second.version, second.count) == (first.version + 1, 4)


def test_a_stale_write_is_refused_and_changes_nothing(store: Store) -> None:
    first = store.write("stations", stations(3, tag="old"), kind="stations")
    store.write("stations", stations(3, tag="new"), kind="stations")
    with pytest.raises(PreconditionFailedError, match="based on version") as caught:
        store.write(
            "stations", stations(5, tag="lost"), kind="stations", expected_version=first.version
        )
    assert "重新读取" in str(caught.value)
    assert store.info("stations").version == first.version + 1
    assert store.read("stations")["name"].str.startswith("new").all()


def test_expected_zero_means_the_layer_must_not_exist(store: Store) -> None:
    store.write("stations", stations(2), kind="stations")
    with pytest.raises(PreconditionFailedError):
        store.write("stations", stations(1), kind="stations", expected_version=0)
    assert store.count("stations") == 2


def test_of_racing_writers_from_one_version_exactly_one_wins(store: Store) -> None:
    base = store.write("stations", stations(20), kind="stations")
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def writer(tag: str) -> None:
        frame = stations(20, tag=tag)
        start.wait()
        try:
            store.write("stations", frame, kind="stations", expected_version=base.version)
            outcomes.append(tag)
        except PreconditionFailedError:
            outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o != "refused"]
    assert len(winners) == 1 and outcomes.count("refused") == 5
    assert store.info("stations").version == base.version + 1
    assert store.read("stations")["name"].str.startswith(winners[0]).all()
