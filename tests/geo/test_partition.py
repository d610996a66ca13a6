"""Coverage partitioned by district (geo.distributed): equal to the single-process run, in
this process and on a Dask local cluster, with the pieces sent or read by key from a
directory written once; facilities serve across district boundaries; bad schedulers,
unsafe margins and pieces the workers cannot read fail clearly."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import AnalysisError
from geo._errors import SchedulerError
from geo.coverage import CoverageResult, coverage
from geo.coverage.demand import demand_points
from geo.distance import node_distances
from geo.distributed import (
    EdgeIndex,
    clip_network,
    coverage_by_district,
    dask_client,
    district_keys,
    pieces,
    stored,
)
from geo.network import Network, build_network_from_arrays, build_network_from_roads
from layers.store import open_store
from tests.geo.conftest import GK117, ORIGIN

SIDE, SPACING_M = 16, 60.0  # nodes per district side; a district is 960 m wide
TIERS_M = (200.0, 400.0)
SNAP_M = 100.0


def _province_network() -> Network:
    """2 × 2 districts of one jittered street grid (32 × 32 nodes), a few streets cut."""
    rng = np.random.default_rng(5)
    n = 2 * SIDE
    idx = np.arange(n * n).reshape(n, n)
    xy = ORIGIN + np.column_stack([idx.ravel() % n, idx.ravel() // n]) * SPACING_M
    xy += rng.uniform(-9, 9, xy.shape)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.05
    return build_network_from_arrays(idx.ravel(), xy, u[keep], v[keep], crs=GK117)


def _district(xy: np.ndarray) -> np.ndarray:
    tile = np.clip(np.floor((xy - ORIGIN) / (SIDE * SPACING_M)).astype(int), 0, 1)
    return tile[:, 1] * 2 + tile[:, 0]


def _layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Demand points over the province (a few far off the streets) with codes; stations
    close to the district boundaries (x or y near 960 m)."""
    rng = np.random.default_rng(6)
    span = 2 * SIDE * SPACING_M
    xy = ORIGIN + rng.uniform(-30, span, (500, 2))
    xy[:5] = ORIGIN + np.array([[-250.0, 100 * k] for k in range(1, 6)])  # beyond the snap
    d = _district(xy)
    street = (xy[:, 1] - ORIGIN[1] > span / 4).astype(int) + 1
    codes = [
        f"1101{k + 1:02d}{s:03d}{i % 7 + 1:03d}"
        for i, (k, s) in enumerate(zip(d, street, strict=True))
    ]
    population = rng.integers(1, 20, len(xy))
    demand = gpd.GeoDataFrame(
        {"community_code": codes, "population": population, "elderly_60_plus": population // 3},
        geometry=shapely.points(xy),
        crs=GK117,
    )
    half = SIDE * SPACING_M
    sxy = ORIGIN + np.array(
        [[half + 40, 200], [half - 35, 1400], [300, half + 30], [1500, half - 45], [1700, 300]]
    )
    sxy += rng.uniform(-3, 3, sxy.shape)
    ids = [f"S{i}" for i in range(len(sxy))]
    stations = gpd.GeoDataFrame({"station_id": ids}, geometry=shapely.points(sxy), crs=GK117)
    return demand, stations


@pytest.fixture(scope="module")
def province() -> tuple[Network, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    demand, stations = _layers()
    return _province_network(), demand, stations


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One local cluster (2 worker processes) for the module, via the ``"local"`` path."""
    with dask_client("local", n_workers=2) as c:
        assert c is not None
        yield c
        workers = len(c.scheduler_info()["workers"])
        assert workers == 2
    assert c.status == "closed"


def _assert_same(a: CoverageResult, b: CoverageResult) -> None:
    pa, pb = a.points.drop(columns="geometry"), b.points.drop(columns="geometry")
    np.testing.assert_allclose(pa.pop("distance_m"), pb.pop("distance_m"), rtol=0, atol=1e-9)
    np.testing.assert_allclose(pa.pop("snap_m"), pb.pop("snap_m"), rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(pa, pb)
    for level in ("community", "street", "district"):
        pd.testing.assert_frame_equal(
            pd.DataFrame(a.rollup(level, geometry=False)),
            pd.DataFrame(b.rollup(level, geometry=False)),
        )
    assert a.summary() == b.summary()


def _single(province: tuple, *, mode: str = "network", add_access: bool = True) -> CoverageResult:
    net, demand, stations = province
    return coverage(
        demand,
        stations,
        network=net,
        mode=mode,  # type: ignore[arg-type]
        tiers_m=TIERS_M,
        search_m=TIERS_M[-1],
        max_snap_m=SNAP_M,
        add_access=add_access,
    )


def _split(province: tuple, scheduler: Any, **options: Any) -> CoverageResult:
    net, demand, stations = province
    return coverage_by_district(
        demand, stations, net, tiers_m=TIERS_M, max_snap_m=SNAP_M, scheduler=scheduler, **options
    )


def test_in_process_equals_single_run_and_serves_across_borders(province: tuple) -> None:
    single = _single(province)
    split = _split(province, None)
    _assert_same(single, split)
    pts = split.points
    assert (~pts["reachable"]).sum() == 5  # the far-off points, in both runs
    assert pts["covered_400m"].sum() > 50
    # stations serve demand in the neighbouring district
    stations = province[2]
    sxy = np.column_stack([stations.geometry.x, stations.geometry.y])
    dxy = np.column_stack([pts.geometry.x, pts.geometry.y])
    served = pts["facility_id"].notna().to_numpy()
    station_district = dict(zip(stations["station_id"], _district(sxy), strict=True))
    theirs = np.array([station_district[f] for f in pts.loc[served, "facility_id"]])
    assert (theirs != _district(dxy)[served]).sum() > 10


def test_local_cluster_equals_single_run(province: tuple, client: Any) -> None:
    _assert_same(_single(province), _split(province, client))


def test_local_workers_start_ready(client: Any) -> None:
    """The workers imported the task modules as they started, and keep glibc's adaptive
    allocator (no MALLOC_TRIM_THRESHOLD_ from Dask's defaults)."""

    def state() -> tuple[bool, str | None]:
        return "geo.distributed._zone_tasks" in sys.modules, os.environ.get(
            "MALLOC_TRIM_THRESHOLD_"
        )

    assert set(client.run(state).values()) == {(True, None)}


def test_without_access_legs_and_euclidean(province: tuple, client: Any) -> None:
    _assert_same(_single(province, add_access=False), _split(province, client, add_access=False))
    _assert_same(_single(province, mode="euclidean"), _split(province, None, mode="euclidean"))


def test_road_layer_and_district_column(province: tuple) -> None:
    net, demand, stations = province
    roads = net.edges_gdf.drop(columns=["u", "v"])
    whole = build_network_from_roads(roads, u=None, v=None)
    single = coverage(
        demand, stations, network=whole, tiers_m=TIERS_M, search_m=400.0, max_snap_m=SNAP_M
    )
    tagged = demand.assign(part=[c[:6] for c in demand["community_code"]])
    split = coverage_by_district(
        tagged, stations, roads, district_of="part", tiers_m=TIERS_M, max_snap_m=SNAP_M,
        scheduler=None,
    )  # fmt: skip
    _assert_same(single, split)


def test_piece_keeps_exact_distances(province: tuple) -> None:
    """A clipped piece is a true subgraph: node distances within reach are unchanged, and
    it is smaller than the whole."""
    net = province[0]
    station = ORIGIN + np.array([[900.0, 700.0]])
    region = shapely.Point(*station[0]).buffer(50.0)
    piece = clip_network(net, EdgeIndex(net).near(region.bounds, 450.0))
    assert 0 < piece.n_nodes < net.n_nodes / 2
    d_whole, _ = node_distances(net, station, cutoff_m=300.0)
    d_piece, _ = node_distances(piece, station, cutoff_m=300.0)
    lookup = dict(zip(net.node_ids, d_whole, strict=True))
    mine = np.array([lookup[i] for i in piece.node_ids])
    near = np.isfinite(mine)
    assert near.sum() > 30
    np.testing.assert_allclose(d_piece[near], mine[near], rtol=0, atol=1e-9)


def test_unsafe_margin_and_unbounded_search_refused(province: tuple) -> None:
    with pytest.raises(AnalysisError, match="margin_m"):
        _split(province, None, margin_m=100.0)
    with pytest.raises(AnalysisError, match="search_m"):
        _split(province, None, search_m=np.inf)
    _, demand, stations = province
    with pytest.raises(AnalysisError, match="partition"):
        coverage_by_district(demand.drop(columns="community_code"), stations, province[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bad_scheduler_fails_fast_and_clearly(province: tuple) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.perf_counter()
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler") as info:
        _split(province, address, timeout_s=1.0)
    assert time.perf_counter() - t0 < 15
    assert " / 无法" in str(info.value) and isinstance(info.value, AnalysisError)
    with pytest.raises(SchedulerError, match="unknown scheduler"):
        _split(province, "yarn")


def _keys(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "manifest.json").is_file())


def test_workers_read_their_pieces_by_key_written_once(
    province: tuple, client: Any, tmp_path: Path
) -> None:
    """On a cluster with a pieces directory the districts' pieces are written once (a
    manifest and two files a district), the workers read them by path and keep them, a
    run with other facilities finds them again, and other demand gets a new key (the
    oldest beyond two removed)."""
    net, demand, stations = province
    (tmp_path / "notes").mkdir()  # a person's own folder in the directory: never removed
    (tmp_path / "notes" / "manifest.json").write_text("{}")
    split = _split(province, client, pieces_dir=tmp_path)
    _assert_same(_single(province), split)
    first, notes = _keys(tmp_path)
    assert notes.name == "notes"
    files = sorted(p.name for p in first.iterdir())
    assert files[-1] == "manifest.json" and len(files) == 2 * 4 + 1
    assert any(f.endswith(".network.npz") for f in files)
    kept = client.run(lambda: pieces._read_kept.cache_info().currsize)
    assert sum(kept.values()) == 4  # every district's piece read on a worker and kept
    fewer = stations.iloc[[0, 2, 4]]
    again = coverage_by_district(
        demand, fewer, net, tiers_m=TIERS_M, max_snap_m=SNAP_M, scheduler=client,
        pieces_dir=tmp_path,
    )  # fmt: skip
    assert _keys(tmp_path) == [first, notes]
    single = coverage(
        demand, fewer, network=net, tiers_m=TIERS_M, search_m=TIERS_M[-1], max_snap_m=SNAP_M
    )
    _assert_same(single, again)
    for n in (480, 470):
        _split((net, demand.iloc[:n], stations), client, pieces_dir=tmp_path)
    assert len(_keys(tmp_path)) == 3 and first not in _keys(tmp_path)  # two keys, notes
    assert (tmp_path / "notes" / "manifest.json").read_text() == "{}"


def test_facility_beyond_every_district_snaps_on_the_whole_network(
    province: tuple, tmp_path: Path
) -> None:
    """Demand only in the western districts: an eastern station is out of every district's
    reach, owned by none, and its reachability is still that of the single run."""
    net, demand, stations = province
    west = demand[demand.geometry.x < ORIGIN[0] + 700]
    far = stations.iloc[[4]]  # x = 1,700 m: over 400 m east of every western point
    east = gpd.GeoDataFrame({"station_id": ["far"]}, geometry=far.geometry.to_numpy(), crs=far.crs)
    both = pd.concat([stations.iloc[[2]], east], ignore_index=True)
    single = coverage(
        west, both, network=net, tiers_m=TIERS_M, search_m=TIERS_M[-1], max_snap_m=SNAP_M
    )
    split = _split((net, west, both), None, pieces_dir=tmp_path)
    _assert_same(single, split)
    assert split.nearest.facility_reachable.tolist() == [True, True]
    assert single.nearest.facility_reachable.tolist() == [True, True]


def test_local_cluster_reads_pieces_from_a_temporary_directory(province: tuple) -> None:
    before = set(Path(tempfile.gettempdir()).glob("mzgis-pieces-*"))
    split = _split(province, "local", n_workers=1)
    _assert_same(_single(province), split)
    assert set(Path(tempfile.gettempdir()).glob("mzgis-pieces-*")) == before


def test_pieces_beyond_the_workers_reach_fail_clearly(province: tuple, tmp_path: Path) -> None:
    net, demand, _ = province
    points = demand_points(demand, crs=net.pyproj_crs)
    names, which = np.unique(district_keys(points.units)[points.unit], return_inverse=True)
    inputs = pieces.PieceInputs(net, points.xy, which, names, reach_m=500.0)
    written = pieces.write_pieces(tmp_path, inputs)
    assert written.written and len(written.refs) == 4
    again = pieces.write_pieces(tmp_path, inputs)
    assert not again.written and again.refs == written.refs
    ref = written.refs[str(names[0])]
    piece = pieces.load_piece(ref)
    np.testing.assert_array_equal(piece.xy, points.xy[which == 0])
    assert piece.network is not None and 0 < piece.network.n_edges < net.n_edges
    assert pieces.load_piece(ref, keep=True) is pieces.load_piece(ref, keep=True)
    assert pieces.load_piece(ref) is not pieces.load_piece(ref)
    missing = pieces.PieceRef(str(tmp_path / "gone.network.npz"), str(tmp_path / "gone.xy.npy"))
    with pytest.raises(AnalysisError, match="visible to the workers"):
        pieces.load_piece(missing)


def test_unwritable_pieces_directory_fails_clearly(province: tuple, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(AnalysisError, match="cannot write the district pieces") as info:
        _split(province, None, pieces_dir=blocker / "pieces")
    assert "无法在" in str(info.value) and blocker.read_text() == "not a directory"


@pytest.fixture(params=["gpkg", "postgis"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The location of an empty store on each backend (created here)."""
    location = str(tmp_path / "pieces.gpkg")
    if request.param == "postgis":
        location = request.getfixturevalue("pg_url")
    open_store(location).close()
    return location


def _artifacts(location: str, n: int) -> list[Any]:
    store = open_store(location)
    try:
        return [store.artifact_info(f"district_piece.{d:03d}") for d in range(n)]
    finally:
        store.close()


def test_pieces_kept_in_a_store_are_read_by_the_workers(
    province: tuple, client: Any, store_location: str
) -> None:
    """Workers with no shared directory read their district's piece from the store (a
    GeoPackage they share, or PostGIS) where it was written once; pieces of other demand
    replace them, and a task still naming the old ones is told to run again."""
    net, demand, stations = province
    _assert_same(_single(province), _split(province, client, pieces_store=store_location))
    first = _artifacts(store_location, 4)
    assert all(a is not None for a in first) and len({a.key for a in first}) == 1
    _assert_same(_single(province), _split(province, client, pieces_store=store_location))
    assert _artifacts(store_location, 4) == first  # found again, not written again
    old = stored.StoredPieceRef(store_location, "district_piece.000", first[0].key)
    assert len(old.read().xy) > 0
    _split((net, demand.iloc[:480], stations), None, pieces_store=store_location)
    with pytest.raises(AnalysisError, match="run again"):
        old.read()


def test_stored_pieces_without_the_store_fail_clearly(tmp_path: Path) -> None:
    missing = stored.StoredPieceRef(str(tmp_path / "gone.gpkg"), "district_piece.000", "k")
    with pytest.raises(AnalysisError, match="must reach the store"):
        missing.read()
    assert not (tmp_path / "gone.gpkg").exists()
