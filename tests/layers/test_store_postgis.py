"""What only the PostGIS store does: the same frames as GeoPackage, its GiST index, its
URL and schema, migrations, refusals, and several writers at once losing nothing.

Run against a throwaway cluster (``pg_cluster`` in ``tests/conftest.py``)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
import shapely

from layers import StoreError, open_store
from layers.store import GeoPackageStore
from layers.store.postgis import PostGISStore
from tests.layers.test_store import inspections, stations
from tests.pg import Cluster, fresh_schema


def roads(n: int) -> gpd.GeoDataFrame:
    lines = [shapely.LineString([(116.38 + 0.001 * i, 39.90), (116.39, 39.91)]) for i in range(n)]
    return gpd.GeoDataFrame(
        {"edge_id": range(n), "highway": ["footway"] * n, "oneway": [True, False] * (n // 2)},
        geometry=lines,
        crs=4326,
    )


def test_frames_and_catalog_equal_the_geopackage_s(pg_url: str, tmp_path: Path) -> None:
    gpkg, pg = GeoPackageStore(tmp_path / "a.gpkg"), PostGISStore(pg_url)
    frames = {"stations": stations(7), "inspections": inspections(), "roads": roads(10)}
    for kind, frame in frames.items():
        for store in (gpkg, pg):
            store.write(kind, frame, kind=kind)
    for kind in frames:
        pd.testing.assert_frame_equal(pg.read(kind), gpkg.read(kind))
        box = (116.38, 39.90, 116.395, 39.91)
        pd.testing.assert_frame_equal(pg.read(kind, bbox=box), gpkg.read(kind, bbox=box))
    strip = [{**i.to_dict(), "updated_at": None} for i in gpkg.layers()]
    assert [{**i.to_dict(), "updated_at": None} for i in pg.layers()] == strip
    pg.close()


def sql_rows(url: str, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(url.split("?", maxsplit=1)[0]) as con:
        return con.execute(query, params).fetchall()


def test_bbox_queries_use_the_gist_index_and_replacing_leaves_no_debris(
    pg_cluster: Cluster,
) -> None:
    schema = fresh_schema()
    store = PostGISStore(f"{pg_cluster.url}?schema={schema}")
    for n in (3, 5, 4):
        store.write("stations", stations(n), kind="stations")
    indexes = sql_rows(
        pg_cluster.url, "SELECT indexname FROM pg_indexes WHERE schemaname = %s", schema
    )
    names = {r[0] for r in indexes}
    assert {"mzgis_pk_stations", "mzgis_gix_stations", "mzgis_uid_stations"} <= names
    tables = sql_rows(
        pg_cluster.url, "SELECT tablename FROM pg_tables WHERE schemaname = %s", schema
    )
    assert sorted(r[0] for r in tables) == [
        "mzgis_artifacts", "mzgis_layer_versions", "mzgis_layers", "mzgis_layers_history",
        "mzgis_migrations", "stations",
    ]  # fmt: skip
    with psycopg.connect(pg_cluster.url) as con:
        con.execute("SET enable_seqscan = off")
        plan = con.execute(
            f"EXPLAIN SELECT * FROM {schema}.stations WHERE geom && "
            "ST_MakeEnvelope(116, 39, 117, 40, 4326)"
        ).fetchall()
    assert "mzgis_gix_stations" in " ".join(r[0] for r in plan)
    store.close()


def test_url_password_is_hidden_and_schemas_keep_stores_apart(pg_cluster: Cluster) -> None:
    first, second = fresh_schema(), fresh_schema()
    a = open_store(f"{pg_cluster.url}?schema={first}")
    a_again = open_store(f"{pg_cluster.url}?schema={first}")
    b = open_store(f"{pg_cluster.url}?schema={second}")
    assert isinstance(a, PostGISStore)
    assert pg_cluster.password not in a.url
    assert ":***@" in a.url
    a.write("stations", stations(3), kind="stations")
    assert a_again.info("stations").count == 3  # one server, shared by every client
    assert b.layers() == []
    for store in (a, a_again, b):
        store.close()
    steps = sql_rows(
        pg_cluster.url, f"SELECT component, step FROM {first}.mzgis_migrations ORDER BY step"
    )
    assert steps == [("layers", 1), ("layers", 2), ("layers", 3)]  # opened twice, migrated once


def test_stores_opened_at_once_migrate_once(pg_cluster: Cluster) -> None:
    url = f"{pg_cluster.url}?schema={fresh_schema()}"
    opened: list[PostGISStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(PostGISStore(url, pool_size=2))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(opened) == 4
    for store in opened:
        store.close()


def test_bad_locations_are_refused_clearly(pg_cluster: Cluster) -> None:
    start = time.perf_counter()
    with pytest.raises(StoreError, match="cannot connect"):
        open_store(f"postgresql://nobody:x@127.0.0.1:{_closed_port()}/x")
    assert time.perf_counter() - start < 10
    with pytest.raises(StoreError, match="password authentication failed"):
        open_store(pg_cluster.url_for("mzgis_admin", "wrong"))
    with pytest.raises(StoreError, match="schema"):
        open_store(f"{pg_cluster.url}?schema=Bad-Name")
    with pytest.raises(StoreError, match=r"\.gpkg file or a postgresql:// URL"):
        open_store("stations.shp")


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_database_without_postgis_is_named(pg_cluster: Cluster) -> None:
    with psycopg.connect(pg_cluster.url, autocommit=True) as con:
        con.execute("CREATE ROLE nogis_owner LOGIN PASSWORD 'pw'")
        con.execute("CREATE DATABASE nogis OWNER nogis_owner")
    with pytest.raises(StoreError, match="CREATE EXTENSION postgis"):
        open_store(pg_cluster.url_for("nogis_owner", "pw", "nogis"))


def test_long_names_are_refused_before_postgresql_truncates_them(pg_url: str) -> None:
    store = PostGISStore(pg_url)
    store.write("s" * 48, stations(1), kind="stations")
    with pytest.raises(StoreError, match="longer than 48"):
        store.write("s" * 49, stations(1), kind="stations")
    assert [i.name for i in store.layers()] == ["s" * 48]
    store.close()


def tagged(writer: int, step: int) -> gpd.GeoDataFrame:
    """A stations frame whose size and names say who wrote it and when."""
    tag = f"W{writer}-{step}:"
    return stations(40 + 10 * writer + step, tag=tag)


def test_several_writers_and_readers_lose_nothing(pg_url: str) -> None:
    writers, steps = 3, 4
    sizes = {f"W{w}-{s}:": len(tagged(w, s)) for w in range(writers) for s in range(steps)}
    sizes["A"] = 30
    PostGISStore(pg_url).write("shared", stations(30), kind="stations")
    done = threading.Event()
    errors: list[str] = []
    reads: list[int] = []

    def writer(w: int) -> None:
        store = PostGISStore(pg_url, pool_size=2)  # a client of its own
        try:
            for s in range(steps):
                store.write("shared", tagged(w, s), kind="stations")
                store.import_frame(tagged(w, s), name=f"own{w}", kind="stations")
        except BaseException as exc:
            errors.append(f"writer {w}: {exc}")
        finally:
            store.close()

    def reader() -> None:
        store = PostGISStore(pg_url, pool_size=2)
        while not done.is_set():
            frame = store.read("shared", bbox=(116, 39, 117, 41) if len(reads) % 2 else None)
            tags = {name.split("驿站")[0] for name in frame["name"]}
            if len(tags) != 1 or len(frame) != sizes[tags.pop()]:
                errors.append(f"mixed read: {len(frame)} rows, {len(tags)} writers")
            reads.append(len(frame))
        store.close()

    readers = [threading.Thread(target=reader) for _ in range(2)]
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in readers + threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done.set()
    for t in readers:
        t.join(timeout=60)
    assert errors == []
    assert len(reads) >= 2
    store = PostGISStore(pg_url)
    assert store.info("shared").version == 1 + writers * steps
    history = sql_rows(
        pg_url,
        f"SELECT version FROM {pg_url.split('schema=')[1]}.mzgis_layers_history "
        "WHERE name = 'shared' ORDER BY version",
    )
    assert [r[0] for r in history] == list(range(1, 2 + writers * steps))
    final = store.read("shared")
    assert {n.split("驿站")[0] for n in final["name"]} <= set(sizes)
    for w in range(writers):
        own = store.read(f"own{w}")
        assert store.info(f"own{w}").version == steps
        assert own["name"].tolist() == tagged(w, steps - 1)["name"].tolist()
    store.close()
