"""Connections, users, bearer tokens, campaigns and their members in the PostGIS record
store (the shared :class:`~layers.records._sql_people.SqlPeople` on pooled connections).

Every method runs on a pooled connection with the store's schema first on the
``search_path``: a read in autocommit mode, a write in one transaction. Writers take one
advisory lock per store first, so record writes queue (as ``BEGIN IMMEDIATE`` makes them in
a GeoPackage): a replayed submission waits for the first to commit and then finds it, and
audit entries are appended one at a time. The writes of one process that queue at the same
moment share one transaction, each in its own savepoint, and return once it committed
(:mod:`layers.records._pg_batch`).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from layers.records._pg_batch import GroupCommit
from layers.records._sql_people import SqlPeople
from layers.store import _pg_conn

__all__ = ["PgPeople"]

Con = psycopg.Connection[Any]
#: the search path each pooled connection was given (the pool's connections are shared
#: with the layer store, whose queries name their schema)
_PATHS: weakref.WeakKeyDictionary[Con, str] = weakref.WeakKeyDictionary()


class PgPeople(SqlPeople):
    """Connections, users, tokens and campaigns of :class:`PostGISRecordStore`."""

    _MARK = "%s"
    _ACTIVE = "u.active"
    _GENERATION = "(SELECT generation FROM mzgis_security)"
    _NEXT_GENERATION = "UPDATE mzgis_security SET generation = generation + 1"
    _MEMBER_IDS = (
        "(SELECT COALESCE(json_agg(m.campaign_id ORDER BY m.campaign_id)::text, '[]') "
        "FROM mzgis_campaign_members m WHERE m.username = u.username)"
    )

    pool: ConnectionPool
    schema: str
    _search_path: str
    _group: GroupCommit

    def _flag(self, value: bool) -> Any:
        return bool(value)

    # -- connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Con]:
        """A pooled connection for reads, the store's schema first on its path (set once
        per connection), in autocommit mode: one round trip per query, no ``BEGIN`` or
        ``COMMIT`` (each query sees what was committed before it, as each statement of a
        READ COMMITTED transaction does); a database failure becomes a :class:`StoreError`."""
        try:
            with self.pool.connection() as con:
                # a connection lent inside a transaction (a snapshot's) is used as it is
                idle = con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                switch = idle and not con.autocommit
                if switch:
                    con.autocommit = True
                try:
                    if _PATHS.get(con) != self._search_path:
                        query = "SELECT set_config('search_path', %s, false)"
                        con.execute(query, (self._search_path,))
                        _PATHS[con] = self._search_path
                    yield con
                finally:
                    if switch:
                        with contextlib.suppress(psycopg.Error):
                            con.autocommit = False
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

    def _join(self, con: Con) -> None:
        """On a connection in a transaction (a write batch's, queued in pipeline mode, or
        another component's): the store's schema first on the path and its write lock, for
        the transaction under way."""
        con.execute(
            "SELECT set_config('search_path', %s, true), "
            "pg_advisory_xact_lock(hashtextextended(%s, 0))",
            (self._search_path, _pg_conn.lock_key(self.schema, "records")),
        )  # one statement: a batch begins with one more in its first round trip
