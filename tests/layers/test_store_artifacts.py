"""Artifacts (derived bytes keyed by their input) on every backend: kept, replaced, stale
under another key, cut into parts, taken along by a whole-store copy; and what the GeoPackage file
shows other tools."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from layers import StoreError
from layers.records.copy import copy_store_and_records
from layers.store import GeoPackageStore, Store, _artifacts
from layers.store.copy import copy_store
from tests.layers.test_store import stations

OGRINFO = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"
DATA = bytes(range(256)) * 1000 + b"\x00tail"


def test_put_get_replace_and_stale_keys(store: Store) -> None:
    assert store.artifact_info("net") is None
    assert store.get_artifact("net", key="roads:1") is None
    info = store.put_artifact("net", DATA, key="roads:1")
    assert (info.name, info.key, info.size_bytes) == ("net", "roads:1", len(DATA))
    assert store.get_artifact("net", key="roads:1") == DATA
    assert store.get_artifact("net", key="roads:2") is None  # built from another input
    assert store.artifact_info("net") == info
    newer = store.put_artifact("net", b"v2", key="roads:2")
    assert store.get_artifact("net", key="roads:2") == b"v2"
    assert store.get_artifact("net", key="roads:1") is None  # the stale one was replaced
    assert store.artifact_info("net") == newer and newer.updated_at >= info.updated_at
    store.put_artifact("other", b"", key="k")  # empty bytes are bytes
    assert store.get_artifact("other", key="k") == b""
    assert store.get_artifact("net", key="roads:2") == b"v2"  # names are kept apart
    assert store.layers() == []  # artifacts are not layers


def test_large_artifacts_are_kept_in_parts(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_artifacts, "PART_BYTES", 1000)
    store.put_artifact("net", DATA, key="k")
    assert store.get_artifact("net", key="k") == DATA
    store.put_artifact("net", DATA[:1500], key="k2")  # fewer parts than before: none left over
    assert store.get_artifact("net", key="k2") == DATA[:1500]
    assert store.artifact_info("net").size_bytes == 1500  # type: ignore[union-attr]


def test_bad_names_and_keys_are_refused(store: Store) -> None:
    for name in ("", "a b", "网络", "x" * 65, "a;drop"):
        with pytest.raises(StoreError, match="artifact name"):
            store.put_artifact(name, b"x", key="k")
    with pytest.raises(StoreError, match="artifact key"):
        store.put_artifact("net", b"x", key="")
    with pytest.raises(StoreError, match="artifact key"):
        store.get_artifact("net", key="k" * 501)


def test_a_whole_store_copy_takes_the_artifacts_the_target_lacks(
    store: Store, tmp_path: Path
) -> None:
    store.write("stations", stations(3), kind="stations")
    store.put_artifact("net", DATA, key="k")
    store.put_artifact("other", b"theirs", key="k2")
    named = GeoPackageStore(tmp_path / "named.gpkg")
    whole = GeoPackageStore(tmp_path / "whole.gpkg")
    whole.put_artifact("other", b"mine", key="k3")  # the target's own is never replaced
    assert copy_store(store, named, names=["stations"]).artifacts == []
    assert named.artifact_info("net") is None
    copied, _ = copy_store_and_records(store, whole, records=True)
    assert copied.counts == {"stations": 3} and copied.artifacts == ["net"]
    assert whole.get_artifact("net", key="k") == DATA
    assert whole.get_artifact("other", key="k3") == b"mine"
    assert store.get_artifact("net", key="k") == DATA  # the source keeps its own


def test_geopackage_registers_the_table_and_gdal_reads_the_file(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    store.write("stations", stations(2), kind="stations")
    with sqlite3.connect(store.path) as con:  # created on first use only
        assert not con.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'mzgis_artifacts'"
        ).fetchall()
    store.put_artifact("net", b"abc", key="k")
    store.put_artifact("net", b"abcd", key="k2")
    with sqlite3.connect(store.path) as con:
        rows = con.execute(
            "SELECT extension_name, scope FROM gpkg_extensions WHERE table_name = 'mzgis_artifacts'"
        ).fetchall()
    assert rows == [("mzgis_artifacts", "write-only")]  # registered once
    done = subprocess.run(
        [OGRINFO, "-q", str(store.path)], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "stations (Point)" in done.stdout
    assert "Warning" not in done.stderr and "ERROR" not in done.stderr


def test_a_geopackage_written_by_gdal_alone_takes_artifacts(tmp_path: Path) -> None:
    ogr2ogr = shutil.which("ogr2ogr") or "/usr/bin/ogr2ogr"
    source = tmp_path / "in.geojson"
    source.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"a": 1}, "geometry": {"type": "Point", "coordinates": [116.4, 39.9]}}]}'
    )
    path = tmp_path / "gdal.gpkg"
    subprocess.run([ogr2ogr, str(path), str(source)], check=True, capture_output=True)
    store = GeoPackageStore(path)
    assert store.get_artifact("net", key="k") is None
    store.put_artifact("net", b"abc", key="k")
    assert store.get_artifact("net", key="k") == b"abc"
