"""One edit of one feature through OGC API - Features Part 4 (``PATCH
/collections/stations/items/{id}`` with ``If-Match``), on a GeoPackage and on PostGIS.

What an edit does: check the token and the role, read the layer's version and the feature's
ETag, validate the feature through the layer schema, write the layer as a new version
(``Store.write`` with the version read: the whole layer, atomically), append the audit entry
and read the feature back for its new ETag. The anchor is the least an edit can cost in the
same store: one SQL ``UPDATE`` of that row (sqlite3 or psycopg), with no validation, no
version, no audit and no HTTP. The ratio says what the guarantees cost per edit.

Sizes: 1,100 stations (Beijing's count) and 10,000. PostGIS runs when ``--postgis URL`` is
given (in a schema of its own, dropped at the end).

Run: ``.venv/bin/python bench/bench_feature_edit.py [--postgis postgresql://...]`` (full)
or ``--smoke`` (50 stations, GeoPackage only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.auth import issue_token  # noqa: E402
from api.config import Settings  # noqa: E402
from layers import validate  # noqa: E402
from layers.records import User, open_record_store  # noqa: E402
from layers.store import open_store  # noqa: E402
from layers.store.gpkg import GeoPackageStore  # noqa: E402

ITEM = "/collections/stations/items/S0007"


def stations(n: int) -> gpd.GeoDataFrame:
    """``n`` valid stations in Dongcheng."""
    rng = np.random.default_rng(1)
    frame = gpd.GeoDataFrame(
        {
            "station_id": [f"S{i:04d}" for i in range(n)],
            "name": [f"驿站{i}" for i in range(n)],
            "operator": ["街道"] * n,
            "capacity_persons": rng.integers(20, 120, n),
            "status": ["运营"] * n,
        },
        geometry=gpd.points_from_xy(rng.uniform(116.38, 116.44, n), rng.uniform(39.88, 39.95, n)),
        crs=4326,
    )
    return validate(frame, "stations")[0]


def fill(location: str, n: int) -> str:
    """The stations layer and a planner in the store at ``location``; the planner's token."""
    store = open_store(location)
    store.write("stations", stations(n), kind="stations")
    store.close()
    records = open_record_store(location)
    records.add_user(User("planner", "planner", "Planner", "not-a-hash"), actor="bench")
    token = issue_token(records, "planner", actor="bench")[0]
    records.close()
    return token


def time_edits(location: str, token: str, edits: int) -> list[float]:
    """Seconds of each of ``edits`` PATCH requests, each based on the ETag the one before
    returned."""
    auth = {"Authorization": f"Bearer {token}"}
    seconds = []
    with TestClient(create_app(Settings(store=location))) as client:
        etag = client.get(ITEM).headers["ETag"]
        for k in range(edits):
            body = {"properties": {"capacity_persons": 200 + k}}
            t0 = time.perf_counter()
            answer = client.patch(ITEM, json=body, headers={**auth, "If-Match": etag})
            seconds.append(time.perf_counter() - t0)
            assert answer.status_code == 200, answer.text
            etag = answer.headers["ETag"]
        final = client.get(ITEM).json()["properties"]["capacity_persons"]
    assert final == 200 + edits - 1, "the last edit is not what the store holds"
    return seconds


def time_anchor(update: Callable[[int], None], edits: int) -> list[float]:
    seconds = []
    for k in range(edits):
        t0 = time.perf_counter()
        update(300 + k)
        seconds.append(time.perf_counter() - t0)
    return seconds


def gpkg_update(store: GeoPackageStore) -> Callable[[int], None]:
    """One row updated in its own transaction, on a connection set up as the store's (with
    the SQL functions its R-tree triggers call)."""

    def update(value: int) -> None:
        with store.transaction() as con:
            sql = "UPDATE stations SET capacity_persons = ? WHERE station_id = 'S0007'"
            con.execute(sql, (value,))

    return update


def measure(n: int, *, postgis: str | None, edits: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edit.gpkg"
        token = fill(str(path), n)
        ours = time_edits(str(path), token, edits)
        anchor = time_anchor(gpkg_update(GeoPackageStore(path)), edits)
        out["geopackage"] = _figures(ours, anchor)
    if postgis is not None:
        out["postgis"] = _measure_postgis(n, postgis, edits)
    return out


def _measure_postgis(n: int, postgis: str, edits: int) -> dict[str, float]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    location = f"{postgis}{'&' if '?' in postgis else '?'}schema={schema}"
    token = fill(location, n)
    store = open_store(location)
    try:
        ours = time_edits(location, token, edits)

        def update(value: int) -> None:
            with store.pool.connection() as con:  # type: ignore[attr-defined]
                con.execute(
                    f"UPDATE {schema}.stations SET capacity_persons = %s"
                    " WHERE station_id = 'S0007'",
                    (value,),
                )

        anchor = time_anchor(update, edits)
    finally:
        with store.pool.connection() as con:  # type: ignore[attr-defined]
            con.execute(f"DROP SCHEMA {schema} CASCADE")
        store.close()
    return _figures(ours, anchor)


def _figures(ours: list[float], anchor: list[float]) -> dict[str, float]:
    return {
        "edit_ms": statistics.median(ours) * 1000,
        "edit_max_ms": max(ours) * 1000,
        "anchor_ms": statistics.median(anchor) * 1000,
    }


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgis", help="a postgresql:// URL to measure PostGIS too")
    parser.add_argument("--sizes", default="1100,10000", help="stations, comma-separated")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    sizes = [50] if args.smoke else [int(s) for s in args.sizes.split(",")]
    edits = 3 if args.smoke else args.edits
    figures: dict[str, dict[str, float]] = {}
    for n in sizes:
        print(f"\n{n:,} stations, {edits} edits of one station (median)")
        for where, fig in measure(n, postgis=args.postgis, edits=edits).items():
            ratio = fig["edit_ms"] / fig["anchor_ms"]
            print(
                f"  {where:10} Part 4 PATCH {fig['edit_ms']:8.1f} ms (max {fig['edit_max_ms']:.1f})"
                f"   bare SQL UPDATE {fig['anchor_ms']:6.2f} ms   {ratio:,.0f}x the anchor"
            )
            figures[f"{n} {where}"] = fig
    print(f"\n(load average {os.getloadavg()[0]:.1f})")
    return figures


if __name__ == "__main__":
    main()
