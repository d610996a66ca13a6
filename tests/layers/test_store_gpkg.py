"""The GeoPackage store: catalog, reads, bbox queries, versions, names, failed writes,
concurrent readers, and R-tree triggers fired by another tool (GDAL)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from layers import (
    ConflictError,
    FeatureNotFoundError,
    GeoPackageStore,
    StoreError,
    UnknownLayerError,
    validate,
)

OGR2OGR = shutil.which("ogr2ogr") or "/usr/bin/ogr2ogr"


def stations(n: int, *, tag: str = "A") -> gpd.GeoDataFrame:
    """``n`` valid stations on a diagonal through Dongcheng; ``tag`` in every name."""
    lon = 116.40 + np.arange(n) * 0.0001
    lat = 39.90 + np.arange(n) * 0.0001
    frame = gpd.GeoDataFrame(
        {
            "station_id": [f"S{i:04d}" for i in range(n)],
            "name": [f"{tag}驿站{i}" for i in range(n)],
            "capacity_persons": np.arange(n) + 10,
            "status": ["运营"] * n,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    return validate(frame, "stations")[0]


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    return GeoPackageStore(tmp_path / "store.gpkg")


def test_write_read_count_feature_delete(store: GeoPackageStore) -> None:
    info = store.write("stations", stations(5), kind="stations")
    assert (info.name, info.kind, info.count, info.geometry_type) == (
        "stations",
        "stations",
        5,
        "POINT",
    )
    assert info.bbox == pytest.approx((116.40, 39.90, 116.4004, 39.9004))
    frame = store.read("stations")
    assert frame["station_id"].tolist() == [f"S{i:04d}" for i in range(5)]
    assert frame["name"][2] == "A驿站2"
    assert str(frame["capacity_persons"].dtype) == "Int64"
    assert frame.crs.to_epsg() == 4326
    assert store.count("stations") == 5
    one = store.feature("stations", "S0003")
    assert one["capacity_persons"].tolist() == [13]
    assert "stations" in store
    store.delete("stations")
    assert "stations" not in store
    assert store.layers() == []


def test_bbox_query_is_exact_not_just_the_rtree(store: GeoPackageStore) -> None:
    roads = gpd.GeoDataFrame(
        {"edge_id": [0, 1, 2]},
        geometry=[
            shapely.LineString([(116.30, 39.90), (116.40, 40.00)]),  # diagonal: bbox hits
            shapely.LineString([(116.385, 39.905), (116.395, 39.905)]),  # inside
            shapely.LineString([(116.40, 39.91), (116.50, 39.91)]),  # touches the edge
        ],
        crs=4326,
    )
    store.import_frame(roads, name="roads", kind="roads")
    query = (116.38, 39.90, 116.40, 39.92)
    # the diagonal's envelope covers the query box, but the line passes 39.98-40.00 there
    found = store.read("roads", bbox=query)
    assert found["edge_id"].tolist() == [1, 2]
    assert store.count("roads", bbox=query) == 2
    assert store.count("roads", bbox=(117.0, 39.0, 117.1, 39.1)) == 0
    assert store.read("roads", bbox=(117.0, 39.0, 117.1, 39.1)).empty


def test_limit_and_offset(store: GeoPackageStore) -> None:
    store.write("stations", stations(10), kind="stations")
    page = store.read("stations", limit=3, offset=4)
    assert page["station_id"].tolist() == ["S0004", "S0005", "S0006"]
    assert store.read("stations", offset=8)["station_id"].tolist() == ["S0008", "S0009"]
    box = (116.4002, 39.8, 116.4007, 40.0)  # S0002 … S0007
    page = store.read("stations", bbox=box, limit=2, offset=3)
    assert page["station_id"].tolist() == ["S0005", "S0006"]
    assert store.count("stations", bbox=box) == 6


def test_versions_grow_with_each_write(store: GeoPackageStore) -> None:
    versions = [store.write("stations", stations(n), kind="stations").version for n in (1, 2, 3)]
    assert versions == [1, 2, 3]
    store.delete("stations")
    assert store.write("stations", stations(1), kind="stations").version == 4
    assert store.write("other", stations(1), kind="stations").version == 1


def test_unknown_layer_errors(store: GeoPackageStore) -> None:
    store.write("stations", stations(2), kind="stations")
    for call in (store.read, store.info, store.count, store.delete):
        with pytest.raises(UnknownLayerError, match=r"'nope'.*known: stations"):
            call("nope")
    with pytest.raises(FeatureNotFoundError, match="S9999"):
        store.feature("stations", "S9999")
    with pytest.raises(UnknownLayerError, match="no_such_kind"):
        store.write("x", stations(1), kind="no_such_kind")


BAD_NAMES = [
    "", "1abc", "a-b", "a b", "驿站", 'x"; DROP TABLE stations; --', "gpkg_contents2",
    "GPKG_contents", "rtree_stations_geom", "RTREE_stations_geom", "mzgis_layers",
    "sqlite_master",
]  # fmt: skip


def test_reserved_and_invalid_names_are_refused(store: GeoPackageStore) -> None:
    store.write("stations", stations(2), kind="stations")
    for name in BAD_NAMES:
        with pytest.raises(StoreError):
            store.write(name, stations(1), kind="stations")
    assert store.count("stations", bbox=(116, 39, 117, 40)) == 2  # R-tree still there
    assert [i.name for i in store.layers()] == ["stations"]


def test_names_differing_only_in_case_collide(store: GeoPackageStore) -> None:
    store.write("stations", stations(2), kind="stations")
    with pytest.raises(ConflictError, match="case-insensitive"):
        store.write("Stations", stations(1), kind="stations")
    assert store.info("stations").count == 2


def test_failed_write_leaves_the_previous_layer_intact(store: GeoPackageStore) -> None:
    store.write("stations", stations(3), kind="stations")
    before = store.read("stations")
    duplicate_ids = stations(4).assign(station_id=["a", "b", "a", "c"])  # fails at the index
    with pytest.raises(StoreError, match="UNIQUE"):
        store.write("stations", duplicate_ids, kind="stations")
    unbindable = stations(4).astype({"capacity_persons": object})
    unbindable.loc[3, "capacity_persons"] = {1, 2}  # fails while inserting row 3
    with pytest.raises(StoreError):
        store.write("stations", unbindable, kind="stations")
    after = store.read("stations")
    assert after.equals(before)
    assert store.info("stations").version == 1
    assert store.count("stations", bbox=(116, 39, 117, 40)) == 3


def test_concurrent_readers_see_whole_layers(store: GeoPackageStore) -> None:
    sizes = {"A": 120, "B": 200}
    frames = {tag: stations(n, tag=tag) for tag, n in sizes.items()}
    store.write("stations", frames["A"], kind="stations")
    done = threading.Event()
    seen: list[int] = []
    errors: list[str] = []

    def writer() -> None:
        try:
            for i in range(6):
                tag = "B" if i % 2 == 0 else "A"
                store.write("stations", frames[tag], kind="stations")
        finally:
            done.set()

    def reader() -> None:
        while not done.is_set():
            frame = store.read("stations", bbox=(116, 39, 117, 41) if len(seen) % 2 else None)
            tags = {name[0] for name in frame["name"]}
            if len(tags) != 1 or len(frame) != sizes[tags.pop()]:
                errors.append(f"mixed read: {len(frame)} rows")
            if store.count("stations") not in sizes.values():
                errors.append("count outside {N, M}")
            seen.append(len(frame))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert set(seen) <= set(sizes.values())
    assert len(seen) >= 3, seen
    assert store.info("stations").version == 7


def test_rtree_triggers_fire_when_gdal_appends(store: GeoPackageStore, tmp_path: Path) -> None:
    store.write("stations", stations(3), kind="stations")
    new = tmp_path / "new.geojson"
    new.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"station_id": "S9000", "name": "新驿站", "capacity_persons": 5, "status": "运营"}, '
        '"geometry": {"type": "Point", "coordinates": [116.45, 39.95]}}]}',
        encoding="utf-8",
    )
    subprocess.run(
        [OGR2OGR, "-update", "-append", str(store.path), str(new), "-nln", "stations"],
        check=True,
        capture_output=True,
    )
    box = (116.449, 39.949, 116.451, 39.951)
    found = store.read("stations", bbox=box)
    assert found["station_id"].tolist() == ["S9000"]
    assert found["name"].tolist() == ["新驿站"]
    assert store.count("stations", bbox=box) == 1
    assert store.count("stations") == 4
    assert store.count("stations", bbox=(116.39, 39.89, 116.41, 39.91)) == 3
