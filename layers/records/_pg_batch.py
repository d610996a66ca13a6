"""Group commit for the PostGIS record store: the writes of one process share transactions.

Every write of the record store holds the store's advisory lock until it commits (the
audit chain is appended one entry at a time), and a durable ``COMMIT`` waits for the WAL to
reach the disk. One write after another, each with its own round trips, lock and flush, tops
out well below 200 a second on two cores and queues long before that. Here:

- the writes that arrive while a transaction is open join it, one at a time (each sees the
  ones before it, as under the lock), each in a ``SAVEPOINT`` of its own; a new batch takes
  a pooled connection, puts the store's schema on its path and takes the advisory lock
  (which waits for the batch before to commit);
- the batch's connection is in pipeline mode: statements whose results nobody reads
  (``SAVEPOINT``, inserts, the audit entry, whose hash the server chains) travel with the
  next one that is read, and a write ends synced (with one more round trip only if it left
  statements unread), so its errors are its own: a new record and its audit entry are one
  round trip;
- a write that raises is undone alone (``ROLLBACK TO SAVEPOINT``) and its writer gets its
  own error once the batch has ended;
- the writer that leaves a batch with nobody waiting to join it (or a batch of
  :data:`MAX_WRITES`) commits it: one ``COMMIT``, one WAL flush for all; every writer returns
  only after that ``COMMIT`` succeeded, and gets a :class:`StoreError` when it failed (none
  of the batch is then stored).

So an acknowledged write is committed, a failed one changed nothing, and the chain sees the
writes in one order, exactly as with one transaction per write.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg

from layers.store import _pg_conn

__all__ = ["MAX_WRITES", "GroupCommit"]

Con = psycopg.Connection[Any]
#: queues the start of a batch on a connection
Begin = Callable[[Con], None]
#: the most writes one transaction takes before it is committed (bounds the wait of the
#: first; under PostgreSQL's 64 cached subtransactions)
MAX_WRITES = 32


class _Batch:
    """One open transaction that writers join, on a connection in pipeline mode."""

    def __init__(self, con: Con, release: Callable[[], None], begin: Begin) -> None:
        self.con, self.release = con, release
        self._pipeline_cm = con.pipeline()
        self.pipeline = self._pipeline_cm.__enter__()
        try:
            begin(con)
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                self._pipeline_cm.__exit__(None, None, None)
                con.rollback()
            release()
            raise
        self.writes = 0
        self.broken: BaseException | None = None  # the connection failed: commit nothing
        self.failed: BaseException | None = None  # the COMMIT failed
        self.done = threading.Event()

    def end(self) -> None:
        """Commit (or, when broken, roll back), give the connection back, wake the writers."""
        try:
            if self.broken is not None:
                raise self.broken
            self.con.commit()  # in the pipeline: one round trip
            self._pipeline_cm.__exit__(None, None, None)
        except BaseException as exc:
            self.failed = exc
            with contextlib.suppress(psycopg.Error):
                self.con.rollback()
            with contextlib.suppress(psycopg.Error):
                self._pipeline_cm.__exit__(None, None, None)
        finally:
            self.release()
            self.done.set()


class GroupCommit:
    """Writers of one process sharing transactions on connections from ``connect``.

    Parameters
    ----------
    connect
        Takes a pooled connection; returns it and the function that gives it back.
    begin
        Queues, on that connection in pipeline mode, what starts a batch: the store's
        schema on its path and the store's advisory lock (so a batch costs no round trip
        of its own: this travels with its first write).
    """

    def __init__(self, connect: Callable[[], tuple[Con, Callable[[], None]]], begin: Begin) -> None:
        self._connect, self._begin = connect, begin
        self._cond = threading.Condition()
        self._busy = False  # a writer has its turn on the open batch (or is opening one)
        self._queued = 0  # writers waiting for their turn
        self._open: _Batch | None = None

    @contextlib.contextmanager
    def write(self) -> Iterator[Con]:
        """One write, in the open batch or a new one; returns once it is committed."""
        batch = self._take_turn()
        try:
            yield from _in_savepoint(batch)
        except BaseException:
            self._leave(batch)  # its own error, whatever became of the batch
            raise
        failed = self._leave(batch)
        if failed is not None:
            reason = failed if isinstance(failed, Exception) else Exception(repr(failed))
            zh = "PostGIS 记录提交失败，未保存"
            raise _pg_conn.store_error(reason, "PostGIS commit failed", zh) from failed

    def _take_turn(self) -> _Batch:
        with self._cond:
            self._queued += 1
            while self._busy:
                self._cond.wait()
            self._queued -= 1
            self._busy = True
            batch = self._open
        if batch is not None:
            return batch
        try:
            batch = _Batch(*self._connect(), self._begin)
        except BaseException:
            with self._cond:
                self._busy = False
                self._cond.notify()
            raise
        with self._cond:
            self._open = batch
        return batch

    def _leave(self, batch: _Batch) -> BaseException | None:
        """End a writer's turn; commit the batch when it is the last; wait for the commit.
        Returns why the commit failed (``None``: committed)."""
        with self._cond:
            batch.writes += 1
            self._busy = False
            last = batch.broken is not None or not self._queued or batch.writes >= MAX_WRITES
            if last and self._open is batch:
                self._open = None  # later writers open the next batch
            self._cond.notify()  # the turn passes to one writer: the others sleep on
        if last:
            batch.end()
        batch.done.wait()
        return batch.failed


def _in_savepoint(batch: _Batch) -> Iterator[Con]:
    """The writer's block in a savepoint, synced at its end (its errors surface here)."""
    if batch.broken is not None:
        raise batch.broken
    con = batch.con
    con.execute("SAVEPOINT mzgis_write")  # kept to the COMMIT: savepoints nest
    try:
        yield con
        if batch.pipeline.command_queue or batch.pipeline.result_queue:
            batch.pipeline.sync()  # what the block sent without reading an answer
    except BaseException:
        try:
            with contextlib.suppress(psycopg.Error):
                batch.pipeline.sync()  # clears an aborted pipeline; the error is known
            con.execute("ROLLBACK TO SAVEPOINT mzgis_write")
            batch.pipeline.sync()
        except BaseException as exc:
            batch.broken = exc
        raise
