"""Connections, users, bearer tokens, campaigns and their members in the PostGIS record
store (the shared :class:`~layers.records._sql_people.SqlPeople` on pooled connections).

Every method runs in one transaction on a pooled connection with the store's schema first
on the ``search_path``. Writers take one advisory lock per store first, so record writes
queue (as ``BEGIN IMMEDIATE`` makes them in a GeoPackage): a replayed submission waits for
the first to commit and then finds it, and audit entries are appended one at a time. The
writes of one process that queue at the same moment share one transaction, each in its own
savepoint, and return once it committed (:mod:`layers.records._pg_batch`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from layers.records._pg_batch import GroupCommit
from layers.records._sql_people import SqlPeople
from layers.records.models import GENESIS_HASH
from layers.store import _pg_conn

__all__ = ["PgPeople"]

Con = psycopg.Connection[Any]


class PgPeople(SqlPeople):
    """Connections, users, tokens and campaigns of :class:`PostGISRecordStore`."""

    _MARK = "%s"
    _ACTIVE = "u.active"

    pool: ConnectionPool
    schema: str
    _search_path: str
    _group: GroupCommit

    def _flag(self, value: bool) -> Any:
        return bool(value)

    # -- connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Con]:
        """One transaction on a pooled connection, the store's schema first on the path; a
        database failure becomes a :class:`StoreError`."""
        try:
            with self.pool.connection() as con, con.transaction():
                con.execute("SELECT set_config('search_path', %s, true)", (self._search_path,))
                yield con
        except psycopg.Error as exc:
            zh = "PostGIS 记录存储访问失败"
            raise _pg_conn.store_error(exc, "PostGIS record store failed", zh) from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Con]:
        """A write, committed when the block ends: in a savepoint of the transaction that
        the writes of this moment share (:class:`~layers.records._pg_batch.GroupCommit`),
        which holds the store's write lock; a database failure becomes a
        :class:`StoreError`."""
        try:
            with self._group.write() as con:
                yield con
        except psycopg.Error as exc:
            zh = "PostGIS 记录存储访问失败"
            raise _pg_conn.store_error(exc, "PostGIS record store failed", zh) from exc

    def _take_connection(self) -> tuple[Con, Callable[[], None]]:
        """A pooled connection and the function that gives it back."""
        manager = self.pool.connection()
        con = manager.__enter__()

        def release() -> None:
            manager.__exit__(None, None, None)

        return con, release

    def _begin_batch(self, con: Con) -> Callable[[], tuple[int, str]]:
        """Queue the start of a write batch on ``con`` (pipeline mode): the schema first on
        its path, the store's write lock, and the read of the last audit entry."""
        con.execute("SELECT set_config('search_path', %s, true)", (self._search_path,))
        _pg_conn.advisory_lock(con, self.schema, "records")
        last = con.execute("SELECT seq, hash FROM mzgis_audit ORDER BY seq DESC LIMIT 1")

        def head() -> tuple[int, str]:
            row = last.fetchone()
            return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)

        return head
