"""Connections, users, bearer tokens, campaigns and their members in the PostGIS record
store (the shared :class:`~layers.records._sql_people.SqlPeople` on pooled connections).

Every method runs in one transaction on a pooled connection with the store's schema first
on the ``search_path``. Writers take one advisory lock per store first, so record writes
queue (as ``BEGIN IMMEDIATE`` makes them in a GeoPackage): a replayed submission waits for
the first to commit and then finds it, and audit entries are appended one at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from layers.records._sql_people import SqlPeople
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
        """A writing transaction: :meth:`_connection` after the store's write lock."""
        with self._connection() as con:
            _pg_conn.advisory_lock(con, self.schema, "records")
            yield con

    def _join(self, con: Con) -> None:
        """On another component's connection: the store's schema first on the path and its
        write lock, for the transaction under way."""
        con.execute("SELECT set_config('search_path', %s, true)", (self._search_path,))
        _pg_conn.advisory_lock(con, self.schema, "records")
