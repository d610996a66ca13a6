"""The walking network of a store, built from its ``roads`` layer once per version of
that layer and kept where the next process finds it.

Where it is kept depends on the backend:

- A ``postgresql://`` store keeps it inside the database, as the artifact
  :data:`NETWORK_ARTIFACT` (``mzgis_artifacts`` table, :meth:`layers.store.Store.put_artifact`)
  keyed by the ``roads`` layer's name, version and ``updated_at`` (:func:`network_key`):
  every service and CLI run on that database loads it instead of rebuilding it, until the
  roads layer is rewritten.
- A GeoPackage store keeps it in a file beside the store (``demo.gpkg`` →
  ``demo.network.npz``), trusted while it is at least as new as the ``roads`` layer,
  rather than in the GeoPackage's ``mzgis_artifacts`` table: measured both ways
  (``bench/bench_network_store.py``, best of 5), the file loads faster. The demo's
  walking network (24,235 nodes, 11.4 MB) loads in 9 ms from the file against 17 ms from
  the GeoPackage table (26 ms from PostGIS); a 250,000-node grid (48 MB) in 31 ms against
  117 ms (241 ms): SQLite reads a large blob through its page chain. Kept inside, the
  network would also double the file planners open in QGIS and pass around (the demo
  store is 5.6 MB, its network 5.4 MB; a city's network approaches a gigabyte), and every
  rebuild would leave that much free space in the file and its write-ahead log until a
  ``VACUUM``. For comparison, building the demo store's network takes about 0.5 s.

A store without a ``roads`` layer uses the network saved with it (``mzgis network build
city.osm.pbf --store city.gpkg``), whatever it was built from; a command or request may
also name a network file (``--network PATH``, :func:`file_network_source`).

A network that cannot be saved (a read-only folder, a database role without the right) or
read back is logged and rebuilt; :class:`NetworkCache` (``app.state.networks``) keeps the
network of the app's store in memory, built once even when requests arrive together.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Collection
from pathlib import Path

from api.errors import InvalidBodyError
from geo._errors import NetworkError
from geo.network import (
    WALK_EXCLUDED_HIGHWAYS,
    Network,
    Progress,
    build_network_from_roads,
    load_network,
    network_from_bytes,
    network_path_for,
    network_to_bytes,
    save_network,
)
from layers._errors import StoreError, UnknownLayerError
from layers.store import LayerInfo, Store

__all__ = [
    "NETWORK_ARTIFACT",
    "ROADS_LAYER",
    "NetworkCache",
    "NetworkSource",
    "build_store_network",
    "file_network_source",
    "load_saved_network",
    "network_is_fresh",
    "network_key",
    "roads_info",
    "save_store_network",
    "saved_network",
    "store_file",
    "store_network",
]

logger = logging.getLogger("mzgis.api")

#: gives the walking network of a store (raises when it has none)
NetworkSource = Callable[[Store], Network]

ROADS_LAYER = "roads"
#: the artifact name of the walking network in a server store
NETWORK_ARTIFACT = "walking_network"


def _bad(field: str, value: object, en: str, zh: str) -> InvalidBodyError:
    return InvalidBodyError(field, value, en, zh)


# -- the network of a store ---------------------------------------------------------------


def store_file(store: Store) -> Path | None:
    """The file of a file-backed store (GeoPackage), ``None`` for a server store."""
    path = getattr(store, "path", None)
    return path if isinstance(path, Path) else None


def roads_info(store: Store) -> LayerInfo:
    """The catalog entry of the store's ``roads`` layer.

    Raises
    ------
    api.errors.InvalidBodyError
        The store has no ``roads`` layer.
    """
    try:
        return store.info(ROADS_LAYER)
    except UnknownLayerError:
        raise _no_network() from None


def _no_network() -> InvalidBodyError:
    msg = (
        "the store has no roads layer and no saved walking network: import a roads layer,"
        " build one (mzgis network build FILE --store ...), or use mode=euclidean"
    )
    zh = (
        "数据中没有道路图层（roads），也没有已保存的步行路网：请导入道路图层、"
        "生成路网（mzgis network build 文件 --store ...）或改用直线距离"
    )
    return _bad("mode", "network", msg, zh)


def _roads(store: Store) -> LayerInfo | None:
    try:
        return store.info(ROADS_LAYER)
    except UnknownLayerError:
        return None


def saved_network(store: Store) -> Network | None:
    """The network saved with ``store`` whatever it was built from (beside a GeoPackage,
    inside a server store), ``None`` if there is none.

    Raises
    ------
    geo._errors.NetworkError
        A saved network that cannot be read.
    """
    path = store_file(store)
    if path is not None:
        target = network_path_for(path)
        return load_network(target) if target.is_file() else None
    info = store.artifact_info(NETWORK_ARTIFACT)
    data = None if info is None else store.get_artifact(NETWORK_ARTIFACT, key=info.key)
    return None if data is None else network_from_bytes(data, label=NETWORK_ARTIFACT)


def file_network_source(path: Path) -> NetworkSource:
    """A network source that reads the network file at ``path`` once (``--network``).

    Raises
    ------
    geo._errors.NetworkError
        When called, if the file is missing or not a network file.
    """
    loaded: list[Network] = []

    def source(_store: Store) -> Network:
        if not loaded:
            loaded.append(load_network(path))
        return loaded[0]

    return source


def network_key(roads: LayerInfo) -> str:
    """The key of a network built from ``roads``: the layer's name, version and time."""
    return f"{roads.name}:{roads.version}:{roads.updated_at}"


