"""Storage backends behind one interface: :class:`Store`.

``open_store("demo.gpkg")`` opens (or creates) a GeoPackage file;
``open_store("postgresql://user:password@host/db")`` opens a PostGIS store (its tables are
created on first use, in schema ``mzgis`` or the one named by ``?schema=...``).
"""

from __future__ import annotations

from pathlib import Path

from layers._errors import StoreError
from layers.store.base import ArtifactInfo, BBox, LayerInfo, Store
from layers.store.gpkg import GeoPackageStore

__all__ = [
    "ArtifactInfo",
    "BBox",
    "GeoPackageStore",
    "LayerInfo",
    "Store",
    "is_postgis_url",
    "open_store",
]

POSTGIS_SCHEMES = ("postgresql://", "postgres://")


def is_postgis_url(location: str | Path) -> bool:
    """Whether ``location`` is a PostGIS store URL (``postgresql://`` or ``postgres://``)."""
    return str(location).startswith(POSTGIS_SCHEMES)


def open_store(location: str | Path) -> Store:
    """Open a store by location: a ``.gpkg`` path (created when missing) or a
    ``postgresql://`` URL (:class:`layers.store.postgis.PostGISStore`)."""
    text = str(location)
    if is_postgis_url(text):
        from layers.store.postgis import PostGISStore  # psycopg is loaded only when needed

        return PostGISStore(text)
    if not text.lower().endswith(".gpkg"):
        msg = (
            f"store {text!r} must be a .gpkg file or a postgresql:// URL"
            " / 存储位置必须是 .gpkg 文件或 postgresql:// 地址"
        )
        raise StoreError(msg)
    return GeoPackageStore(text)
