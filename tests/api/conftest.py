"""A small store built by hand for the API and CLI tests (no dependence on the demo)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from layers.store import open_store
from tests.pg import Cluster, fresh_schema

#: the two streets of the small store, side by side (lon/lat boxes)
STREET_A = (116.38, 39.90, 116.40, 39.92)
STREET_B = (116.40, 39.90, 116.42, 39.92)
#: stations: id → (lon, lat); S5 lies far outside both streets
STATION_POINTS = {
    "S1": (116.385, 39.905),
    "S2": (116.395, 39.915),
    "S3": (116.405, 39.905),
    "S4": (116.415, 39.915),
    "S5": (116.600, 40.100),
}
ROAD_COUNT = 25


def _streets() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["110101001", "110101002"],
            "name": ["东华门街道", "景山街道"],
            "district_code": ["110101", "110101"],
        },
        geometry=[shapely.box(*STREET_A), shapely.box(*STREET_B)],
        crs="EPSG:4326",
    )


def _communities() -> gpd.GeoDataFrame:
    x0, y0, _, y1 = STREET_A
    return gpd.GeoDataFrame(
        {
            "code": ["110101001001", "110101001002", "110101002001"],
            "name": ["多福巷社区", "银闸社区", "吉祥社区"],
            "street_code": ["110101001", "110101001", "110101002"],
            "population": [3000, 2500, 4000],
            "elderly_60_plus": [800, 600, 1200],
            "elderly_80_plus": [120, 90, 200],
            "basic_recipients": [30, 20, 45],
            "households": [1200, 1000, 1600],
            "area_m2": [250_000.0, np.nan, 400_000.0],
        },
        geometry=[
            shapely.box(x0, y0, x0 + 0.01, y1),
            shapely.box(x0 + 0.01, y0, x0 + 0.02, y1),
            shapely.box(*STREET_B),
        ],
        crs="EPSG:4326",
    )


def _stations() -> gpd.GeoDataFrame:
    ids = list(STATION_POINTS)
    return gpd.GeoDataFrame(
        {
            "station_id": ids,
            "name": [f"驿站{i}" for i in range(1, 6)],
            "star_rating": pd.array([3, None, 5, 1, 2], dtype="Int64"),
            "capacity_persons": [40, 60, 80, 30, 50],
            "status": ["运营", "运营", "筹建", "运营", "停业"],
        },
        geometry=[shapely.Point(p) for p in STATION_POINTS.values()],
        crs="EPSG:4326",
    )


def _roads() -> gpd.GeoDataFrame:
    lons = 116.38 + 0.001 * np.arange(ROAD_COUNT)
    lines = [shapely.LineString([(x, 39.90), (x, 39.91)]) for x in lons]
    return gpd.GeoDataFrame(
        {"edge_id": np.arange(ROAD_COUNT), "highway": ["footway"] * ROAD_COUNT},
        geometry=lines,
        crs="EPSG:4326",
    )


def _inspections() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "inspection_id": ["I1", "I2"],
            "campaign_id": ["2024", "2024"],
            "marker_no": ["1101001A", "1101002B"],
            "inspected_at": ["2024-05-01T08:30:00Z", "2024-05-02T14:00:00Z"],
            "condition": ["完好", "损坏"],
            "accuracy_m": [0.5, 2.0],
            "fix_type": ["RTK", "single"],
            "inspectors": [["张三", "李四"], ["王五"]],
            "photos": [None, [{"file": "a.jpg", "sha256": "ab"}]],
            "review_state": ["received", "approved"],
        },
        geometry=[shapely.Point(116.39, 39.91), shapely.Point(116.41, 39.91)],
        crs="EPSG:4326",
    )


LAYERS = {
    "streets": _streets,
    "communities": _communities,
    "stations": _stations,
    "roads": _roads,
    "inspections": _inspections,
}


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage with a few streets, communities, stations, roads and inspections.

    Shared by the session: copy it (``store_copy``) before writing to it."""
    path = tmp_path_factory.mktemp("api") / "small.gpkg"
    store = open_store(path)
    for kind, build in LAYERS.items():
        store.import_frame(build(), name=kind, kind=kind)
    store.close()
    return path


@pytest.fixture
def store_copy(small_store: Path, tmp_path: Path) -> Path:
    """A private copy of the small store, free to change."""
    target = tmp_path / "copy.gpkg"
    shutil.copyfile(small_store, target)
    return target


@pytest.fixture(scope="module")
def client(request: pytest.FixtureRequest, small_store: Path) -> Iterator[TestClient]:
    """The service over the small store (started, so its lifespan opened the store); in
    the modules of :data:`BOTH_BACKENDS`, once over the GeoPackage and once over PostGIS."""
    location = str(small_store)
    if getattr(request, "param", "gpkg") == "postgis":
        location = request.getfixturevalue("pg_small_store")
    with TestClient(create_app(Settings(store=location))) as test_client:
        yield test_client


# --- the same service on PostGIS ----------------------------------------------------------

#: test modules whose ``client`` runs on both store backends
BOTH_BACKENDS = ("test_collections", "test_items", "test_tiles_api")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rsplit(".", maxsplit=1)[-1]
    if module in BOTH_BACKENDS and "client" in metafunc.fixturenames:
        metafunc.parametrize("client", ["gpkg", "postgis"], indirect=True, scope="module")


@pytest.fixture(scope="session")
def pg_small_store(pg_cluster: Cluster) -> str:
    """The small store's layers in a PostGIS schema of their own; its URL."""
    url = f"{pg_cluster.url}?schema={fresh_schema('api')}"
    store = open_store(url)
    for kind, build in LAYERS.items():
        store.import_frame(build(), name=kind, kind=kind)
    store.close()
    return url


# --- a store backend per test module: the inspection tests run once on each ---------------

#: the store backends: a GeoPackage file, and a schema in the session's PostGIS cluster
BACKENDS = ("gpkg", "postgis")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend of a test module: every test that uses it (or
    :func:`new_location`) runs once on a GeoPackage and once on PostGIS, module by module,
    so that a module's shared world is built once per backend. The PostGIS run skips when
    no server is installed (and fails in CI, see :func:`tests.pg.require_cluster`)."""
    if request.param == "postgis":
        request.getfixturevalue("pg_cluster")
    return str(request.param)


@pytest.fixture(scope="module")
def new_location(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """Makes the location of a new, empty store on the module's backend:
    ``new_location("kit")`` is a ``.gpkg`` path in a new temporary directory, or a PostGIS
    URL naming a schema of its own (its tables are created when the store is first opened;
    the schemas go with the session's throwaway cluster)."""
    if backend == "postgis":
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        return lambda name: f"{cluster.url}?schema={fresh_schema(name)}"
    return lambda name: str(tmp_path_factory.mktemp(name) / f"{name}.gpkg")
