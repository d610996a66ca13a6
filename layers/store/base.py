"""The store interface: one API, several backends (GeoPackage file now, PostGIS server next).

A store holds named layers. Each layer has a kind (its schema), a version that grows with
every write, and features keyed by the schema's id column. Layers are written whole and
atomically: a reader sees the old layer or the new one, never a mix; a write that fails
leaves the store as it was.

A store also keeps *artifacts*: bytes derived from its layers (the walking network built
from the ``roads`` layer), each under a name and the key of the input it was built from
(for example the ``roads`` layer's version and ``updated_at``). Asked with another key, the
store answers ``None``: the artifact is stale and the caller rebuilds and replaces it. The
store never looks inside the bytes. Artifacts live in the table ``mzgis_artifacts``, apart
from the layers: they are not listed by :meth:`Store.layers` and a copy of the store
leaves them behind (they are rebuilt where they are needed).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from layers._errors import PreconditionFailedError
from layers.schema import CHINA_BOUNDS_LONLAT
from layers.validate import ValidationReport, validate

__all__ = ["ArtifactInfo", "BBox", "LayerInfo", "Store", "check_expected"]

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
    def write(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str,
        expected_version: int | None = None,
    ) -> LayerInfo:
        """Replace (or create) a layer with a frame already validated for ``kind``,
        atomically.

        Parameters
        ----------
        name, gdf, kind
            The layer, its whole new content and its kind.
        expected_version
            The version the new content was based on (``0``: the layer must not exist),
            checked inside the write's transaction, so that two writers (threads, processes,
            app instances on one database) cannot both replace the same version: another
            current version refuses the write with :class:`PreconditionFailedError` (412)
            and changes nothing. ``None`` writes whatever the current version is.
        """

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove a layer."""

    @abstractmethod
    def put_artifact(self, name: str, data: bytes, *, key: str) -> ArtifactInfo:
        """Keep ``data`` as artifact ``name``, replacing any earlier one atomically.

        Parameters
        ----------
        name
            1-64 ASCII letters, digits, ``_``, ``.`` or ``-`` (``"walking_network"``).
        data
            The bytes; large ones are kept in parts, so their size has no practical limit.
        key
            The version of the input they were built from (non-empty, at most 500
            characters); :meth:`get_artifact` returns them only when asked with it.

        Raises
        ------
        StoreError
            A bad name or key, or the store refused the write (nothing was changed).
        """

    @abstractmethod
    def get_artifact(self, name: str, *, key: str) -> bytes | None:
        """The bytes of artifact ``name`` if they were built from ``key``; ``None`` when
        there is none or it was built from another key (stale)."""

    @abstractmethod
    def artifact_info(self, name: str) -> ArtifactInfo | None:
        """Key, size and time of artifact ``name``, or ``None`` when there is none."""

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


def check_expected(name: str, expected: int | None, current: int) -> None:
    """Refuse a write based on another version than the current one (0: no layer)."""
    if expected is None or expected == current:
        return
    msg = (
        f"layer {name!r} is at version {current}, the change was based on version {expected};"
        f" reload and try again / 图层 {name!r} 已是版本 {current}，此修改基于版本 {expected}，"
        "请重新读取后再试"
    )
    raise PreconditionFailedError(msg)
