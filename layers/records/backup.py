"""Backups of a live store, verified before they are reported, and their restore.

A backup is one GeoPackage file (layers, records, photos, zone plans, users and the audit
log), optionally encrypted with a passphrase (:mod:`layers.store.crypt`). It is taken from
one consistent view of the source (:func:`layers.records.snapshot.frozen`), written under a
temporary name beside the target and renamed only after it verified:

- the rows of every layer and record table equal the source's in that view;
- SQLite's ``quick_check`` passes;
- the audit chain verifies and ends at the source's head;
- every photo's bytes hash to its SHA-256;
- no audit entry names a record, photo, campaign or zone plan that the copy lacks.

Whatever fails, the temporary files are removed: a failed backup leaves no target. A
restore verifies the backup the same way first, then writes a new GeoPackage (never over an
existing file) or copies into a PostGIS store (which must hold no records; layers it
created are dropped again when the copy fails). :func:`copy_live` is ``store copy`` on the
same rule.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from layers._errors import ConflictError, StoreError
from layers.records.copy import copy_store_and_records
from layers.records.snapshot import copy_pages, frozen, table_counts
from layers.store import crypt
from layers.store.base import Store
from layers.store.copy import CopyResult
from layers.store.gpkg import GeoPackageStore

__all__ = ["BackupResult", "backup_store", "copy_live", "restore_store", "verify_backup"]

Progress = Callable[[str], None] | None
_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupResult:
    """What a verified backup or restore holds."""

    path: str
    counts: dict[str, int] = field(default_factory=dict)
    audit_entries: int = 0
    audit_head: str = ""
    photos: int = 0
    size_bytes: int = 0
    seconds: float = 0.0
    encrypted: bool = False


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
            expected = copy_pages(source.path, plain)
        else:
            with frozen(source) as view:
                expected = table_counts(view)
                copy_store_and_records(view, GeoPackageStore(plain))
        _say(progress, "snapshot written; verifying / 快照已写出，正在校验")
        result = verify_backup(plain, expected=expected)
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
            _copy_or_undo(GeoPackageStore(plain), opened, replace=replace, progress=progress)
            _same_counts(result.counts, table_counts(opened), str(target))
        finally:
            opened.close()
    return _finished(result, target, started, encrypted=passphrase is not None)


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
    with frozen(source) as view:
        if not new_file:
            opened = open_store(target)
            try:
                copied = _copy_or_undo(
                    view, opened, names=names, replace=replace, records=records, progress=progress
                )
                return (*copied, opened.url)
            finally:
                opened.close()
        dest = Path(target)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _scratch(dest) as tmp:
            copied = copy_store_and_records(
                view, GeoPackageStore(tmp), names=names, records=records, progress=progress
            )
            _checkpoint(tmp)
            tmp.replace(dest)
    return (*copied, str(dest))


def verify_backup(path: str | Path, *, expected: dict[str, int] | None = None) -> BackupResult:
    """Check a (plain) backup file; ``expected``: the rows each table must hold.

    Raises
    ------
    StoreError
        Naming the first check that failed.
    """
    path = Path(path)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as con:
        status = con.execute("PRAGMA quick_check").fetchone()
        if status is None or status[0] != "ok":
            raise StoreError(f"{path}: damaged file ({status}) / 备份文件已损坏")
    counts = table_counts(GeoPackageStore(path))
    if expected is not None:
        _same_counts(expected, counts, str(path))
    entries, head, photos = 0, "", 0
    if "mzgis_audit" in counts:
        from layers.records.gpkg import GeoPackageRecordStore

        with contextlib.closing(GeoPackageRecordStore(path)) as records:
            check = records.verify_audit()
            if not check.ok:
                msg = f"{path}: audit chain broken at {check.first_bad_seq}: {check.reason}"
                raise StoreError(f"{msg} / 备份中的审计日志校验失败")
            entries, head = check.entries, check.head_hash
            with contextlib.closing(sqlite3.connect(path)) as con:
                photos = _check_photos(con, path)
                _check_references(con, path)
    return BackupResult(str(path), counts, entries, head, photos)


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


def _same_counts(expected: dict[str, int], found: dict[str, int], where: str) -> None:
    wrong = sorted(t for t in expected if found.get(t, 0) != expected[t])
    if wrong:
        detail = ", ".join(f"{t}: {found.get(t, 0)} ≠ {expected[t]}" for t in wrong)
        raise StoreError(f"{where}: row counts differ ({detail}) / 复制后的行数与源不一致")


def _check_photos(con: sqlite3.Connection, path: Path) -> int:
    count = 0
    for record_id, sha256, size, data in con.execute(
        "SELECT record_id, sha256, size_bytes, data FROM mzgis_photos"
    ):
        count += 1
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            msg = f"{path}: photo {sha256} of record {record_id} does not match its hash"
            raise StoreError(f"{msg} / 照片内容与其哈希不符")
    return count


def _check_references(con: sqlite3.Connection, path: Path) -> None:
    """Every audit entry about a record, photo, campaign or zone plan names one present."""
    records = (
        "SELECT {} FROM mzgis_marker_inspections UNION ALL SELECT {} FROM mzgis_segment_checks"
    )
    present = {  # a record as its entries name it: campaign/record, or record before that
        "record": _column(con, records.format(*["campaign_id || '/' || record_id"] * 2))
        | _column(con, records.format("record_id", "record_id")),
        "photo": _column(
            con, "SELECT campaign_id || '/' || record_id || '/' || sha256 FROM mzgis_photos"
        )
        | _column(con, "SELECT record_id || '/' || sha256 FROM mzgis_photos"),
        "campaign": _column(con, "SELECT campaign_id FROM mzgis_campaigns"),
        "zone_plan": _column(con, "SELECT plan_id FROM mzgis_zone_plans"),
    }
    for seq, action, target, detail in con.execute(
        "SELECT seq, action, target, detail FROM mzgis_audit ORDER BY seq"
    ):
        key = _reference(action, target, json.loads(detail))
        if key is not None and key[1] not in present[key[0]]:
            msg = f"{path}: audit entry {seq} ({action}) names {target}, which is missing"
            raise StoreError(f"{msg} / 审计记录 {seq} 指向的对象在备份中不存在")


def _reference(action: str, target: str, detail: dict[str, object]) -> tuple[str, str] | None:
    name = target.split(":", 1)[-1]
    if action.startswith("record."):
        return "record", name
    if action == "photo.add":
        return "photo", f"{name}/{detail.get('sha256')}"
    if action.startswith(("campaign.", "zone_plan.")):
        return action.split(".", 1)[0], name
    return None


def _column(con: sqlite3.Connection, query: str) -> set[str]:
    return {str(row[0]) for row in con.execute(query)}


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