def _stamp(updated_at: str) -> float:
    """Seconds since the epoch of a layer's ``updated_at`` (ISO 8601, UTC)."""
    try:
        when = dt.datetime.fromisoformat(updated_at.replace("Z", "+00:00"))
    except ValueError:
        return float("inf")  # unknown: never trust an old file
    return when.replace(tzinfo=when.tzinfo or dt.UTC).timestamp()


def network_is_fresh(path: Path, roads: LayerInfo) -> bool:
    """Whether the network file at ``path`` exists and is at least as new as ``roads``."""
    return path.is_file() and path.stat().st_mtime >= _stamp(roads.updated_at)


def build_store_network(
    store: Store,
    *,
    include_highways: Collection[str] | None = None,
    exclude_highways: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
    respect_oneway: bool = False,
    progress: Progress | None = None,
) -> Network:
    """Build the walking network from the store's ``roads`` layer (nothing is saved)."""
    roads_info(store)
    return build_network_from_roads(
        store.read(ROADS_LAYER),
        include_highways=include_highways,
        exclude_highways=exclude_highways,
        respect_oneway=respect_oneway,
        source=f"{ROADS_LAYER} layer",
        progress=progress,
    )


def load_saved_network(store: Store, roads: LayerInfo) -> Network | None:
    """The network saved for ``store`` if it was built from this version of ``roads``.

    Raises
    ------
    geo._errors.NetworkError
        A saved network that cannot be read.
    layers._errors.StoreError
        The store cannot be read.
    """
    path = store_file(store)
    if path is not None:
        target = network_path_for(path)
        return load_network(target) if network_is_fresh(target, roads) else None
    data = store.get_artifact(NETWORK_ARTIFACT, key=network_key(roads))
    if data is None:
        return None
    return network_from_bytes(data, label=f"{NETWORK_ARTIFACT} of {store.url}")


def save_store_network(store: Store, network: Network, roads: LayerInfo) -> str:
    """Save ``network`` where :func:`store_network` looks for it, as built from ``roads``:
    beside a GeoPackage, inside a server store. Returns where, for people.

    Raises
    ------
    OSError
        The file beside a GeoPackage cannot be written.
    layers._errors.StoreError
        The server store refused the artifact.
    """
    path = store_file(store)
    if path is not None:
        return str(save_network(network, network_path_for(path)))
    store.put_artifact(NETWORK_ARTIFACT, network_to_bytes(network), key=network_key(roads))
    return f"{store.url} ({NETWORK_ARTIFACT})"


def store_network(store: Store, *, progress: Progress | None = None) -> Network:
    """The walking network of ``store``: the saved one when it was built from the current
    ``roads`` layer, else built from that layer and saved (see the module docstring).

    A store without a ``roads`` layer gives the network saved with it
    (:func:`saved_network`).

    Raises
    ------
    api.errors.InvalidBodyError
        The store has neither a ``roads`` layer nor a saved network.
    """
    roads = _roads(store)
    if roads is None:
        saved = saved_network(store)
        if saved is None:
            raise _no_network()
        return saved
    try:
        saved = load_saved_network(store, roads)
    except (NetworkError, StoreError) as exc:
        logger.warning("the saved walking network cannot be read, rebuilding it: %s", exc)
        saved = None
    if saved is not None:
        return saved
    network = build_store_network(store, progress=progress)
    try:
        save_store_network(store, network, roads)
    except (OSError, StoreError) as exc:  # read-only: keep the network in memory only
        logger.warning("cannot save the walking network: %s", exc)
    return network


class NetworkCache:
    """The network of the app's store, built or loaded once per ``roads`` version (and
    saved network), even when several requests ask for it at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._network: Network | None = None

    @staticmethod
    def _key_of(store: Store) -> tuple[object, ...]:
        roads = _roads(store)
        version = None if roads is None else (roads.version, roads.updated_at)
        return (store.url, version, _saved_stamp(store))

    def get(self, store: Store) -> Network:
        """The network of ``store`` (see :func:`store_network`)."""
        with self._lock:
            key = self._key_of(store)
            if self._network is None or self._key != key:
                self._network = store_network(store)
                self._key = self._key_of(store)
            return self._network


def _saved_stamp(store: Store) -> object:
    """When the saved network was written (a network saved by another process, say
    ``mzgis network build``, replaces the one in memory)."""
    path = store_file(store)
    if path is not None:
        target = network_path_for(path)
        return target.stat().st_mtime_ns if target.is_file() else None
    try:
        info = store.artifact_info(NETWORK_ARTIFACT)
    except StoreError:
        return None
    return None if info is None else (info.key, info.updated_at)
