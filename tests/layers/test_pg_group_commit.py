"""Group commit (:mod:`layers.records._pg_batch`) on a real PostgreSQL: writers that queue
while a transaction is open share it, each undone alone when it fails, all acknowledged
only once it committed, all failed when the ``COMMIT`` fails.

Writer 1 holds its turn until writers 2 and 3 are queued behind it, so the three share one
transaction whatever the machine's speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from layers._errors import StoreError
from layers.records._pg_batch import GroupCommit

Con = psycopg.Connection[Any]


@pytest.fixture
def table(pg_url: str) -> Iterator[tuple[str, str]]:
    """``(dsn, table)``: a table with a deferred unique value (checked at ``COMMIT``)."""
    dsn, schema = pg_url.split("?", maxsplit=1)[0], pg_url.split("schema=")[1]
    name = f"{schema}_writes"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(
            f"CREATE TABLE {name} (writer int PRIMARY KEY, value int,"
            " txid bigint, UNIQUE (value) DEFERRABLE INITIALLY DEFERRED)"
        )
    yield dsn, name
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP TABLE {name}")


def _group(dsn: str) -> GroupCommit:
    def connect() -> tuple[Con, Callable[[], None]]:
        con = psycopg.connect(dsn)
        return con, con.close

    def begin(con: Con) -> None:
        con.execute("SELECT 1")

    return GroupCommit(connect, begin)


def _rows(dsn: str, name: str) -> dict[int, tuple[int, int]]:
    with psycopg.connect(dsn, autocommit=True) as con:
        rows = con.execute(f"SELECT writer, value, txid FROM {name}").fetchall()
    return {w: (v, t) for w, v, t in rows}


def _run_three(
    group: GroupCommit, name: str, values: dict[int, int], *, failing: int | None = None
) -> dict[int, BaseException | None]:
    """Writers 1-3 insert ``values`` in one batch; writer ``failing`` raises in its block."""
    outcome: dict[int, BaseException | None] = {}

    def write(writer: int) -> None:
        try:
            with group.write() as con:
                con.execute(
                    f"INSERT INTO {name} VALUES (%s, %s, txid_current())",
                    (writer, values[writer]),
                )
                if writer == 1:  # hold the turn until the others queue behind it
                    deadline = time.monotonic() + 30
                    while group._queued < 2 and time.monotonic() < deadline:
                        time.sleep(0.005)
                if writer == failing:
                    raise ValueError("refused by its writer")
            outcome[writer] = None
        except BaseException as exc:
            outcome[writer] = exc

    first = threading.Thread(target=write, args=(1,))
    first.start()
    while not group._open:
        time.sleep(0.001)
    others = [threading.Thread(target=write, args=(w,)) for w in (2, 3)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(60)
    return outcome


def test_a_failing_write_is_undone_alone(table: tuple[str, str]) -> None:
    dsn, name = table
    outcome = _run_three(_group(dsn), name, {1: 10, 2: 20, 3: 30}, failing=2)
    assert outcome[1] is None and outcome[3] is None
    assert isinstance(outcome[2], ValueError)
    rows = _rows(dsn, name)
    assert sorted(rows) == [1, 3]  # writer 2's row was rolled back to its savepoint
    assert rows[1][1] == rows[3][1]  # one transaction for the batch


def test_a_failed_commit_fails_every_writer(table: tuple[str, str]) -> None:
    dsn, name = table
    outcome = _run_three(_group(dsn), name, {1: 7, 2: 8, 3: 7})  # 1 and 3 collide at COMMIT
    assert all(isinstance(outcome[w], StoreError) for w in (1, 2, 3)), outcome
    assert " / " in str(outcome[2])
    assert _rows(dsn, name) == {}  # nothing of the batch is stored


def test_writers_return_only_after_the_commit(table: tuple[str, str]) -> None:
    dsn, name = table
    group = _group(dsn)
    returned_seen: list[bool] = []

    def write(writer: int) -> None:
        with group.write() as con:
            con.execute(f"INSERT INTO {name} VALUES (%s, %s, 0)", (writer, writer))
        returned_seen.append(writer in _rows(dsn, name))  # read from another connection

    threads = [threading.Thread(target=write, args=(w,)) for w in range(1, 21)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert returned_seen == [True] * 20
    assert sorted(_rows(dsn, name)) == list(range(1, 21))
    assert group._open is None
