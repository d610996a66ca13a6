"""One SQLite connection per thread for the GeoPackage record store.

Opening a connection costs a parse of the whole GeoPackage schema (every layer's table,
R-tree and triggers) on its first statement: milliseconds per request on the demo store.
Each thread therefore keeps the connection :meth:`GeoPackageStore.connect` gave it, and
opens its transactions on it (``BEGIN IMMEDIATE``, as :meth:`GeoPackageStore.transaction`).
SQLite notices schema changes made by other connections by itself.

Writers of this process queue on a lock before ``BEGIN IMMEDIATE``: SQLite's own busy
handler polls with growing sleeps (up to 100 ms), which under load lets late writers
overtake early ones and stretches the tail of the latency. Writers in other processes are
still serialised by SQLite (busy timeout).

These connections do not checkpoint the WAL inside ``COMMIT`` (where every queued writer
would wait for it): every :data:`CHECKPOINT_EVERY` commits, the committing thread runs a
passive checkpoint after it has let go of the write lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator

from layers.store.gpkg import GeoPackageStore

__all__ = ["CHECKPOINT_EVERY", "ConnectionMixin"]

#: commits between two WAL checkpoints (each commit writes a few pages; SQLite's own default
#: is every 1,000 pages)
CHECKPOINT_EVERY = 200


class ConnectionMixin:
    """Per-thread connections on ``self.gpkg``; :meth:`close` releases them."""

    gpkg: GeoPackageStore

    def _init_connections(self) -> None:
        self._local = threading.local()
        self._opened: list[contextlib.AbstractContextManager[sqlite3.Connection]] = []
        self._opened_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._commits = 0

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            manager = self.gpkg.connect()
            con = manager.__enter__()
            con.execute("PRAGMA wal_autocheckpoint = 0")
            self._local.con = con
            with self._opened_lock:
                self._opened.append(manager)
        yield con

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on this thread's connection; rolled back on any
        exception."""
        with self._connection() as con:
            with self._write_lock:
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                self._commits += 1
                due = self._commits % CHECKPOINT_EVERY == 0
            if due:
                con.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        """Close every thread's connection (best effort: a thread may still be using one)."""
        with self._opened_lock:
            managers, self._opened = self._opened, []
        for manager in managers:
            with contextlib.suppress(sqlite3.Error):
                manager.__exit__(None, None, None)
        self._local = threading.local()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
