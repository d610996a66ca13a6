"""The walking network of a store: loaded from beside a GeoPackage store when it is at
least as new as the store's ``roads`` layer, otherwise built from that layer (and saved
beside the file; a server store keeps it in memory), and cached for the app's process."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Collection
from pathlib import Path

from api.errors import InvalidBodyError
from geo.network import (
    WALK_EXCLUDED_HIGHWAYS,
    Network,
    Progress,
    build_network_from_roads,
    load_network,
    network_path_for,
    save_network,
)
from layers.store import LayerInfo, Store

__all__ = [
    "ROADS_LAYER",
    "NetworkCache",
    "build_store_network",
    "network_is_fresh",
    "store_file",
    "store_network",
]

logger = logging.getLogger("mzgis.api")

ROADS_LAYER = "roads"


def _bad(field: str, value: object, en: str, zh: str) -> InvalidBodyError:
    return InvalidBodyError(field, value, en, zh)


# -- the network of a store ---------------------------------------------------------------


def store_file(store: Store) -> Path | None:
    """The file of a file-backed store (GeoPackage), ``None`` for a server store."""
    path = getattr(store, "path", None)
    return path if isinstance(path, Path) else None


def _roads_info(store: Store) -> LayerInfo:
    for info in store.layers():
        if info.name == ROADS_LAYER:
            return info
    msg = "the store has no roads layer: import one, or use mode=euclidean"
    raise _bad("mode", "network", msg, "数据中没有道路图层（roads），请先导入或改用直线距离")


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
    _roads_info(store)
    return build_network_from_roads(
        store.read(ROADS_LAYER),
        include_highways=include_highways,
        exclude_highways=exclude_highways,
        respect_oneway=respect_oneway,
        source=f"{ROADS_LAYER} layer",
        progress=progress,
    )


def _save_beside(network: Network, path: Path) -> None:
    try:
        save_network(network, path)
    except OSError as exc:  # a read-only folder: keep the network in memory only
        logger.warning("cannot save the network to %s: %s", path.name, exc)


def store_network(store: Store, *, progress: Progress | None = None) -> Network:
    """The walking network of ``store``: loaded from beside a GeoPackage when fresh, else
    built from its ``roads`` layer (and saved beside a GeoPackage).

    Raises
    ------
    api.errors.InvalidBodyError
        The store has no ``roads`` layer.
    """
    roads = _roads_info(store)
    path = store_file(store)
    target = network_path_for(path) if path is not None else None
    if target is not None and network_is_fresh(target, roads):
        return load_network(target)
    network = build_store_network(store, progress=progress)
    if target is not None:
        _save_beside(network, target)
    return network


class NetworkCache:
    """The network of the app's store, built or loaded once per ``roads`` version (and
    network file), even when several requests ask for it at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._network: Network | None = None

    @staticmethod
    def _key_of(store: Store) -> tuple[object, ...]:
        roads = _roads_info(store)
        path = store_file(store)
        target = network_path_for(path) if path is not None else None
        mtime = target.stat().st_mtime_ns if target is not None and target.is_file() else None
        return (store.url, roads.version, roads.updated_at, mtime)

    def get(self, store: Store) -> Network:
        """The network of ``store`` (see :func:`store_network`)."""
        with self._lock:
            key = self._key_of(store)
            if self._network is None or self._key != key:
                self._network = store_network(store)
                self._key = self._key_of(store)
            return self._network
