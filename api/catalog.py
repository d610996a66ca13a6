"""The store the service opens and its catalog of collections, built once at start-up.

As in tipg, the catalog (every layer's kind, count, extent, version) is read once in the
app's lifespan and kept on ``app.state``; a name it does not know triggers one re-read, so
layers imported while the service runs still appear. Writers call :meth:`Catalog.refresh`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from api.config import is_default_store
from api.errors import InvalidBodyError
from layers._errors import UnknownLayerError
from layers.store import LayerInfo, Store, open_store

__all__ = ["Catalog", "open_service_store", "require_column"]


def open_service_store(location: str | Path) -> Store:
    """Open the store at ``location``; the demo store is built first when it is missing.

    Parameters
    ----------
    location
        A ``.gpkg`` path or a ``postgresql://`` URL.

    Raises
    ------
    layers.StoreError
        When the store cannot be opened.
    """
    if is_default_store(location) and not Path(location).exists():
        from api.inspection.seed import seed_demo_store
        from layers.demo import ensure_demo

        ensure_demo(Path(location))
        store = open_store(location)
        seed_demo_store(store)
        return store
    return open_store(location)


@dataclass
class Catalog:
    """The layers of a store, read once and refreshed on demand."""

    store: Store
    layers: dict[str, LayerInfo] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def build(cls, store: Store) -> Catalog:
        """Read every layer's catalog entry from ``store``."""
        catalog = cls(store)
        catalog.refresh()
        return catalog

    def refresh(self) -> None:
        """Read the catalog again (after a write, or when a name is unknown)."""
        entries = {info.name: info for info in self.store.layers()}
        with self._lock:
            self.layers = entries

    def get(self, name: str) -> LayerInfo:
        """The entry of layer ``name``; :class:`layers.UnknownLayerError` if it has none."""
        info = self.layers.get(name)
        if info is None:
            self.refresh()
            info = self.layers.get(name)
        if info is None:
            raise UnknownLayerError(name, list(self.layers))
        return info

    def kind(self, name: str) -> str:
        """The kind of layer ``name`` (``stations``, ``communities``, ...)."""
        return self.get(name).kind

    def read(self, name: str, *, field: str, nonempty: bool = False) -> gpd.GeoDataFrame:
        """Layer ``name`` read from the store, for the request field ``field`` that named it.

        Raises
        ------
        api.errors.InvalidBodyError
            The store has no layer ``name`` (or, with ``nonempty``, the layer has no
            feature): the error names ``field`` and lists the layers there are.
        """
        try:
            self.get(name)
        except UnknownLayerError:
            known = ", ".join(sorted(self.layers)) or "(none)"
            en, zh = f"no such layer; the store has: {known}", f"没有该图层，现有：{known}"
            raise InvalidBodyError(field, name, en, zh) from None
        frame = self.store.read(name)
        if nonempty and len(frame) == 0:
            raise InvalidBodyError(field, name, "the layer is empty", "该图层没有要素")
        return frame

    def __len__(self) -> int:
        return len(self.layers)


def require_column(frame: gpd.GeoDataFrame, column: str, *, field: str, layer: str) -> None:
    """Refuse ``column``, named by the request field ``field``, unless layer ``layer``
    (read as ``frame``) has it besides its geometry: :class:`InvalidBodyError` (422)
    listing the columns it has."""
    if column not in frame.columns or column == frame.geometry.name:
        cols = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        en = f"layer {layer!r} has no such column (have: {cols})"
        raise InvalidBodyError(field, column, en, f"图层 {layer} 没有该字段（现有：{cols}）")
