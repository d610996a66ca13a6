"""``mzgis store copy`` between a GeoPackage and PostGIS, and ``--store postgresql://``
for the other commands."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import psycopg
from typer.testing import CliRunner

from api.cli import app
from layers.records import open_record_store
from layers.store import GeoPackageStore
from tests.api.conftest import LAYERS
from tests.layers.test_store import stations
from tests.layers.test_store_postgis_copy import fill_records
from tests.pg import Cluster, fresh_schema

runner = CliRunner()


def test_copy_there_and_back(small_store: Path, pg_url: str, tmp_path: Path) -> None:
    there = runner.invoke(app, ["store", "copy", str(small_store), pg_url])
    assert there.exit_code == 0, there.output
    assert f"copied {len(LAYERS)} layers" in there.output
    password = urlsplit(pg_url).password
    assert password
    assert password not in there.output
    listed = runner.invoke(app, ["layers", "list", "--store", pg_url])
    assert listed.exit_code == 0, listed.output
    assert f"{len(LAYERS)} layers" in listed.output
    back = tmp_path / "back.gpkg"
    again = runner.invoke(app, ["store", "copy", pg_url, str(back)])
    assert again.exit_code == 0, again.output
    source, copied = GeoPackageStore(small_store), GeoPackageStore(back)
    for name in LAYERS:
        pd.testing.assert_frame_equal(copied.read(name), source.read(name))


def test_copy_refuses_to_overwrite_and_names_the_layers(small_store: Path, pg_url: str) -> None:
    first = runner.invoke(app, ["store", "copy", str(small_store), pg_url, "--layer", "roads"])
    assert first.exit_code == 0, first.output
    refused = runner.invoke(app, ["store", "copy", str(small_store), pg_url])
    assert refused.exit_code == 1
    assert "roads" in refused.output
    assert "Traceback" not in refused.output
    replaced = runner.invoke(app, ["store", "copy", str(small_store), pg_url, "--replace"])
    assert replaced.exit_code == 0, replaced.output


def test_export_from_postgis(small_store: Path, pg_url: str, tmp_path: Path) -> None:
    runner.invoke(app, ["store", "copy", str(small_store), pg_url, "--layer", "stations"])
    out = tmp_path / "stations.geojson"
    result = runner.invoke(app, ["layers", "export", "stations", str(out), "--store", pg_url])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count('"Feature"') == 5


def test_copy_carries_records_and_grant_hands_the_store_over(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    source = GeoPackageStore(tmp_path / "src.gpkg")
    source.write("stations", stations(2), kind="stations")
    fill_records(open_record_store(source))
    url = f"{pg_cluster.url}?schema={fresh_schema()}"
    copied = runner.invoke(app, ["store", "copy", str(source.path), url])
    assert copied.exit_code == 0, copied.output
    assert "2 inspection records, 1 photos, 11 audit entries (chain verified)" in copied.output
    role = fresh_schema("svc")
    with psycopg.connect(pg_cluster.url, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
    granted = runner.invoke(app, ["store", "grant", role, "--store", url])
    assert granted.exit_code == 0, granted.output
    service_url = f"{pg_cluster.url_for(role, 'pw')}?schema={url.split('schema=')[1]}"
    listed = runner.invoke(app, ["layers", "list", "--store", service_url])
    assert listed.exit_code == 0, listed.output
    assert open_record_store(service_url).verify_audit().ok
    refused = runner.invoke(app, ["store", "grant", role, "--store", str(source.path)])
    assert refused.exit_code == 1
    assert "postgresql://" in refused.output


def test_backup_and_restore_commands(small_store: Path, pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "live.gpkg"
    source.write_bytes(small_store.read_bytes())
    fill_records(open_record_store(GeoPackageStore(source)))
    plain, sealed = tmp_path / "b" / "plain.gpkg", tmp_path / "b" / "sealed.gpkg"
    done = runner.invoke(app, ["store", "backup", str(source), str(plain)])
    assert done.exit_code == 0, done.output
    assert "chain verified" in done.output and "1 photos" in done.output
    env = {"MZGIS_TEST_PASSPHRASE": "a long backup passphrase"}
    args = [
        "store",
        "backup",
        str(source),
        str(sealed),
        "--passphrase-env",
        "MZGIS_TEST_PASSPHRASE",
    ]
    done = runner.invoke(app, args, env=env)
    assert done.exit_code == 0 and "encrypted" in done.output, done.output
    again = runner.invoke(app, ["store", "backup", str(source), str(plain)])
    assert again.exit_code == 1 and "already exists" in again.output
    restored = tmp_path / "restored.gpkg"
    args = [
        "store",
        "restore",
        str(sealed),
        str(restored),
        "--passphrase-env",
        "MZGIS_TEST_PASSPHRASE",
    ]
    done = runner.invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    assert (
        GeoPackageStore(restored).read("stations").shape
        == GeoPackageStore(source).read("stations").shape
    )
    wrong = runner.invoke(
        app,
        [*args[:3], str(tmp_path / "x.gpkg"), *args[4:]],
        env={"MZGIS_TEST_PASSPHRASE": "not the passphrase"},
    )
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.output
    into_pg = runner.invoke(app, ["store", "restore", str(plain), pg_url])
    assert into_pg.exit_code == 0, into_pg.output
    assert open_record_store(pg_url).verify_audit().ok
