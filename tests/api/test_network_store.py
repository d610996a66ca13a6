"""The walking network kept with its store, on both backends (``store`` runs each test on a
GeoPackage file and on a PostGIS schema): built once, saved, reloaded equal by the next
process, rebuilt when the roads layer is rewritten or the saved one cannot be read."""

from __future__ import annotations

from itertools import pairwise

import geopandas as gpd
import numpy as np
import shapely

from api.network.service import (
    NETWORK_ARTIFACT,
    NetworkCache,
    network_key,
    roads_info,
    store_file,
    store_network,
)
from geo.network import Network, network_path_for
from geo.network.io import _ARRAYS
from layers.store import Store, open_store


def grid_roads(n: int) -> gpd.GeoDataFrame:
    """An ``n`` × ``n`` street grid every 0.002° (connected: one network of n² crossings)."""
    ticks = 116.40 + 0.002 * np.arange(n)
    rows = 39.90 + 0.002 * np.arange(n)
    lines = [shapely.LineString([(x, a), (x, b)]) for x in ticks for a, b in pairwise(rows)]
    lines += [shapely.LineString([(a, y), (b, y)]) for y in rows for a, b in pairwise(ticks)]
    return gpd.GeoDataFrame(
        {"edge_id": np.arange(len(lines)), "highway": ["footway"] * len(lines)},
        geometry=lines,
        crs="EPSG:4326",
    )


def built(store: Store) -> tuple[Network, list[str]]:
    """The store's network, and the build stages it went through (none when loaded)."""
    stages: list[str] = []
    network = store_network(store, progress=lambda stage, _: stages.append(stage))
    return network, stages


def assert_same(a: Network, b: Network) -> None:
    for name in _ARRAYS:
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype and np.array_equal(left, right), name
    assert a.crs == b.crs and a.report == b.report


def saved_key(store: Store) -> str | None:
    """The roads version the saved network was built from (``None``: nothing saved)."""
    path = store_file(store)
    if path is None:
        info = store.artifact_info(NETWORK_ARTIFACT)
        return None if info is None else info.key
    return "file" if network_path_for(path).is_file() else None


def test_saved_reloaded_equal_and_rebuilt_when_roads_change(store: Store) -> None:
    store.import_frame(grid_roads(4), name="roads", kind="roads")
    first, stages = built(store)
    assert stages and stages[-1] == "done"  # built
    assert (first.n_nodes, first.n_edges) == (16, 24)
    if store_file(store) is None:
        assert saved_key(store) == network_key(roads_info(store))
    else:
        assert saved_key(store) == "file"
    again = open_store(store.url if store_file(store) else _full_url(store))
    try:
        second, stages = built(again)  # the next process loads it
    finally:
        again.close()
    assert stages == []
    assert second is not first
    assert_same(first, second)
    store.import_frame(grid_roads(3), name="roads", kind="roads")  # rewritten
    third, stages = built(store)
    assert stages and (third.n_nodes, third.n_edges) == (9, 12)
    fourth, stages = built(store)
    assert stages == [] and fourth.n_edges == 12
    if store_file(store) is None:
        key = network_key(roads_info(store))
        assert saved_key(store) == key
        assert store.get_artifact(NETWORK_ARTIFACT, key=key) is not None


def test_an_unreadable_saved_network_is_rebuilt_and_replaced(store: Store) -> None:
    store.import_frame(grid_roads(3), name="roads", kind="roads")
    key = network_key(roads_info(store))
    path = store_file(store)
    if path is None:
        store.put_artifact(NETWORK_ARTIFACT, b"not a network", key=key)
    else:
        network_path_for(path).write_bytes(b"not a network")
    network, stages = built(store)
    assert stages and network.n_edges == 12
    _, stages = built(store)
    assert stages == []  # the good one replaced the bad one


def test_the_cache_follows_a_network_saved_by_another_process(store: Store) -> None:
    store.import_frame(grid_roads(3), name="roads", kind="roads")
    cache = NetworkCache()
    first = cache.get(store)
    assert cache.get(store) is first  # nothing changed: the same object
    other = open_store(store.url if store_file(store) else _full_url(store))
    try:  # another process saves a network built from the same roads version
        from api.network.service import save_store_network
        from geo.network import build_network_from_roads

        smaller = build_network_from_roads(grid_roads(2), source="elsewhere")
        save_store_network(other, smaller, roads_info(other))
    finally:
        other.close()
    now = cache.get(store)
    assert now is not first and now.report.source == "elsewhere" and now.n_edges == 4


def _full_url(store: Store) -> str:
    """The URL of a PostGIS store with its password (``store.url`` hides it)."""
    conninfo, schema = store.conninfo, store.schema  # type: ignore[attr-defined]
    return f"{conninfo}?schema={schema}"
