"""What only the GeoPackage store does: R-tree triggers fired by another tool (GDAL).

The tests every backend passes (catalog, reads, bbox queries, versions, names, failed
writes, concurrent readers) are in ``test_store.py``, run on GeoPackage and PostGIS."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from layers import GeoPackageStore
from tests.layers.test_store import stations

OGR2OGR = shutil.which("ogr2ogr") or "/usr/bin/ogr2ogr"


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    return GeoPackageStore(tmp_path / "store.gpkg")


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


def test_rtree_holds_what_the_spatial_functions_compute(store: GeoPackageStore) -> None:
    """The R-tree is filled from the frame's bounds; it equals what GDAL's triggers (the
    ST_ functions on every blob) would put in it."""
    import geopandas as gpd
    import shapely

    from layers import validate

    roads = gpd.GeoDataFrame(
        {"edge_id": [1, 2, 3]},
        geometry=[
            shapely.LineString([(116.40, 39.90), (116.41, 39.92)]),
            shapely.LineString([(116.43, 39.95), (116.42, 39.94), (116.44, 39.91)]),
            shapely.LineString([(116.30, 39.80), (116.31, 39.81)]),
        ],
        crs=4326,
    )
    for name, frame, kind in (("stations", stations(50), "stations"), ("roads", roads, "roads")):
        store.write(name, validate(frame, kind)[0], kind=kind)
        with store.connect() as con:
            stored = con.execute(f"SELECT * FROM rtree_{name}_geom ORDER BY id").fetchall()
            computed = con.execute(
                f"SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom)"
                f" FROM {name} ORDER BY fid"
            ).fetchall()
        assert len(stored) == len(frame)
        assert [r[0] for r in stored] == [r[0] for r in computed]
        for got, want in zip(stored, computed, strict=True):
            # the R-tree keeps float32, rounded outwards (a few 1e-6 degrees at 116°)
            assert got[1:] == pytest.approx(want[1:], abs=3e-5)
