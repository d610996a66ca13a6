"""Storage backends behind one interface: :class:`Store`.

``open_store("demo.gpkg")`` opens (or creates) a GeoPackage file.
"""

from __future__ import annotations

from pathlib import Path

from layers._errors import StoreError
from layers.store.base import BBox, LayerInfo, Store
from layers.store.gpkg import GeoPackageStore

__all__ = ["BBox", "GeoPackageStore", "LayerInfo", "Store", "open_store"]


def open_store(location: str | Path) -> Store:
    """Open a store by location: a ``.gpkg`` path (created when missing)."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        msg = "PostGIS stores are not supported by this version / 此版本尚不支持 PostGIS 存储"
        raise StoreError(msg)
    if not text.lower().endswith(".gpkg"):
        msg = f"store {text!r} must be a .gpkg file / 存储位置必须是 .gpkg 文件"
        raise StoreError(msg)
    return GeoPackageStore(text)
