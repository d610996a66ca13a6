"""Connections to a PostGIS store: the URL, a small pool, advisory locks and migrations.

A store URL is a libpq URL with one extra, optional query parameter, ``schema`` (default
``mzgis``): the PostgreSQL schema holding the store's tables, so that one database can hold
several stores (``postgresql://planner@gis.local/mzgis?schema=dongcheng``).

Migrations are numbered SQL steps per component (``layers`` here, ``records`` for the
inspection records): each runs once, in a transaction, recorded in
``<schema>.mzgis_migrations``, under a transaction-level advisory lock so that services
starting together never run a step twice.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from layers._errors import StoreError

__all__ = [
    "DEFAULT_SCHEMA",
    "advisory_lock",
    "ensure_postgis",
    "lock_key",
    "migrate",
    "open_pool",
    "redact",
    "shared_session_lock",
    "split_url",
    "store_error",
]

DEFAULT_SCHEMA = "mzgis"
POOL_MAX = 8
POOL_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS {schema}.mzgis_migrations (
  component text NOT NULL, step integer NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, step))
"""


def split_url(url: str) -> tuple[str, str]:
    """``(libpq URL, schema)``: the ``schema`` query parameter taken out of ``url``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not _SCHEMA_NAME.match(schema):
        msg = (
            f"schema {schema!r} must be lower-case letters, digits and _"
            f" / 模式名 {schema!r} 只能包含小写字母、数字和下划线"
        )
        raise StoreError(msg)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


def redact(url: str) -> str:
    """``url`` without its password (what logs, health checks and listings show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def store_error(exc: Exception, what: str, zh: str) -> StoreError:
    """A :class:`StoreError` for a database error, bilingual, naming the server's reason."""
    reason = str(exc).strip().replace("\n", "; ") or type(exc).__name__
    return StoreError(f"{what}: {reason} / {zh}")


def open_pool(conninfo: str, *, max_size: int = POOL_MAX) -> ConnectionPool:
    """A small pool of connections; one connection is tried first, so that a wrong URL or
    an unreachable server fails at once with the server's reason."""
    try:
        psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        raise store_error(
            exc, f"cannot connect to {redact(conninfo)}", "无法连接 PostGIS 数据库"
        ) from exc
    pool = ConnectionPool(
        conninfo,
        min_size=1,
        max_size=max_size,
        timeout=POOL_TIMEOUT_S,
        open=False,
        kwargs={"application_name": "mzgis"},
    )
    try:
        pool.open(wait=True, timeout=POOL_TIMEOUT_S)
    except psycopg.Error as exc:
        pool.close()
        raise store_error(
            exc, f"cannot connect to {redact(conninfo)}", "无法连接 PostGIS 数据库"
        ) from exc
    return pool


def lock_key(*keys: str) -> str:
    """The text whose hash names the advisory lock on ``keys``."""
    return ":".join(keys)


def advisory_lock(con: psycopg.Connection[Any], *keys: str) -> None:
    """Hold a transaction-level advisory lock on ``keys`` until the transaction ends."""
    con.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock_key(*keys),))


def shared_session_lock(con: psycopg.Connection[Any], *keys: str) -> None:
    """Hold a shared advisory lock on ``keys`` until ``con`` closes: it waits for a holder
    of :func:`advisory_lock` on them to finish, and keeps new ones waiting meanwhile."""
    con.execute("SELECT pg_advisory_lock_shared(hashtextextended(%s, 0))", (":".join(keys),))


def migrate(
    con: psycopg.Connection[Any],
    schema: str,
    component: str,
    steps: Sequence[str],
    *,
    params: dict[str, str] | None = None,
) -> int:
    """Run the steps of ``component`` not yet applied in ``schema`` (one transaction).

    Each step is SQL with ``{schema}`` (and any ``params``) as identifier placeholders.
    Returns how many steps ran.
    """
    names = {"schema": sql.Identifier(schema)}
    names.update({k: sql.Identifier(v) for k, v in (params or {}).items()})
    with con.transaction():
        advisory_lock(con, "mzgis-migrate", schema)
        table = con.execute(
            "SELECT to_regclass(format('%%I.mzgis_migrations', %s::text))", (schema,)
        ).fetchone()
        if table is None or table[0] is None:  # checked first: a role that only uses the
            # store needs no right to create schemas or tables
            con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(names["schema"]))
            con.execute(sql.SQL(MIGRATIONS_TABLE).format(**names))
        row = con.execute(
            sql.SQL(
                "SELECT COALESCE(MAX(step), 0) FROM {schema}.mzgis_migrations WHERE component = %s"
            ).format(**names),
            (component,),
        ).fetchone()
        done = int(row[0]) if row else 0
        for step, text in enumerate(steps, start=1):
            if step <= done:
                continue
            con.execute(sql.SQL(text).format(**names))
            con.execute(
                sql.SQL(
                    "INSERT INTO {schema}.mzgis_migrations (component, step) VALUES (%s, %s)"
                ).format(**names),
                (component, step),
            )
    return max(0, len(steps) - done)


@contextlib.contextmanager
def transaction(pool: ConnectionPool) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection inside one transaction (committed on success)."""
    with pool.connection() as con, con.transaction():
        yield con


def ensure_postgis(con: psycopg.Connection[Any]) -> None:
    """Create the PostGIS extension when missing (needs the right to); say so if refused."""
    with con.transaction():
        present = con.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
    if present:
        return
    try:
        with con.transaction():
            # in public, whatever the pooled connection's search path puts first
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public")
    except psycopg.Error as exc:
        msg = (
            f"the database has no PostGIS extension and it cannot be created here ({exc})"
            "; ask an administrator to run CREATE EXTENSION postgis"
            " / 数据库未安装 PostGIS 扩展，请管理员执行 CREATE EXTENSION postgis"
        )
        raise StoreError(msg) from exc
