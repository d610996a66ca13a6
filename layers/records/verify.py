"""Checks of a backup file: what :func:`layers.records.backup.backup_store` verifies before
it reports a backup, and :func:`layers.records.backup.restore_store` before it restores one.

- the rows of every layer and store table equal the source's (when they are given);
- each layer's lineage (history rows, current version, SHA-256 of every kept version's
  bytes) equals the source's (when given), and every kept version decompresses (its
  Adler-32 checksum);
- SQLite's ``quick_check`` passes;
- the audit chain verifies; every photo's bytes hash to its SHA-256;
- no audit entry names a record, photo, campaign or zone plan that the file lacks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from layers._errors import StoreError
from layers.records._rows import parse_target
from layers.records.snapshot import table_counts
from layers.store.base import Store
from layers.store.gpkg import GeoPackageStore
from layers.store.lineage import check_kept_data

__all__ = ["BackupResult", "lineage_digests", "same_counts", "verify_backup"]


@dataclass(frozen=True)
class BackupResult:
    """What a verified backup or restore holds."""

    path: str
    counts: dict[str, int] = field(default_factory=dict)
    audit_entries: int = 0
    audit_head: str = ""
    photos: int = 0
    layer_versions: int = 0
    size_bytes: int = 0
    seconds: float = 0.0
    encrypted: bool = False


def verify_backup(
    path: str | Path,
    *,
    expected: dict[str, int] | None = None,
    lineages: dict[str, str] | None = None,
) -> BackupResult:
    """Check a (plain) backup file; ``expected``: the rows each table must hold,
    ``lineages``: the digest of each layer's lineage (:func:`lineage_digests`).

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
    copy = GeoPackageStore(path)
    counts = table_counts(copy)
    if expected is not None:
        same_counts(expected, counts, str(path))
    versions = _check_versions(copy, lineages)
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
    return BackupResult(str(path), counts, entries, head, photos, versions)


def lineage_digests(store: Store) -> dict[str, str]:
    """The digest of every layer's lineage (deleted layers' too), by name."""
    return {name: store.lineage(name).digest() for name in store.lineage_names()}


def _check_versions(copy: Store, expected: dict[str, str] | None) -> int:
    """Every kept version of ``copy`` decompresses, and its lineages are ``expected``'s;
    returns the kept versions."""
    kept, found = 0, {}
    for name in copy.lineage_names():
        lineage = copy.lineage(name)
        for version, _, data in lineage.kept:
            check_kept_data(name, version, data)
        kept, found[name] = kept + len(lineage.kept), lineage.digest()
    if expected is not None:
        wrong = sorted(n for n in set(expected) | set(found) if expected.get(n) != found.get(n))
        if wrong:
            msg = f"{copy.url}: the history of layers {', '.join(wrong)} differs from the source"
            raise StoreError(f"{msg} / 备份中图层 {', '.join(wrong)} 的版本历史与源不一致")
    return kept


def same_counts(expected: dict[str, int], found: dict[str, int], where: str) -> None:
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
    if action.startswith("record.") or action == "photo.add":
        try:
            name = parse_target(target).name
        except ValueError:
            name = target  # names no record: told as missing
        if action == "photo.add":
            return "photo", f"{name}/{detail.get('sha256')}"
        return "record", name
    if action.startswith(("campaign.", "zone_plan.")):
        return action.split(".", 1)[0], target.split(":", 1)[-1]
    return None


def _column(con: sqlite3.Connection, query: str) -> set[str]:
    return {str(row[0]) for row in con.execute(query)}
