"""Backups: one consistent snapshot, verified before success, restorable, encrypted on request;
a failed backup leaves nothing; the checks catch what they claim to."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest

from layers import ConflictError, StoreError
from layers.records import Campaign, RecordStore, open_record_store
from layers.records.backup import backup_store, copy_live, restore_store, verify_backup
from layers.records.snapshot import table_counts
from layers.store import GeoPackageStore, Store, open_store
from layers.store.crypt import decrypt_file, encrypt_file, is_encrypted
from tests.layers.test_store import stations
from tests.layers.test_store_postgis_copy import COMPUTED, MARKER, fill_records

PASSPHRASE = "correct horse battery"


@pytest.fixture
def source(store: Store) -> Store:
    """A store on each backend with a layer and every kind of record row."""
    store.write("stations", stations(5), kind="stations")
    fill_records(open_record_store(store))
    return store


def test_backup_verifies_restores_and_equals_the_source(source: Store, tmp_path: Path) -> None:
    out = tmp_path / "b" / "backup.gpkg"
    result = backup_store(source, out)
    assert out.is_file() and result.path == str(out)
    assert result.counts == table_counts(source)
    assert result.counts["stations"] == 5 and result.counts["mzgis_audit"] > 5
    assert (result.audit_entries, result.audit_head) == _head(open_record_store(source))
    assert result.photos == 1
    assert sorted(p.name for p in out.parent.iterdir()) == ["backup.gpkg"]  # no leftovers
    restored = restore_store(out, str(tmp_path / "restored.gpkg"))
    back = GeoPackageStore(tmp_path / "restored.gpkg")
    assert table_counts(back) == result.counts and restored.audit_head == result.audit_head
    assert back.read("stations").drop(columns="fid", errors="ignore").shape[0] == 5
    with pytest.raises(ConflictError, match="already exists"):
        backup_store(source, out)
    with pytest.raises(ConflictError, match="already exists"):
        restore_store(out, str(tmp_path / "restored.gpkg"))


def test_encrypted_backup_needs_its_passphrase(source: Store, tmp_path: Path) -> None:
    out = tmp_path / "backup.gpkg.enc"
    result = backup_store(source, out, passphrase=PASSPHRASE)
    assert result.encrypted and is_encrypted(out)
    assert b"alice" not in out.read_bytes()  # nothing readable in the clear
    with pytest.raises(StoreError, match="encrypted"):
        restore_store(out, str(tmp_path / "a.gpkg"))
    with pytest.raises(StoreError, match="wrong passphrase"):
        restore_store(out, str(tmp_path / "a.gpkg"), passphrase="not the passphrase")
    assert not (tmp_path / "a.gpkg").exists()
    restore_store(out, str(tmp_path / "a.gpkg"), passphrase=PASSPHRASE)
    assert table_counts(GeoPackageStore(tmp_path / "a.gpkg")) == result.counts


def test_encrypted_file_refuses_tampering_and_truncation(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(bytes(range(256)) * 9000)  # three chunks
    sealed = tmp_path / "sealed"
    encrypt_file(plain, sealed, passphrase=PASSPHRASE)
    data = sealed.read_bytes()
    for name, bad in {
        "flipped": data[:-100] + bytes([data[-100] ^ 1]) + data[-99:],
        "truncated": data[: len(data) - (len(data) - 64) // 3],
        "header": data[:30] + bytes([data[30] ^ 1]) + data[31:],
    }.items():
        (tmp_path / name).write_bytes(bad)
        with pytest.raises(StoreError, match=r"damaged|wrong passphrase"):
            decrypt_file(tmp_path / name, tmp_path / f"{name}.out", passphrase=PASSPHRASE)
        assert not (tmp_path / f"{name}.out").exists()
    decrypt_file(sealed, tmp_path / "again", passphrase=PASSPHRASE)
    assert (tmp_path / "again").read_bytes() == plain.read_bytes()
    with pytest.raises(StoreError, match="at least 10"):
        encrypt_file(plain, tmp_path / "weak", passphrase="short")


def test_a_failed_backup_leaves_no_target(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "src.gpkg")
    store.write("stations", stations(3), kind="stations")
    records = open_record_store(store)
    fill_records(records)
    # an audit entry naming a record that is gone: the copy must not verify
    with sqlite3.connect(store.path) as con:
        con.execute("DELETE FROM mzgis_photos")
    out = tmp_path / "out" / "backup.gpkg"
    with pytest.raises(StoreError, match=r"audit entry \d+ \(photo.add\)"):
        backup_store(store, out, passphrase=PASSPHRASE)
    assert list(out.parent.iterdir()) == []


def test_verification_catches_a_bad_photo_and_a_broken_chain(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "src.gpkg")
    fill_records(open_record_store(store))
    backup_store(store, tmp_path / "ok.gpkg")
    for name, change in {
        "photo": "UPDATE mzgis_photos SET data = X'00'",
        "chain": "UPDATE mzgis_audit SET actor = 'mallory' WHERE seq = 2",
    }.items():
        path = tmp_path / f"{name}.gpkg"
        path.write_bytes((tmp_path / "ok.gpkg").read_bytes())
        with contextlib.closing(sqlite3.connect(path)) as con:
            con.execute("DROP TRIGGER IF EXISTS mzgis_audit_no_update")
            con.execute(change)
            con.commit()
        with pytest.raises(StoreError, match=r"photo|audit chain"):
            verify_backup(path)


def test_backup_under_live_submissions_holds_every_acknowledged_record(
    source: Store, tmp_path: Path
) -> None:
    """Writers submit records (about 40/s) while backups are taken: each backup verifies,
    restores, holds every record acknowledged before it started and no orphan entry."""
    records = open_record_store(source)
    campaign = records.list_campaigns()[0].campaign_id
    acknowledged: list[str] = []
    stop = threading.Event()

    def submit() -> None:
        while not stop.is_set():
            record, _ = records.create_record(
                "marker", record_id=str(uuid.uuid4()), campaign_id=campaign, line_code="0001",
                body=MARKER, computed=COMPUTED, actor="alice",
            )  # fmt: skip
            acknowledged.append(record.record_id)
            stop.wait(0.05)

    writers = [threading.Thread(target=submit) for _ in range(2)]
    for w in writers:
        w.start()
    try:
        stop.wait(0.3)
        started, n = len(acknowledged), 0
        while n < 3 or len(acknowledged) - started < 30:
            n, before = n + 1, list(acknowledged)
            out = tmp_path / f"live{n}.gpkg"
            backup_store(source, out)
            held = _record_ids(out)
            assert set(before) <= held, "a record acknowledged before the backup is missing"
            restore_store(out, str(tmp_path / f"restored{n}.gpkg"))
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert len(acknowledged) - started >= 30  # the backups ran while records arrived


def test_copy_live_into_a_new_file_and_refused_copy_leaves_nothing(
    source: Store, tmp_path: Path
) -> None:
    _, rows, url = copy_live(source, str(tmp_path / "copy.gpkg"))
    assert rows["mzgis_audit"] == table_counts(source)["mzgis_audit"]
    assert table_counts(open_store(url)) == table_counts(source)
    taken = GeoPackageStore(tmp_path / "taken.gpkg")
    open_record_store(taken).add_campaign(
        Campaign("2025-0002", "0002", 1, 2025, "x", "1", "a", "2", "b"), actor="cli"
    )
    with pytest.raises(ConflictError):
        copy_live(source, str(taken.path))
    assert taken.layers() == []


def _head(records: RecordStore) -> tuple[int, str]:
    return records.audit_head()


def _record_ids(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as con:
        return {r[0] for r in con.execute("SELECT record_id FROM mzgis_marker_inspections")}
