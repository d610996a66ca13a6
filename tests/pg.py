"""A throwaway PostgreSQL + PostGIS cluster for the tests.

:func:`start_cluster` finds the server binaries (Debian's ``postgresql`` and
``postgresql-<major>-postgis-3`` packages, installed by ``scripts/install.sh --test``), runs
``initdb`` into a fresh temporary directory (as the ``postgres`` system user when the tests
run as root, since root cannot run a cluster), starts it on a free port listening on
127.0.0.1 only, and creates one database with the PostGIS extension. :meth:`Cluster.stop`
stops the server and removes the directory.

When no server with PostGIS is installed, :func:`require_cluster` skips with the reason on a
developer machine and fails loudly in CI (``CI`` set), so a missing server is never a
silent pass.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

__all__ = ["Cluster", "find_binaries", "fresh_schema", "require_cluster", "start_cluster"]

ADMIN = "mzgis_admin"
DATABASE = "mzgis_test"
#: the Debian packages that provide the server (``<major>`` is the server version)
PACKAGES = "postgresql postgresql-<major>-postgis-3"
START_TIMEOUT_S = 60


@dataclass
class Cluster:
    """A running throwaway cluster: ``url`` reaches database ``DATABASE`` as superuser."""

    bindir: Path
    root: Path
    port: int
    password: str
    run_as: str | None

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url_for(self, user: str, password: str, database: str = DATABASE) -> str:
        return f"postgresql://{user}:{quote(password)}@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for(ADMIN, self.password)

    def stop(self) -> None:
        """Stop the server (immediately: it is thrown away) and remove its directory."""
        if (self.datadir / "postmaster.pid").exists():
            _run(
                [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", "immediate"],
                run_as=self.run_as,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def find_binaries() -> Path | None:
    """The ``bin`` directory of the newest installed server that has PostGIS, or ``None``."""
    found = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        major = initdb.parents[1].name
        control = Path(f"/usr/share/postgresql/{major}/extension/postgis.control")
        if control.exists() and major.isdigit():
            found.append((int(major), initdb.parent))
    return max(found)[1] if found else None


def _run(args: list[str], *, run_as: str | None, check: bool = True) -> str:
    if run_as is not None:
        args = ["runuser", "-u", run_as, "--", *args]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        msg = f"{' '.join(args)} failed ({done.returncode}): {done.stderr or done.stdout}"
        raise RuntimeError(msg)
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_user() -> str | None:
    """``postgres`` when running as root (initdb refuses root), else ``None`` (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        msg = "running as root and there is no 'postgres' system user to run the cluster"
        raise RuntimeError(msg) from exc
    return "postgres"


def start_cluster(bindir: Path, *, durable: bool = False) -> Cluster:
    """initdb, start on a free 127.0.0.1 port, create :data:`DATABASE` with PostGIS.

    The tests' cluster does not wait for the disk (``fsync``, ``synchronous_commit`` and
    ``full_page_writes`` off); ``durable`` turns them on, as a server keeps them (for
    benchmarks whose figures must include the flush of every commit)."""
    run_as = _server_user()
    root = Path(tempfile.mkdtemp(prefix="mzgis-pg-"))
    cluster = Cluster(bindir, root, _free_port(), secrets.token_hex(16), run_as)
    try:
        pwfile = root / "pw"
        pwfile.write_text(cluster.password + "\n")
        if run_as is not None:
            entry = pwd.getpwnam(run_as)
            for path in (root, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        _run(
            [str(bindir / "initdb"), "-D", str(cluster.datadir), "-U", ADMIN, "-E", "UTF8",
             "--locale=C", "--auth-local=peer", "--auth-host=scram-sha-256",
             f"--pwfile={pwfile}", "--no-sync"],
            run_as=run_as,
        )  # fmt: skip
        flush = "on" if durable else "off"
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={cluster.port}"
            f" -c unix_socket_directories={root} -c max_connections=100"
            f" -c fsync={flush} -c synchronous_commit={flush} -c full_page_writes={flush}"
        )
        _run(
            [str(bindir / "pg_ctl"), "start", "-D", str(cluster.datadir), "-w",
             "-t", str(START_TIMEOUT_S), "-l", str(root / "server.log"), "-o", options],
            run_as=run_as,
        )  # fmt: skip
        _create_database(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _create_database(cluster: Cluster) -> None:
    import psycopg

    admin = cluster.url_for(ADMIN, cluster.password, "postgres")
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(cluster.url, autocommit=True) as con:
        con.execute("CREATE EXTENSION postgis")


def require_cluster() -> Cluster:
    """Start a cluster, or skip (developer machine) / fail (CI) saying what is missing."""
    bindir = find_binaries()
    if bindir is None:
        msg = (
            f"no PostgreSQL server with PostGIS installed (Debian packages: {PACKAGES}; "
            "scripts/install.sh --test installs them)"
        )
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return start_cluster(bindir)


def fresh_schema(prefix: str = "t") -> str:
    """A schema name no other test uses (stores in one database are kept apart by schema)."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """``with running_cluster() as cluster:`` for scripts (stopped on exit)."""
    cluster = require_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


if __name__ == "__main__":  # a durable cluster for the benchmarks, left running
    bindir = find_binaries()
    if bindir is None:
        raise SystemExit(f"no PostgreSQL server with PostGIS installed (Debian: {PACKAGES})")
    started = start_cluster(bindir, durable=True)
    print(started.url)
    who = f"runuser -u {started.run_as} -- " if started.run_as else ""
    print(f"stop: {who}{bindir / 'pg_ctl'} stop -D {started.datadir}; rm -r {started.root}")
