"""``mzgis network build|info`` on the small store, on a nodes/edges CSV pair, and inside a
PostGIS store."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from api.network.service import NETWORK_ARTIFACT, network_key, roads_info, store_network
from geo.network import load_network, network_from_bytes, network_path_for
from layers.store import open_store
from tests.api.conftest import ROAD_COUNT
from tests.api.test_network_store import grid_roads

runner = CliRunner()


def test_build_from_roads_layer_then_info(store_copy: Path) -> None:
    result = runner.invoke(app, ["network", "build", "--store", str(store_copy)])
    assert result.exit_code == 0, result.output
    saved = network_path_for(store_copy)
    network = load_network(saved)
    # 25 parallel footways that never meet: the largest part is one footway
    assert network.n_edges == 1 and network.report.dropped_components == ROAD_COUNT - 1
    assert "saved to / 已保存至" in result.output and saved.name in result.output
    assert f"{ROAD_COUNT - 1}" in result.output  # dropped parts shown
    info = runner.invoke(app, ["network", "info", "--store", str(store_copy)])
    assert info.exit_code == 0, info.output
    assert "1 edges / 边" in info.output
    assert "older than the roads layer" not in info.output


def test_build_from_csv_pair_with_filters(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.csv"
    edges = tmp_path / "edges.csv"
    nodes.write_text("vid,lon,lat\n1,116.39,39.90\n2,116.40,39.90\n3,116.40,39.91\n")
    edges.write_text("u,v,highway\n1,2,footway\n2,3,motorway\n")
    out = tmp_path / "net.npz"
    args = ["network", "build", str(nodes), "--edges", str(edges), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    net = load_network(out)
    assert net.n_edges == 1 and set(net.edge_highway) == {"footway"}  # motorway not walkable
    # ~0.01° of longitude at 39.9° N is about 854 m
    assert abs(float(net.edge_length_m[0]) - 854) < 5
    kept = runner.invoke(app, [*args, "--include", "motorway", "--exclude", "steps"])
    assert kept.exit_code == 0, kept.output
    assert set(load_network(out).edge_highway) == {"motorway"}


def test_bad_sources_exit_1(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["network", "build", str(tmp_path / "no.osm"), "--out", "x"])
    assert missing.exit_code == 1 and "no such file" in missing.output
    csv = tmp_path / "n.csv"
    csv.write_text("vid,lon,lat\n")
    lone = runner.invoke(app, ["network", "build", str(csv), "--out", str(tmp_path / "n.npz")])
    assert lone.exit_code == 1 and "edges CSV" in lone.output
    none = runner.invoke(app, ["network", "info", "--store", str(tmp_path / "none.gpkg")])
    assert none.exit_code == 1 and "no network file" in none.output


def test_build_and_info_inside_a_postgis_store(pg_url: str, tmp_path: Path) -> None:
    store = open_store(pg_url)
    try:
        store.import_frame(grid_roads(3), name="roads", kind="roads")
        result = runner.invoke(app, ["network", "build", "--store", pg_url])
        assert result.exit_code == 0, result.output
        assert NETWORK_ARTIFACT in result.output and "***" in result.output  # no password
        data = store.get_artifact(NETWORK_ARTIFACT, key=network_key(roads_info(store)))
        assert data is not None and network_from_bytes(data).n_edges == 12
        info = runner.invoke(app, ["network", "info", "--store", pg_url])
        assert info.exit_code == 0, info.output
        assert "12 edges / 边" in info.output and "older than" not in info.output
        store.import_frame(grid_roads(2), name="roads", kind="roads")
        stale = runner.invoke(app, ["network", "info", "--store", pg_url])
        assert stale.exit_code == 0 and "older than the roads layer" in stale.output
        store.delete("roads")
        nodes, edges = tmp_path / "n.csv", tmp_path / "e.csv"
        nodes.write_text("vid,lon,lat\n1,116.39,39.90\n2,116.40,39.90\n")
        edges.write_text("u,v,highway\n1,2,footway\n")
        args = ["network", "build", str(nodes), "--edges", str(edges), "--store", pg_url]
        kept = runner.invoke(app, args)  # no roads layer: kept as the store's network
        assert kept.exit_code == 0, kept.output
        info = store.artifact_info(NETWORK_ARTIFACT)
        assert info is not None and info.key == "source:e.csv"
        assert store_network(store).report.source == "e.csv"  # what every analysis uses
    finally:
        store.close()


def test_info_on_a_postgis_store_without_a_network(pg_url: str) -> None:
    result = runner.invoke(app, ["network", "info", "--store", pg_url])
    assert result.exit_code == 1 and "no walking network saved" in result.output
