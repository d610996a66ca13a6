"""Backups, restores and copies carry every table a store owns, earlier layer versions
included: the history, the kept data and the current version and time of each layer (also
of a deleted one) come back equal, and ``restore`` (undo) works on the copy as on the source.
The tables are found from the store's DDL and checked against a real database, so a new
table that a backup does not carry fails here."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

import pandas as pd
import pytest

from layers import ConflictError, StoreError
from layers.records import layer_stamps, open_record_store
from layers.records.backup import backup_store, copy_live, restore_store, verify_backup
from layers.records.snapshot import (
    BOOKKEEPING,
    RECORD_TABLES,
    STORE_TABLES,
    ddl_tables,
    table_counts,
)
from layers.store import GeoPackageStore, Store, open_store
from layers.store._sql import MZGIS_TABLES
from layers.store.copy import CARRIED_TABLES, copy_store
from layers.store.postgis import PostGISStore
from tests.layers.test_store_postgis_copy import fill_records
from tests.layers.test_store_versions import stations
from tests.layers.test_zone_plan_copy import _plan
from tests.pg import fresh_schema


def versioned(store: Store) -> Store:
    """Three versions of ``stations`` (two kept), a deleted layer, an artifact, and every
    record and zone-plan table holding rows."""
    store.write("stations", stations(5), kind="stations", source="import a.xlsx")
    store.write("stations", stations(7, tag="B"), kind="stations", source="import b.xlsx")
    store.write("stations", stations(6, tag="C"), kind="stations", source="edit")
    store.write("gone", stations(2), kind="stations", source="import gone.xlsx")
    store.delete("gone")
    store.put_artifact("walking_network", b"\x00network" * 1000, key="roads:1:then")
    records = open_record_store(store)
    fill_records(records)
    _plan(records, layer_stamps(store, ["stations"]), edits=1)
    records.close()
    return store


def histories(store: Store) -> dict[str, list[dict[str, object]]]:
    return {n: [v.to_dict() for v in store.history(n)] for n in store.lineage_names()}


def live_tables(store: Store) -> set[str]:
    """The tables the database really holds, less layers, GeoPackage and R-tree tables."""
    layers = {info.name for info in store.layers()}
    if isinstance(store, PostGISStore):
        with store.pool.connection() as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (store.schema,),
            ).fetchall()
    else:
        assert isinstance(store, GeoPackageStore)
        with store.connect() as con:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    names = {str(r[0]) for r in rows} - layers - set(BOOKKEEPING)
    return {n for n in names if not n.startswith(("gpkg_", "rtree_", "sqlite_"))}


def test_the_tables_found_in_the_ddl_are_the_ones_copies_carry() -> None:
    assert set(STORE_TABLES) == set(CARRIED_TABLES) | set(RECORD_TABLES)
    assert set(ddl_tables("CREATE TABLE IF NOT EXISTS {schema}.mzgis_new (a int)")) == {"mzgis_new"}
    gpkg_catalog = {t for t in CARRIED_TABLES if f"EXISTS {t} (" in MZGIS_TABLES}
    assert gpkg_catalog == {"mzgis_layers", "mzgis_layers_history", "mzgis_layer_versions"}


def test_a_backup_holds_every_table_the_store_owns(store: Store, tmp_path: Path) -> None:
    source = versioned(store)
    assert live_tables(source) == set(STORE_TABLES)  # nothing the DDL parse misses
    expected = table_counts(source)
    assert all(expected[t] > 0 for t in STORE_TABLES), expected  # every table has rows
    result = backup_store(source, tmp_path / "backup.gpkg")
    assert result.counts == expected
    assert result.layer_versions == 3  # stations 1 and 2, the deleted layer's last data
    backup = GeoPackageStore(tmp_path / "backup.gpkg")
    assert live_tables(backup) == set(STORE_TABLES)
    assert histories(backup) == histories(source)


@pytest.mark.parametrize("into", ["gpkg", "postgis"])
def test_restored_history_is_the_sources_and_undo_works(
    store: Store, into: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = versioned(store)
    backup_store(source, tmp_path / "backup.gpkg")
    target = str(tmp_path / "restored.gpkg")
    if into == "postgis":  # a schema of its own (``pg_url`` may be the source's)
        target = f"{request.getfixturevalue('pg_cluster').url}?schema={fresh_schema()}"
    result = restore_store(tmp_path / "backup.gpkg", target)
    if into == "postgis":  # the answer names the store without its password
        assert result.path.startswith("postgresql://mzgis_admin:***@")
    restored = open_store(target)
    try:
        assert histories(restored) == histories(source)
        assert restored.info("stations").version == source.info("stations").version == 3
        assert layer_stamps(restored, ["stations"]) == layer_stamps(source, ["stations"])
        assert restored.get_artifact("walking_network", key="roads:1:then") is not None
        for undo in (restored, source):
            back = undo.restore("stations", 1)
            assert back.version == 4 and back.count == 5
        pd.testing.assert_frame_equal(restored.read("stations"), source.read("stations"))
        assert histories(restored)["stations"][-1]["source"].startswith("restore of version 1")
        restored.restore("gone", 1)  # the deleted layer comes back too
        assert restored.info("gone").count == 2
    finally:
        restored.close()


def test_cross_store_copies_keep_the_versions(pg_url: str, tmp_path: Path) -> None:
    source = versioned(GeoPackageStore(tmp_path / "src.gpkg"))
    result, rows, _ = copy_live(source, pg_url)
    assert rows["mzgis_audit"] > 0 and result.artifacts == ["walking_network"]
    assert set(result.lineages) == {"stations", "gone"} and result.history_left == []
    middle = open_store(pg_url)
    result, _, _ = copy_live(middle, str(tmp_path / "back.gpkg"))
    back = GeoPackageStore(tmp_path / "back.gpkg")
    try:
        for copied in (middle, back):
            assert histories(copied) == histories(source)
            assert copied.kept_version("stations", 2)[1].equals(
                source.kept_version("stations", 2)[1]
            )
        assert table_counts(back) == table_counts(source)
        back.restore("stations", 2)
        assert back.read("stations")["name"].str.startswith("B").all()
    finally:
        middle.close()


def test_a_replaced_layer_keeps_the_targets_history(pg_url: str, tmp_path: Path) -> None:
    source = GeoPackageStore(tmp_path / "src.gpkg")
    source.write("stations", stations(4), kind="stations")
    source.write("stations", stations(5), kind="stations")
    target = open_store(pg_url)
    try:
        target.write("stations", stations(2, tag="T"), kind="stations", source="theirs")
        result = copy_store(source, target, replace=True)
        assert result.history_left == ["stations"] and result.lineages == {}
        lines = target.history("stations")
        assert [(v.version, v.source) for v in lines] == [(1, "theirs"), (2, "")]
        assert target.kept_version("stations", 1)[1]["name"].str.startswith("T").all()
    finally:
        target.close()


def test_a_damaged_or_different_version_fails_verification(tmp_path: Path) -> None:
    source = versioned(GeoPackageStore(tmp_path / "src.gpkg"))
    backup_store(source, tmp_path / "ok.gpkg")
    damaged = tmp_path / "damaged.gpkg"
    damaged.write_bytes((tmp_path / "ok.gpkg").read_bytes())
    with contextlib.closing(sqlite3.connect(damaged)) as con:
        where = "WHERE name = 'stations' AND version = 1"
        (data,) = con.execute(f"SELECT data FROM mzgis_layer_versions {where}").fetchone()
        flipped = data[:-3] + bytes([data[-3] ^ 1]) + data[-2:]  # inside the checksum
        con.execute(f"UPDATE mzgis_layer_versions SET data = ? {where}", (flipped,))
        con.commit()
    with pytest.raises(StoreError, match="version 1 of layer 'stations' is damaged"):
        verify_backup(damaged)
    digests = {"stations": "0" * 64, "gone": "0" * 64}
    with pytest.raises(StoreError, match="history of layers gone, stations differs"):
        verify_backup(tmp_path / "ok.gpkg", lineages=digests)


def test_a_postgis_backup_taken_while_a_layer_is_written_is_one_instant(
    pg_url: str, tmp_path: Path
) -> None:
    """Versions written during the backup: the backup's catalog, data, history and kept
    data all stop at the same version (a replaced layer's table is not read empty or new),
    and an earlier version restores from it."""
    source = open_store(pg_url)
    source.write("stations", stations(5), kind="stations")
    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not stop.is_set() and n < 200:
            n += 1
            source.write("stations", stations(5 + n % 7, tag=f"W{n}"), kind="stations")

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        for i in range(3):
            backup_store(source, tmp_path / f"b{i}.gpkg")
    finally:
        stop.set()
        writer.join()
    assert source.info("stations").version > 3  # the layer was written during the backups
    try:
        for i in range(3):
            copy = GeoPackageStore(tmp_path / f"b{i}.gpkg")
            lines = copy.history("stations")
            current = copy.info("stations")
            assert lines[-1].version == current.version and lines[-1].current
            assert lines[-1].row_count == current.count
            assert [v.version for v in lines] == list(range(1, current.version + 1))
            assert all(v.kept for v in lines[:-1][-source.versions_kept :])
            if current.version > 1:  # version k holds the features written with tag W{k-1}
                names = copy.read("stations")["name"]
                assert names.str.startswith(f"W{current.version - 1}驿站").all()
                copy.restore("stations", current.version - 1)
            live = {v.version: v.to_dict() for v in source.history("stations")}
            assert [{**v.to_dict(), "current": False} for v in lines[:-1]] == [
                {**live[v.version], "current": False, "kept": v.kept} for v in lines[:-1]
            ]
    finally:
        source.close()


def test_a_store_is_not_copied_onto_itself(pg_url: str, tmp_path: Path) -> None:
    """Refused before the snapshot (whose locks would hold back the copy's own writes)."""
    source = open_store(pg_url)
    try:
        source.write("stations", stations(2), kind="stations")
        with pytest.raises(ConflictError, match="same store"):
            copy_live(source, pg_url, replace=True)
        path = tmp_path / "a.gpkg"
        GeoPackageStore(path).write("stations", stations(1), kind="stations")
        with pytest.raises(ConflictError, match="same store"):
            copy_live(GeoPackageStore(path), str(tmp_path / "." / "a.gpkg"), replace=True)
        assert source.info("stations").version == 1
    finally:
        source.close()
