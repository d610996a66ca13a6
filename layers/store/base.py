"""The store interface: one API, several backends (GeoPackage file now, PostGIS server next).

A store holds named layers. Each layer has a kind (its schema), a version that grows with
every write, and features keyed by the schema's id column. Layers are written whole and
atomically: a reader sees the old layer or the new one, never a mix; a write that fails
leaves the store as it was.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from layers.schema import CHINA_BOUNDS_LONLAT
from layers.validate import ValidationReport, validate

__all__ = ["BBox", "LayerInfo", "Store"]

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


class Store(ABC):
    """A collection of named, typed layers."""

    url: str

    @abstractmethod
    def layers(self) -> list[LayerInfo]:
        """Every layer with its kind, count, extent and version."""

    @abstractmethod
    def info(self, name: str) -> LayerInfo:
        """One layer's catalog entry; :class:`UnknownLayerError` if absent."""

    @abstractmethod
    def read(
        self,
        name: str,
        *,
        bbox: BBox | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> gpd.GeoDataFrame:
        """Features of a layer (those intersecting ``bbox`` if given), in stored order."""

    @abstractmethod
    def count(self, name: str, *, bbox: BBox | None = None) -> int:
        """How many features :meth:`read` would return without ``limit``/``offset``."""

    @abstractmethod
    def feature(self, name: str, fid: str | int) -> gpd.GeoDataFrame:
        """The one feature whose id column equals ``fid``; :class:`FeatureNotFoundError`."""

    @abstractmethod
    def write(self, name: str, gdf: gpd.GeoDataFrame, *, kind: str) -> LayerInfo:
        """Replace (or create) a layer with a frame already validated for ``kind``,
        atomically."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove a layer."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(info.name == name for info in self.layers())

    def import_frame(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        kind: str,
        region: BBox = CHINA_BOUNDS_LONLAT,
    ) -> ValidationReport:
        """Validate a frame and store it as layer ``name``: all or nothing.

        Raises :class:`LayerValidationError` (and writes nothing) when any row is bad.
        """
        clean, report = validate(gdf, kind, region=region)
        self.write(name, clean, kind=kind)
        return report

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections, pools)."""
