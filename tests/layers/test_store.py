"""Every store backend, the same tests: catalog, reads, bbox queries, paging, versions,
names, failed writes, value types and concurrent readers (``store`` runs each test on a
GeoPackage file and on a PostGIS schema)."""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers import ConflictError, FeatureNotFoundError, StoreError, UnknownLayerError, validate
from layers.store import Store


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


def test_write_read_count_feature_delete(store: Store) -> None:
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


def test_bbox_query_is_exact_not_just_the_index(store: Store) -> None:
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


def test_limit_and_offset(store: Store) -> None:
    store.write("stations", stations(10), kind="stations")
    page = store.read("stations", limit=3, offset=4)
    assert page["station_id"].tolist() == ["S0004", "S0005", "S0006"]
    assert store.read("stations", offset=8)["station_id"].tolist() == ["S0008", "S0009"]
    box = (116.4002, 39.8, 116.4007, 40.0)  # S0002 … S0007
    page = store.read("stations", bbox=box, limit=2, offset=3)
    assert page["station_id"].tolist() == ["S0005", "S0006"]
    assert store.count("stations", bbox=box) == 6


def test_versions_grow_with_each_write(store: Store) -> None:
    versions = [store.write("stations", stations(n), kind="stations").version for n in (1, 2, 3)]
    assert versions == [1, 2, 3]
    store.delete("stations")
    assert store.write("stations", stations(1), kind="stations").version == 4
    assert store.write("other", stations(1), kind="stations").version == 1


def test_unknown_layer_errors(store: Store) -> None:
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
    "mzgis_tmp_stations", "sqlite_master",
]  # fmt: skip


def test_reserved_and_invalid_names_are_refused(store: Store) -> None:
    store.write("stations", stations(2), kind="stations")
    for name in BAD_NAMES:
        with pytest.raises(StoreError):
            store.write(name, stations(1), kind="stations")
    assert store.count("stations", bbox=(116, 39, 117, 40)) == 2  # spatial index still there
    assert [i.name for i in store.layers()] == ["stations"]


def test_names_differing_only_in_case_collide(store: Store) -> None:
    store.write("stations", stations(2), kind="stations")
    with pytest.raises(ConflictError, match="case-insensitive"):
        store.write("Stations", stations(1), kind="stations")
    assert store.info("stations").count == 2


def test_failed_write_leaves_the_previous_layer_intact(store: Store) -> None:
    store.write("stations", stations(3), kind="stations")
    before = store.read("stations")
    duplicate_ids = stations(4).assign(station_id=["a", "b", "a", "c"])  # fails at the index
    with pytest.raises(StoreError, match=r"(?i)unique"):
        store.write("stations", duplicate_ids, kind="stations")
    unbindable = stations(4).astype({"capacity_persons": object})
    unbindable.loc[3, "capacity_persons"] = {1, 2}  # fails while inserting row 3
    with pytest.raises(StoreError):
        store.write("stations", unbindable, kind="stations")
    after = store.read("stations")
    assert after.equals(before)
    assert store.info("stations").version == 1
    assert store.count("stations", bbox=(116, 39, 117, 40)) == 3


def inspections() -> gpd.GeoDataFrame:
    """Two inspections with every value type: datetimes, JSON, booleans, missing values,
    a column outside the schema, a missing and an empty geometry beside a real one."""
    return gpd.GeoDataFrame(
        {
            "inspection_id": ["I1", "I2", "I3"],
            "campaign_id": ["2024", "2024", "2024"],
            "marker_no": ["1101001A", "1101002B", "1101003C"],
            "inspected_at": pd.to_datetime(
                ["2024-05-01T08:30:00.123Z", "2024-05-02T14:00:00Z", None],
                utc=True,
                format="ISO8601",
            ),
            "condition": ["完好", "损坏", "丢失"],
            "accuracy_m": [0.5, np.nan, 2.0],
            "inspectors": [["张三", "李四"], ["王五"], []],
            "photos": [None, [{"file": "a.jpg", "sha256": "ab"}], {"k": 1}],
            "suspected_displaced": pd.array([True, None, False], dtype="boolean"),
            "note_extra": ["外加", None, "x"],
        },
        geometry=[shapely.Point(116.39, 39.91), None, shapely.Point()],
        crs=4326,
    )


def test_values_come_back_with_their_types(store: Store) -> None:
    store.write("inspections", inspections(), kind="inspections")
    back = store.read("inspections")
    assert str(back["inspected_at"].dtype) == "datetime64[us, UTC]"
    assert back["inspected_at"][0] == pd.Timestamp("2024-05-01T08:30:00.123Z")
    assert pd.isna(back["inspected_at"][2])
    assert back["accuracy_m"].dtype == "float64"
    assert np.isnan(back["accuracy_m"][1])
    assert str(back["suspected_displaced"].dtype) == "boolean"
    assert back["suspected_displaced"].tolist()[0] is True
    assert back["suspected_displaced"].isna().tolist() == [False, True, False]
    assert back["inspectors"].tolist() == [["张三", "李四"], ["王五"], []]
    assert back["photos"].tolist() == [None, [{"file": "a.jpg", "sha256": "ab"}], {"k": 1}]
    assert back["note_extra"].isna().tolist() == [False, True, False]
    assert back["note_extra"][[0, 2]].tolist() == ["外加", "x"]
    assert back.geometry[0].equals(shapely.Point(116.39, 39.91))
    assert back.geometry.isna().tolist() == [False, True, False]
    assert back.geometry[2].is_empty
    assert store.info("inspections").bbox == pytest.approx((116.39, 39.91, 116.39, 39.91))


def test_ids_are_matched_as_the_id_column_s_type(store: Store) -> None:
    roads = gpd.GeoDataFrame(
        {"edge_id": [7, 8]},
        geometry=[shapely.LineString([(116.3, 39.9), (116.4, 39.9)])] * 2,
        crs=4326,
    )
    store.import_frame(roads, name="roads", kind="roads")
    assert store.feature("roads", "8")["edge_id"].tolist() == [8]
    assert store.feature("roads", 7)["edge_id"].tolist() == [7]
    for missing in ("x8", "9", 10):
        with pytest.raises(FeatureNotFoundError):
            store.feature("roads", missing)
    store.write("stations", stations(2), kind="stations")
    with pytest.raises(FeatureNotFoundError):
        store.feature("stations", 1)


def test_an_empty_layer_is_a_layer(store: Store) -> None:
    info = store.write("stations", stations(0), kind="stations")
    assert (info.count, info.bbox, info.version) == (0, None, 1)
    frame = store.read("stations")
    assert frame.empty
    assert {"station_id", "name", "capacity_persons"} <= set(frame.columns)
    assert store.count("stations", bbox=(116, 39, 117, 40)) == 0


def test_concurrent_readers_see_whole_layers(store: Store) -> None:
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
