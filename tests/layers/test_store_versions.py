"""Layer versions on both backends: every write keeps the replaced data, the history says
what wrote each version, a restore brings old data back exactly (as a new version), the
retention setting drops only old data, and a stale write is refused."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers import (
    ConflictError,
    FeatureNotFoundError,
    PreconditionFailedError,
    UnknownLayerError,
    validate,
)
from layers.store import GeoPackageStore, Store
from layers.store._versions import beijing_time, decode, encode


def stations(n: int, *, tag: str = "A", start: int = 0) -> gpd.GeoDataFrame:
    ids = np.arange(start, start + n)
    frame = gpd.GeoDataFrame(
        {
            "station_id": [f"S{i:04d}" for i in ids],
            "name": [f"{tag}驿站{i}" for i in ids],
            "capacity_persons": ids + 10,
            "star_rating": [None if i % 3 == 0 else int(i % 5) for i in ids],
            "status": ["运营"] * n,
            "operator": [None if i % 2 else f'=HYPERLINK("x","{i}")' for i in ids],
        },
        geometry=gpd.points_from_xy(116.40 + ids * 1.234567e-5, 39.90 + ids * 7.654321e-6),
        crs=4326,
    )
    return validate(frame, "stations")[0]


def inspections(n: int) -> gpd.GeoDataFrame:
    """Every value type: datetimes, JSON, booleans, floats with NaN, an outside column."""
    frame = gpd.GeoDataFrame(
        {
            "inspection_id": [f"I{i}" for i in range(n)],
            "campaign_id": ["2025-0001"] * n,
            "marker_no": [f"1101{i:03d}A" for i in range(n)],
            "inspected_at": pd.date_range("2025-05-01 08:00:00.123456", periods=n, freq="37min"),
            "condition": ["完好", "损坏"] * (n // 2) + ["完好"] * (n % 2),
            "accuracy_m": [0.1 * i + 1 / 3 for i in range(n)],
            "fix_type": ["RTK"] * n,
            "inspectors": [[{"side": "left", "name": "王"}, {"side": "right"}]] * n,
            "review_state": ["received"] * n,
            "displacement_m": [np.nan if i % 2 else 0.1 + i for i in range(n)],
            "suspected_displaced": [None if i % 3 == 0 else bool(i % 2) for i in range(n)],
            "notes": [None, "有\n换行", "=1+2"][: min(n, 3)] + ["ok"] * max(0, n - 3),
            "extra_outside_schema": [f"x{i}" for i in range(n)],
        },
        geometry=gpd.points_from_xy(116.3 + np.arange(n) / 1e4, 39.9 + np.arange(n) / 1e4),
        crs=4326,
    )
    return validate(frame, "inspections")[0]


def assert_same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    """Equal column by column, dtypes included, and geometries equal as WKB bytes."""
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    )
    assert (
        shapely.to_wkb(a.geometry.to_numpy()).tolist()
        == shapely.to_wkb(b.geometry.to_numpy()).tolist()
    )


def test_history_keeps_every_replaced_version_and_restore_brings_it_back(store: Store) -> None:
    store.write("stations", stations(5), kind="stations", source="import a.xlsx (new)")
    v1 = store.read("stations")
    store.write("stations", stations(3, tag="B"), kind="stations", source="import b.xlsx")
    v2 = store.read("stations")
    store.write("stations", stations(4, tag="C", start=2), kind="stations", source="edit")

    history = store.history("stations")
    assert [(h.version, h.row_count, h.kept, h.current) for h in history] == [
        (1, 5, True, False),
        (2, 3, True, False),
        (3, 4, False, True),
    ]
    assert [h.source for h in history] == ["import a.xlsx (new)", "import b.xlsx", "edit"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", h.beijing) for h in history)

    info = store.restore("stations", 1)
    assert (info.version, info.count) == (4, 5)
    assert_same(store.read("stations"), v1)
    assert store.history("stations")[-1].source.startswith("restore of version 1")
    store.restore("stations", 2)  # a restore is itself undoable
    assert_same(store.read("stations"), v2)
    store.restore("stations", 4)
    assert_same(store.read("stations"), v1)
    assert store.info("stations").version == 6


def test_restore_is_exact_for_every_value_type(store: Store) -> None:
    store.write("inspections", inspections(7), kind="inspections")
    before = store.read("inspections")
    store.write("inspections", inspections(2), kind="inspections")
    store.restore("inspections", 1)
    after = store.read("inspections")
    assert_same(after, before)
    assert after["inspectors"][0] == [{"side": "left", "name": "王"}, {"side": "right"}]
    assert after["notes"][2] == "=1+2"


def test_restore_refuses_the_current_version_and_unknown_ones(store: Store) -> None:
    store.write("stations", stations(2), kind="stations")
    with pytest.raises(ConflictError, match="already the current"):
        store.restore("stations", 1)
    with pytest.raises(ConflictError, match="not kept"):
        store.restore("stations", 9)
    with pytest.raises(UnknownLayerError):
        store.history("nowhere")
    with pytest.raises(UnknownLayerError):
        store.restore("nowhere", 1)


def test_a_stale_write_is_refused_and_changes_nothing(store: Store) -> None:
    store.write("stations", stations(2), kind="stations", expected_version=0)
    store.write("stations", stations(3), kind="stations", expected_version=1)
    with pytest.raises(PreconditionFailedError, match="version 2"):
        store.write("stations", stations(9), kind="stations", expected_version=1)
    with pytest.raises(PreconditionFailedError):
        store.write("other", stations(1), kind="stations", expected_version=3)
    assert store.info("stations").count == 3
    assert [h.version for h in store.history("stations")] == [1, 2]
    assert "other" not in store


def test_a_deleted_layer_can_be_restored(store: Store) -> None:
    store.write("stations", stations(4), kind="stations")
    before = store.read("stations")
    store.delete("stations")
    assert "stations" not in store
    (only,) = store.history("stations")
    assert (only.kept, only.current) == (True, False)
    info = store.restore("stations", 1)
    assert (info.version, info.count) == (2, 4)
    assert_same(store.read("stations"), before)


def test_retention_drops_old_data_but_keeps_the_history(store: Store) -> None:
    store.versions_kept = 2
    for n in range(1, 6):
        store.write("stations", stations(n), kind="stations")
    flags = [(h.version, h.kept) for h in store.history("stations")]
    assert flags == [(1, False), (2, False), (3, True), (4, True), (5, False)]
    with pytest.raises(ConflictError, match="not kept"):
        store.restore("stations", 2)
    assert store.restore("stations", 3).count == 3


def test_versions_kept_must_be_positive(tmp_path: Path) -> None:
    from layers import StoreError

    with pytest.raises(StoreError, match="≥ 1"):
        GeoPackageStore(tmp_path / "a.gpkg", versions_kept=0)
    assert not (tmp_path / "a.gpkg").exists()


def test_an_older_geopackage_gains_versions_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.gpkg"
    GeoPackageStore(path).write("stations", stations(3), kind="stations")
    with sqlite3.connect(path) as con:  # as the store wrote it before versions existed
        con.execute("DROP TABLE mzgis_layer_versions")
        con.execute("ALTER TABLE mzgis_layers_history DROP COLUMN source")
        con.execute("ALTER TABLE mzgis_layers_history DROP COLUMN row_count")
    store = GeoPackageStore(path)
    before = store.read("stations")
    store.write("stations", stations(1), kind="stations", source="new")
    assert [(h.version, h.source, h.row_count, h.kept) for h in store.history("stations")] == [
        (1, "", None, True),
        (2, "new", 1, False),
    ]
    store.restore("stations", 1)
    assert_same(store.read("stations"), before)


def test_encoding_round_trips_and_beijing_time() -> None:
    frame = inspections(5)
    assert_same(decode(encode(frame)), frame)
    assert beijing_time("2026-12-07T16:30:00.123456Z") == "2026-12-08 00:30:00"


def test_single_feature_edits_are_versions(store: Store) -> None:
    store.write("stations", stations(3), kind="stations")
    changed = stations(1, tag="新").assign(station_id="S0001")
    added = stations(1, tag="加", start=7)
    info = store.put_features("stations", pd.concat([changed, added]))
    assert (info.version, info.count) == (2, 4)
    frame = store.read("stations")
    assert frame["station_id"].tolist() == ["S0000", "S0001", "S0002", "S0007"]
    assert frame["name"].tolist()[1] == "新驿站0"
    info = store.delete_features("stations", ["S0000"])
    assert (info.version, info.count) == (3, 3)
    with pytest.raises(FeatureNotFoundError):
        store.delete_features("stations", ["S9999"])
    with pytest.raises(PreconditionFailedError):
        store.put_features("stations", added, expected_version=2)
    store.restore("stations", 1)
    assert store.read("stations")["station_id"].tolist() == ["S0000", "S0001", "S0002"]


def test_racing_writers_based_on_one_version_one_wins(store: Store) -> None:
    """Six writers read version 1 and write at once: one new version, five refusals, and
    the winner's predecessor kept (nothing lost)."""
    import threading

    store.write("stations", stations(2), kind="stations")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def writer(k: int) -> None:
        barrier.wait()
        try:
            store.write("stations", stations(3 + k, tag=f"W{k}"), kind="stations",
                        expected_version=1)  # fmt: skip
            outcomes.append("written")
        except PreconditionFailedError:
            outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["written"]
    assert [(h.version, h.kept) for h in store.history("stations")] == [(1, True), (2, False)]
