"""What keeping layer versions costs: a write that keeps the replaced version's data, a
restore, and an upsert import, against GDAL writing the same layer to a GeoPackage.

Every write of a layer reads the version it replaces, encodes it (exact JSON, zlib) and
keeps it in ``mzgis_layer_versions`` within the same transaction. The anchor is
``pyogrio.write_dataframe`` of the same frame to a new GeoPackage (GDAL, no versions, no
transaction with a catalog). Inputs: a synthetic station layer (points) and a synthetic
community layer (polygons). Each restore is checked equal to the data it brings back.
PostGIS runs when ``--postgis URL`` is given (in a schema of its own, dropped at the end).

Run: ``.venv/bin/python bench/bench_versions.py [--postgis postgresql://...]`` (full:
100,000 points and 20,000 polygons) or ``--smoke`` (2,000 and 400).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_network import best_of  # noqa: E402
from layers import validate  # noqa: E402
from layers.store import Store, open_store  # noqa: E402

FULL = {"stations": 100_000, "communities": 20_000}
SMOKE = {"stations": 2_000, "communities": 400}


def synthetic(kind: str, n: int, *, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` valid features of ``kind`` around Beijing (stations or communities)."""
    rng = np.random.default_rng(seed)
    x = 116.2 + rng.random(n) * 0.4
    y = 39.8 + rng.random(n) * 0.2
    if kind == "stations":
        data = {
            "station_id": [f"S{i:06d}" for i in range(n)],
            "name": [f"驿站{i}" for i in range(n)],
            "capacity_persons": rng.integers(20, 200, n),
            "status": ["运营"] * n,
            "operator": np.where(rng.random(n) < 0.3, None, "街道"),
        }
        geoms = shapely.points(x, y)
    else:
        data = {
            "code": [f"110101{i // 50:03d}{i % 50:03d}" for i in range(n)],
            "name": [f"社区{i}" for i in range(n)],
            "street_code": [f"110101{i // 50:03d}" for i in range(n)],
            "population": rng.integers(1000, 9000, n),
            "elderly_60_plus": rng.integers(100, 2000, n),
            "elderly_80_plus": rng.integers(10, 300, n),
            "basic_recipients": rng.integers(5, 200, n),
            "households": rng.integers(300, 3000, n),
            "area_m2": rng.random(n) * 1e6,
        }
        geoms = shapely.buffer(shapely.points(x, y), 0.001, quad_segs=4)
    frame = gpd.GeoDataFrame(data, geometry=geoms, crs=4326)
    return validate(frame, kind)[0]


def time_store(store: Store, kind: str, frame: gpd.GeoDataFrame, repeat: int) -> dict[str, float]:
    """First write, a write keeping the replaced version, a restore, an upsert of 1 %."""
    half = frame.iloc[: len(frame) // 2]
    _, first_s = best_of(1, lambda: store.write(kind, frame, kind=kind))
    _, keep_s = best_of(repeat, lambda: store.write(kind, half, kind=kind))
    before = store.read(kind)
    _, restore_s = best_of(1, lambda: store.restore(kind, 1))
    restored = store.read(kind)
    pd.testing.assert_frame_equal(
        pd.DataFrame(restored.drop(columns="geometry")),
        pd.DataFrame(store.kept_version(kind, 1)[1].drop(columns="geometry")),
    )
    assert len(restored) == len(frame) and len(before) == len(half)
    edit = frame.iloc[: max(1, len(frame) // 100)]
    _, upsert_s = best_of(1, lambda: store.put_features(kind, edit))
    return {"first_s": first_s, "keep_s": keep_s, "restore_s": restore_s, "upsert_s": upsert_s}


def time_gdal(frame: gpd.GeoDataFrame, folder: Path, repeat: int) -> float:
    """The anchor: GDAL writing the same layer to a new GeoPackage."""

    def write() -> Path:
        path = folder / f"gdal-{uuid.uuid4().hex}.gpkg"
        pyogrio.write_dataframe(frame, path, layer="layer", driver="GPKG")
        return path

    _, seconds = best_of(repeat, write)
    return seconds


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes (seconds)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgis", help="a postgresql:// URL to time a PostGIS store too")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="mzgis-bench-versions-") as tmp:
        folder = Path(tmp)
        targets = {"geopackage": str(folder / "store.gpkg")}
        if args.postgis:
            targets["postgis"] = f"{args.postgis}?schema=bench_{uuid.uuid4().hex[:8]}"
        for kind, n in sizes.items():
            frame = synthetic(kind, n)
            gdal_s = time_gdal(frame, folder, args.repeat)
            for backend, location in targets.items():
                store = open_store(location)
                try:
                    times = time_store(store, kind, frame, args.repeat)
                finally:
                    _drop_schema(store, backend)
                    store.close()
                times["gdal_s"] = gdal_s
                out[f"{kind} {n:,}: {backend}"] = times
                print(
                    f"{kind} {n:,} on {backend}: first write {times['first_s']:.2f} s,"
                    f" write keeping the replaced version {times['keep_s']:.2f} s,"
                    f" restore {times['restore_s']:.2f} s, upsert of 1 % {times['upsert_s']:.2f} s;"
                    f" GDAL write {gdal_s:.2f} s → keeping write {times['keep_s'] / gdal_s:.2f}x"
                    f" GDAL's, restore {times['restore_s'] / gdal_s:.2f}x"
                )
    return out


def _drop_schema(store: Store, backend: str) -> None:
    if backend != "postgis":
        return
    from layers.store.postgis import PostGISStore

    if isinstance(store, PostGISStore):
        with store.pool.connection() as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{store.schema}" CASCADE')


if __name__ == "__main__":
    main()
