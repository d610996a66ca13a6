"""Using the network one built: ``--network PATH``, a store without a roads layer using
the network saved with it, ``mzgis network build --clip``, and ``mzgis network check``."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from geo.network import load_network, network_path_for
from layers.store import open_store

runner = CliRunner()
RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


@pytest.fixture
def demo_copy(demo_store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_store, path)
    return path


def _coverage(store: Path, out: Path, *extra: str) -> pd.DataFrame:
    args = ["coverage", "--facilities", "stations", "--by", "community"]
    result = runner.invoke(app, [*args, "--store", str(store), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return pd.DataFrame(gpd.read_file(out).drop(columns="geometry"))  # every machine column


def test_coverage_with_network_equals_coverage_with_the_roads_layer(
    demo_copy: Path, tmp_path: Path
) -> None:
    net = tmp_path / "walk.npz"
    built = runner.invoke(app, ["network", "build", "--store", str(demo_copy), "--out", str(net)])
    assert built.exit_code == 0, built.output
    with_file = _coverage(demo_copy, tmp_path / "a.gpkg", "--network", str(net))
    from_roads = _coverage(demo_copy, tmp_path / "b.gpkg")
    pd.testing.assert_frame_equal(with_file, from_roads)
    assert with_file["distance_m"].notna().sum() > 400
    cover = ["coverage", "--facilities", "stations", "--store", str(demo_copy)]
    missing = runner.invoke(app, [*cover, "--network", "x.npz"])
    assert missing.exit_code == 1 and "no network file" in missing.output
    assert "measuring" not in missing.output  # no step announced before the refusal


def test_a_store_without_roads_uses_the_network_saved_with_it(
    demo_copy: Path, tmp_path: Path
) -> None:
    before = _coverage(demo_copy, tmp_path / "before.gpkg")
    store = open_store(demo_copy)
    try:
        store.delete("roads")
    finally:
        store.close()
    saved = network_path_for(demo_copy)
    saved.rename(tmp_path / "kept.npz")
    cover = ["coverage", "--facilities", "stations", "--store", str(demo_copy)]
    refused = runner.invoke(app, cover)
    assert refused.exit_code == 1
    assert "no roads layer and no saved walking network" in refused.output
    assert "measuring" not in refused.output  # the CLI never announces a step it refuses
    (tmp_path / "kept.npz").rename(saved)  # as `mzgis network build FILE --store` leaves it
    after = _coverage(demo_copy, tmp_path / "after.gpkg")
    pd.testing.assert_frame_equal(before, after)


def test_build_an_osm_file_clipped_to_the_districts(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "clipped.npz"
    src = RAW / "osm_xml" / "region6.osm"
    args = ["network", "build", str(src), "--store", str(demo_copy), "--out", str(out)]
    result = runner.invoke(app, [*args, "--clip", "districts", "--clip-margin-m", "3000"])
    assert result.exit_code == 0, result.output
    assert "ways cut at missing nodes" in result.output
    clipped = load_network(out)
    assert clipped.report.cut_ways > 0 and clipped.report.outside_ways > 100
    whole = runner.invoke(app, ["network", "build", str(src), "--out", str(tmp_path / "w.npz")])
    assert whole.exit_code == 0, whole.output
    assert clipped.report.length_m < load_network(tmp_path / "w.npz").report.length_m
    wrong = runner.invoke(app, [*args, "--clip", "no_such_layer"])
    assert wrong.exit_code == 1 and "no_such_layer" in wrong.output
    gz = tmp_path / "region8.osm.rar"
    gz.write_bytes(b"x")
    odd = runner.invoke(app, ["network", "build", str(gz), "--out", str(out)])
    assert odd.exit_code == 1 and ".osm.gz" in odd.output and ".osm.pbf" in odd.output


def test_network_check_lists_the_demo_findings(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.xlsx"
    args = ["network", "check", "--store", str(demo_copy), "--top", "5", "--out", str(out)]
    result = runner.invoke(app, args, env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert "二热社区居委会" in result.output  # the worst detour of the demo
    assert "suspected missing link / 疑似缺失连接" in result.output
    assert "median" in result.output and "中位数" in result.output
    table = pd.read_excel(out, engine="openpyxl")
    assert {"kind", "severity", "explanation_zh", "lon", "lat"} <= set(table.columns)
    assert (table["kind"] == "detour").sum() > 10
    bad = runner.invoke(app, ["network", "check", "--store", str(demo_copy), "--demand", "x"])
    assert bad.exit_code == 1 and "no such layer" in bad.output


def test_over_http_a_store_without_roads_uses_its_saved_network(
    demo_copy: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.config import Settings

    net = tmp_path / "city.npz"
    src = RAW / "beijing_walk_network"
    args = ["network", "build", str(src / "nodes.csv"), "--edges", str(src / "edges.csv")]
    assert runner.invoke(app, [*args, "--out", str(net)]).exit_code == 0
    store = open_store(demo_copy)
    try:
        store.delete("roads")
    finally:
        store.close()
    body = {"facilities": "stations", "gaps": 0, "levels": ["district"]}
    with TestClient(create_app(Settings(store=str(demo_copy)))) as client:
        refused = client.post("/analyses/coverage", json=body)
        assert refused.status_code == 422 and "mzgis network build" in refused.text
        net.rename(network_path_for(demo_copy))  # registered with the store
        answer = client.post("/analyses/coverage", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["network"]["source"] == "edges.csv"
        quality = client.get("/analyses/network/quality", params={"limit": 1})
        assert quality.json()["summary"]["network"]["source"] == "edges.csv"


def test_site_and_zones_measure_on_the_network_file(demo_copy: Path, tmp_path: Path) -> None:
    net = tmp_path / "walk.npz"
    built = runner.invoke(app, ["network", "build", "--store", str(demo_copy), "--out", str(net)])
    assert built.exit_code == 0, built.output
    site = ["site", "--problem", "mclp", "-p", "2", "--radius-m", "800", "--mode", "network"]
    site += ["--store", str(demo_copy)]
    with_file = runner.invoke(app, [*site, "--network", str(net), "--out", str(tmp_path / "a.csv")])
    assert with_file.exit_code == 0, with_file.output
    from_roads = runner.invoke(app, [*site, "--out", str(tmp_path / "b.csv")])
    assert from_roads.exit_code == 0, from_roads.output
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig"),
        pd.read_csv(tmp_path / "b.csv", encoding="utf-8-sig"),
    )
    missing = runner.invoke(app, [*site, "--network", str(tmp_path / "none.npz")])
    assert missing.exit_code == 1 and "no network file" in missing.output
    zones = ["zones", "solve", "--mode", "network", "--store", str(demo_copy)]
    refused = runner.invoke(app, [*zones, "--network", str(tmp_path / "none.npz")])
    assert refused.exit_code == 1 and "no network file" in refused.output
