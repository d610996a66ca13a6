"""One consistent view of a live store: every layer and record table as of a single instant.

Reading a store table by table while submissions arrive mixes instants: the audit log may
then name records that the copied record tables do not hold. A backup or a copy reads from
a *frozen* store instead:

- GeoPackage: SQLite's online backup API copies the file's pages inside one read
  transaction (WAL mode: writers go on meanwhile), into a file that nothing else writes.
- PostGIS: every read runs on one connection inside one ``REPEATABLE READ, READ ONLY``
  transaction, so all tables are seen at the snapshot its first statement took; layer
  writes wait while it runs (a replaced layer's table is not kept by the snapshot, see
  :func:`_pg_snapshot`), record writes go on.

:func:`table_counts` counts rows in the same view (the figures a backup is verified
against): every layer and every table of :data:`STORE_TABLES`, the tables the store's own
DDL creates (read from its PostGIS migrations, so a new table is counted, and must be
carried, without anyone listing it here), less its migration bookkeeping.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from layers._errors import StoreError
from layers.records._pg_ddl import RECORD_MIGRATIONS
from layers.records.copy import PLAN_TABLES, TABLES
from layers.store import _pg_conn
from layers.store._pg_sql import LAYER_MIGRATIONS
from layers.store.base import Store
from layers.store.copy import CARRIED_TABLES
from layers.store.gpkg import GeoPackageStore
from layers.store.postgis import PostGISStore

__all__ = [
    "BOOKKEEPING",
    "RECORD_TABLES",
    "STORE_TABLES",
    "copy_pages",
    "ddl_tables",
    "frozen",
    "table_counts",
]

#: snapshots tried while new layers keep appearing
_SNAPSHOT_TRIES = 5
#: every record table a backup carries (layers come from the ``mzgis_layers`` catalog)
RECORD_TABLES = (*TABLES, *PLAN_TABLES)
#: tables a store keeps about itself that a copy does not carry: each store records its own
#: migrations (PostGIS) or schema version (GeoPackage), and its own security generation
BOOKKEEPING = ("mzgis_migrations", "mzgis_records_meta", "mzgis_security")
_CREATE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?\{schema\}\.(\w+)", re.IGNORECASE)


def ddl_tables(*scripts: str) -> tuple[str, ...]:
    """Names of the tables ``CREATE TABLE {schema}.name`` statements in ``scripts`` make."""
    found = (m.group(1) for text in scripts for m in _CREATE.finditer(text))
    return tuple(dict.fromkeys(found))


#: every table of a store besides its layers and :data:`BOOKKEEPING`, from its DDL
STORE_TABLES = tuple(
    t for t in ddl_tables(*LAYER_MIGRATIONS, *RECORD_MIGRATIONS) if t not in BOOKKEEPING
)


@contextlib.contextmanager
def frozen(store: Store, *, workdir: str | Path | None = None) -> Iterator[Store]:
    """``store`` as of one instant, read-only by intent, for the ``with`` block.

    Parameters
    ----------
    store
        An open GeoPackage or PostGIS store.
    workdir
        Where a GeoPackage snapshot file is kept while the block runs (default: the
        system's temporary directory); it is removed afterwards.
    """
    if isinstance(store, GeoPackageStore):
        with tempfile.TemporaryDirectory(prefix="mzgis-snapshot-", dir=workdir) as tmp:
            copy = Path(tmp) / store.path.name
            copy_pages(store.path, copy)
            yield GeoPackageStore(copy)
        return
    if not isinstance(store, PostGISStore):
        raise StoreError(f"no snapshot for {store.url} / 该存储不支持快照")
    from layers.records import open_record_store

    open_record_store(store).close()  # migrations run before the read-only snapshot
    with _pg_snapshot(store) as con:
        yield _FrozenPostGIS(store, con)


@contextlib.contextmanager
def _pg_snapshot(store: PostGISStore) -> Iterator[psycopg.Connection[Any]]:
    """A ``REPEATABLE READ, READ ONLY`` transaction during which no layer it sees is
    replaced.

    Replacing a layer swaps its table (``DROP`` and ``RENAME``), and PostgreSQL resolves a
    table's name in the latest catalog, not in the transaction's snapshot: a layer replaced
    after the snapshot was taken would be read as the new table with none of its rows
    visible. So a second connection first takes a shared lock on each layer's write lock
    (waiting for writes under way, holding new ones back until the block ends), and the
    snapshot is taken after; a layer created meanwhile is locked and the snapshot taken
    again.
    """
    names = sql.SQL("SELECT name FROM {}").format(sql.Identifier(store.schema, "mzgis_layers"))
    with psycopg.connect(store.conninfo, autocommit=True) as guard:
        locked: set[str] = set()
        for _ in range(_SNAPSHOT_TRIES):
            for name in sorted({r[0] for r in guard.execute(names)} - locked):
                _pg_conn.shared_session_lock(guard, store.schema, "layer", name.lower())
                locked.add(name)
            con = psycopg.connect(store.conninfo, autocommit=False)
            try:
                con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                con.read_only = True
                seen = {r[0] for r in con.execute(names)}  # the snapshot is taken here
                if seen <= locked:
                    yield con
                    return
            finally:
                con.rollback()
                con.close()
    msg = "layers kept being created while the snapshot was taken; try again"
    raise StoreError(f"{msg} / 快照期间不断有新图层写入，请重试")


def copy_pages(source: str | Path, target: str | Path) -> dict[str, int]:
    """Copy a GeoPackage with SQLite's online backup API in one read transaction.

    Returns the rows of every layer and record table, counted in that same transaction.
    ``target`` must not exist.
    """
    if Path(target).exists():
        raise StoreError(f"{target} already exists / 目标文件已存在")
    with contextlib.closing(sqlite3.connect(source, isolation_level=None, timeout=30)) as con:
        con.execute("BEGIN")  # deferred: the read snapshot starts at the first SELECT
        try:
            counts = _sqlite_counts(con)
            with contextlib.closing(sqlite3.connect(target)) as out:
                con.backup(out)
        finally:
            con.execute("ROLLBACK")
    return counts


def table_counts(store: Store) -> dict[str, int]:
    """Rows of every layer (by name) and every record table present in ``store``."""
    if isinstance(store, GeoPackageStore):
        with store.connect() as con:
            con.execute("BEGIN")
            try:
                return _sqlite_counts(con)
            finally:
                con.execute("ROLLBACK")
    if not isinstance(store, PostGISStore):
        raise StoreError(f"cannot count the tables of {store.url} / 无法统计该存储的表")
    with store.pool.connection() as pg, pg.transaction():
        names = [r[0] for r in pg.execute(_pg_names(store.schema)).fetchall()]
        return {n: _pg_count(pg, store.schema, n) for n in names}


def _sqlite_counts(con: sqlite3.Connection) -> dict[str, int]:
    present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    names = []
    if "mzgis_layers" in present:
        names = [r[0] for r in con.execute("SELECT name FROM mzgis_layers ORDER BY name")]
    counts = {n: _sqlite_count(con, n) for n in names}
    for table in STORE_TABLES:  # a GeoPackage makes its artifacts table on first use
        if table in present or table in CARRIED_TABLES:
            counts[table] = _sqlite_count(con, table) if table in present else 0
    return counts


def _sqlite_count(con: sqlite3.Connection, table: str) -> int:
    return int(con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def _pg_names(schema: str) -> sql.Composed:
    tables = sql.SQL(", ").join(sql.Literal(t) for t in STORE_TABLES)
    return sql.SQL(
        "SELECT name FROM {layers} UNION ALL SELECT table_name::text FROM ("
        "SELECT table_name FROM information_schema.tables WHERE table_schema = {schema} "
        "AND table_name IN ({tables}) ORDER BY table_name) AS r"
    ).format(
        layers=sql.Identifier(schema, "mzgis_layers"), schema=sql.Literal(schema), tables=tables
    )


def _pg_count(con: psycopg.Connection[Any], schema: str, name: str) -> int:
    row = con.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(schema, name)))
    found = row.fetchone()
    return int(found[0]) if found else 0


class _OneConnection:
    """A stand-in for the store's pool that lends its one connection without ending the
    transaction it is in."""

    def __init__(self, con: psycopg.Connection[Any]) -> None:
        self._con = con

    @contextlib.contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        yield self._con

    def close(self) -> None:
        """Nothing to close: the snapshot's owner closes the connection."""


class _FrozenPostGIS(PostGISStore):
    """A PostGIS store whose every read runs on one connection in one snapshot."""

    def __init__(self, live: PostGISStore, con: psycopg.Connection[Any]) -> None:
        self.conninfo, self.schema = live.conninfo, live.schema
        self.url = f"{live.url} (snapshot)"
        self.pool = _OneConnection(con)  # type: ignore[assignment]
