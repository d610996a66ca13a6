"""What a store says of its layers and artifacts, and what a write's hook sees.

:class:`LayerInfo` is one layer's catalog entry, :class:`ArtifactInfo` one artifact's;
:class:`Written` is given to the ``within`` hook of :meth:`layers.store.base.Store.write`
inside the write's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

__all__ = ["ArtifactInfo", "BBox", "LayerInfo", "Within", "Written"]

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class LayerInfo:
    """What the catalog says of one stored layer."""

    name: str
    kind: str
    count: int
    bbox: BBox | None
    geometry_type: str
    version: int
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "bbox": list(self.bbox) if self.bbox else None,
            "geometry_type": self.geometry_type,
            "version": self.version,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class ArtifactInfo:
    """What the store says of one stored artifact (its bytes are read apart)."""

    name: str
    key: str
    size_bytes: int
    updated_at: str


@dataclass(frozen=True)
class Written:
    """What a hook given to :meth:`Store.write` sees, inside the write's transaction: the
    write's connection (``sqlite3`` or ``psycopg``, on the store's database), the new
    version, and ``feature(id)`` reading one feature of it on that connection."""

    connection: Any
    info: LayerInfo
    feature: Callable[[str | int], gpd.GeoDataFrame]


#: a hook run inside a write's transaction; raising rolls the write back
Within = Callable[[Written], None]
