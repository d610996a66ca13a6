"""Backups of a live store, verified before they are reported, and their restore.

A backup is one GeoPackage file (layers with their history and the kept data of their
earlier versions, artifacts, records, photos, zone plans, users and the audit log: every
table of :data:`layers.records.snapshot.STORE_TABLES`), optionally encrypted with a
passphrase (:mod:`layers.store.crypt`). It is taken from one consistent view of the source
(:func:`layers.records.snapshot.frozen`), written under a temporary name beside the target
and renamed only after it verified against that view (:mod:`layers.records.verify`: rows
per table, each layer's history, quick_check, the audit chain and its head, photo hashes,
no audit entry naming what the file lacks).

Whatever fails, the temporary files are removed: a failed backup leaves no target. A
restore verifies the backup the same way first, then writes a new GeoPackage (never over an
existing file) or copies into a PostGIS store (which must hold no records; layers it
created are dropped again when the copy fails). :func:`copy_live` is ``store copy`` on the
same rule.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from layers._errors import ConflictError, StoreError
from layers.records.copy import copy_store_and_records
from layers.records.snapshot import copy_pages, frozen, table_counts
from layers.records.verify import BackupResult, lineage_digests, same_counts, verify_backup
from layers.store import crypt
from layers.store.base import Store
from layers.store.copy import CARRIED_TABLES, CopyResult
from layers.store.gpkg import GeoPackageStore

__all__ = [
    "BackupResult",
    "backup_store",
    "copy_live",
    "lineage_digests",
    "restore_store",
    "verify_backup",
]

Progress = Callable[[str], None] | None
_SIDE_FILES = ("-wal", "-shm", "-journal")


def backup_store(
    source: Store,
    target: str | Path,
    *,
    passphrase: str | None = None,
    progress: Progress = None,
) -> BackupResult:
    """Write a verified backup of ``source`` to the new file ``target``.

    Raises
    ------
    ConflictError
        ``target`` exists (a backup never replaces a file).
    StoreError
        The copy does not verify (nothing is left at ``target``).
    """
    started, dest = time.perf_counter(), Path(target)
    if dest.exists():
        msg = f"{dest} already exists; a backup never replaces a file"
        msg += " / 目标文件已存在，备份不会覆盖文件"
        raise ConflictError(msg)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _scratch(dest) as plain:
        if isinstance(source, GeoPackageStore):
            expected, lineages = copy_pages(source.path, plain), None  # page for page
        else:
            with frozen(source) as view:
                expected, lineages = table_counts(view), lineage_digests(view)
                copy_store_and_records(view, GeoPackageStore(plain))
        _say(progress, "snapshot written; verifying / 快照已写出，正在校验")
        result = verify_backup(plain, expected=expected, lineages=lineages)
        if passphrase is None:
            _checkpoint(plain)
            plain.replace(dest)
        else:
            with _scratch(dest) as sealed:
                crypt.encrypt_file(plain, sealed, passphrase=passphrase)
                _check_roundtrip(plain, sealed, passphrase)
                sealed.replace(dest)
    return _finished(result, dest, started, encrypted=passphrase is not None)


def restore_store(
    backup: str | Path,
    target: str,
    *,
    passphrase: str | None = None,
    replace: bool = False,
    progress: Progress = None,
) -> BackupResult:
    """Restore the backup file ``backup`` into ``target`` after verifying it.

    ``target`` is a new ``.gpkg`` path (an existing file is refused) or a PostGIS URL whose
    store holds no records yet (its layers of the same names are replaced only with
    ``replace``).
    """
    from layers.store import is_postgis_url, open_store

    started = time.perf_counter()
    if not is_postgis_url(target) and Path(target).exists():
        msg = (
            f"{target} already exists; restore writes a new file only"
            " / 目标文件已存在，恢复只写入新文件"
        )
        raise ConflictError(msg)
    with _readable(Path(backup), passphrase) as plain:
        result = verify_backup(plain)
        _say(progress, "backup verified / 备份已校验")
        if not is_postgis_url(target):
            dest = Path(target)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with _scratch(dest) as copy:
                copy_pages(plain, copy)
                _checkpoint(copy)
                copy.replace(dest)
            return _finished(result, dest, started, encrypted=passphrase is not None)
        opened = open_store(target)
        try:
            fresh = not opened.lineage_names() and not opened.artifacts()
            _copy_or_undo(GeoPackageStore(plain), opened, replace=replace, progress=progress)
            expected = {
                table: rows
                for table, rows in result.counts.items()
                if fresh or table not in CARRIED_TABLES  # else the target's own add to them
            }
            same_counts(expected, table_counts(opened), opened.url)
        finally:
            opened.close()
    # the store's URL without its password, as every message names a PostGIS store
    return _finished(result, opened.url, started, encrypted=passphrase is not None)


def copy_live(
    source: Store,
    target: str,
    *,
    names: Sequence[str] | None = None,
    replace: bool = False,
    records: bool = True,
    progress: Progress = None,
) -> tuple[CopyResult, dict[str, int], str]:
    """``store copy``: copy one consistent view of ``source`` into ``target``.

    A new ``.gpkg`` target is written under a temporary name and renamed when complete;
    into an existing store, layers the copy created are dropped again when it fails.
    Returns the layer result, the rows per record table and the target's URL.
    """
    from layers.store import is_postgis_url, open_store

    new_file = not is_postgis_url(target) and not Path(target).exists()
    if new_file:
        dest = Path(target)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with frozen(source) as view, _scratch(dest) as tmp:
            copied = copy_store_and_records(
                view, GeoPackageStore(tmp), names=names, records=records, progress=progress
            )
            _checkpoint(tmp)
            tmp.replace(dest)
        return (*copied, str(dest))
    opened = open_store(target)
    try:
        if _same_store(source, opened):  # checked before the snapshot, which holds back
            # the writes of the layers it sees
            msg = f"source and target are the same store ({opened.url}) / 源与目标是同一个存储"
            raise ConflictError(msg)
        with frozen(source) as view:
            copied = _copy_or_undo(
                view, opened, names=names, replace=replace, records=records, progress=progress
            )
        return (*copied, opened.url)
    finally:
        opened.close()


def _same_store(a: Store, b: Store) -> bool:
    from layers.store.postgis import PostGISStore

    if isinstance(a, PostGISStore) and isinstance(b, PostGISStore):
        return (a.conninfo, a.schema) == (b.conninfo, b.schema)
    if isinstance(a, GeoPackageStore) and isinstance(b, GeoPackageStore):
        return a.path.resolve() == b.path.resolve()
    return False


def _copy_or_undo(
    source: Store,
    target: Store,
    *,
    names: Sequence[str] | None = None,
    replace: bool = False,
    records: bool = True,
    progress: Progress = None,
) -> tuple[CopyResult, dict[str, int]]:
    """Copy into an existing store; on failure drop the layers this copy created."""
    before = {info.name for info in target.layers()}
    try:
        return copy_store_and_records(
            source, target, names=names, replace=replace, records=records, progress=progress
        )
    except BaseException:
        for info in target.layers():
            if info.name not in before:
                with contextlib.suppress(StoreError):
                    target.delete(info.name)
        raise


@contextlib.contextmanager
def _scratch(beside: Path) -> Iterator[Path]:
    """A fresh temporary path beside ``beside``; whatever is left there (and SQLite's side
    files) is removed when the block ends."""
    fd, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=".partial", dir=beside.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()
    try:
        yield tmp
    finally:
        for suffix in ("", *_SIDE_FILES):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)


@contextlib.contextmanager
def _readable(backup: Path, passphrase: str | None) -> Iterator[Path]:
    """A private plain copy of ``backup`` (decrypted when it is encrypted)."""
    if not backup.is_file():
        raise StoreError(f"no backup file {backup} / 找不到备份文件")
    encrypted = crypt.is_encrypted(backup)
    if encrypted and passphrase is None:
        raise StoreError(f"{backup} is encrypted: give its passphrase / 备份已加密，请提供口令")
    with tempfile.TemporaryDirectory(prefix="mzgis-restore-") as tmp:
        plain = Path(tmp) / "backup.gpkg"
        if encrypted:
            crypt.decrypt_file(backup, plain, passphrase=str(passphrase))
        else:
            copy_pages(backup, plain)
        yield plain


def _check_roundtrip(plain: Path, sealed: Path, passphrase: str) -> None:
    with tempfile.TemporaryDirectory(prefix="mzgis-verify-") as tmp:
        again = Path(tmp) / "plain"
        crypt.decrypt_file(sealed, again, passphrase=passphrase)
        if _digest(again) != _digest(plain):
            raise StoreError(f"{sealed}: encrypted copy does not decrypt / 加密副本无法还原")


def _digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file so that it is complete on its own, then fsync it."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _finished(
    result: BackupResult, path: str | Path, started: float, *, encrypted: bool
) -> BackupResult:
    size = Path(path).stat().st_size if Path(path).exists() else 0
    seconds = time.perf_counter() - started
    fields = {**result.__dict__, "path": str(path), "size_bytes": size, "seconds": seconds}
    return BackupResult(**{**fields, "encrypted": encrypted})


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)
