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
from the layers: they are not listed by :meth:`Store.layers` (:meth:`Store.artifacts` lists
them); a copy of a whole store takes them along.

Versions: a write keeps the data of the version it replaces (and a delete the last data),
so :meth:`Store.restore` can bring any kept version back as a new version; see
:mod:`layers.store._versions` for the history, the encoding and the retention setting, and
:mod:`layers.store.lineage` for how a copy carries a layer's history to another store.
:meth:`Store.write` is the one write path of layer data; :meth:`Store.put_features` and
:meth:`Store.delete_features` edit single features through it (for OGC API Part 4).
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import geopandas as gpd

from layers._errors import ConflictError, StoreError
from layers.schema import CHINA_BOUNDS_LONLAT
from layers.store import _versions, lineage
from layers.store._versions import DEFAULT_VERSIONS_KEPT, LayerVersion
from layers.store.info import ArtifactInfo, BBox, LayerInfo, Within, Written
from layers.store.lineage import Lineage
from layers.tiles import DEFAULT_BUFFER, DEFAULT_EXTENT, TileSource, check_tile
from layers.validate import ValidationReport, validate

__all__ = [
    "ArtifactInfo",
    "BBox",
    "LayerInfo",
    "LayerVersion",
    "Lineage",
    "Store",
    "Within",
    "Written",
]

#: layers a store keeps ready for tiles at once (the least recently built dropped first)
MAX_TILE_SOURCES = 4


class Store(ABC):
    """A collection of named, typed layers.

    ``versions_kept`` is the retention setting: how many replaced versions of each layer
    keep their data (at least 1).
    """

    url: str
    versions_kept: int = DEFAULT_VERSIONS_KEPT

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

    def vector_tile(
        self,
        name: str,
        z: int,
        x: int,
        y: int,
        *,
        columns: Sequence[str] = (),
        extent: int = DEFAULT_EXTENT,
        buffer: int = DEFAULT_BUFFER,
    ) -> bytes:
        """The Mapbox vector tile ``z/x/y`` of layer ``name`` (one MVT layer named ``name``
        carrying ``columns``; see :mod:`layers.tiles`); ``b""`` when nothing is drawn there.

        The layer is read once per version into a :class:`layers.tiles.TileSource` (web
        mercator geometries with a spatial index) kept by the store, so a tile costs only
        its own features; a server store may make tiles itself."""
        check_tile(z, x, y)
        info = self.info(name)
        key = (name, info.version, info.updated_at, tuple(columns))
        sources: OrderedDict[tuple[object, ...], TileSource]
        sources = self.__dict__.setdefault("_tile_sources", OrderedDict())
        lock: threading.Lock = self.__dict__.setdefault("_tile_lock", threading.Lock())
        with lock:  # tiles asked for together wait for one read of the layer
            source = sources.get(key)
            if source is None:
                source = TileSource(self.read(name), layer=name, columns=columns)
                sources[key] = source
                while len(sources) > MAX_TILE_SOURCES:
                    sources.popitem(last=False)
        return source.tile(z, x, y, extent=extent, buffer=buffer)

    @abstractmethod
    def write(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str,
        source: str = "",
        expected_version: int | None = None,
        lineage: Lineage | None = None,
        within: Within | None = None,
    ) -> LayerInfo:
        """Write a new version of layer ``name`` (or create it) from a frame already
        validated for ``kind``, atomically, keeping the replaced version's data.

        This is the one write path of layer data: imports, edits and restores all go
        through it.

        Parameters
        ----------
        name, gdf, kind
            The layer, its whole new content and its kind.
        source
            What wrote it, for the history (``"import stations.xlsx (append)"``).
        expected_version
            The version the new content was based on (``0``: the layer must not exist);
            another current version refuses the write with
            :class:`PreconditionFailedError` (412) and changes nothing.
        lineage
            A copy's: the layer's history in the store it comes from. The layer is written
            at its current version and time with every earlier version (the store must hold
            no history of ``name``: :class:`ConflictError`).
        within
            Run inside the write's transaction once the new version is in place (an audit
            entry on the same database); whatever it raises rolls the write back.
        """

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove a layer (its last data is kept as a version :meth:`restore` can bring
        back)."""

    @abstractmethod
    def _statement(self, key: str) -> Any:
        """A statement of ``_versions.SQL`` or ``lineage.SQL`` in the backend's dialect."""

    @abstractmethod
    def _reading(self) -> contextlib.AbstractContextManager[Any]:
        """A connection to read the catalog on (a frozen store's is its snapshot's)."""

    @abstractmethod
    def _writing(self, name: str) -> contextlib.AbstractContextManager[Any]:
        """A connection in one writing transaction holding layer ``name``'s write lock."""

    def _history_rows(self, name: str) -> list[tuple[Any, ...]]:
        with self._reading() as con:
            return list(con.execute(self._statement("history"), (name,)).fetchall())

    def _kept_row(self, name: str, version: int) -> tuple[str, bytes] | None:
        with self._reading() as con:
            row = con.execute(self._statement("kept"), (name, version)).fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def lineage(self, name: str) -> Lineage:
        """The whole version history of layer ``name`` (also of a deleted one), as a copy
        carries it (:mod:`layers.store.lineage`)."""
        with self._reading() as con:
            return lineage.read(con, self._statement, name)

    def lineage_names(self) -> list[str]:
        """Every layer with a history, deleted ones included."""
        with self._reading() as con:
            return [r[0] for r in con.execute(self._statement("lineage_names")).fetchall()]

    def keep_lineage(self, carried: Lineage) -> None:
        """Write the history of a deleted layer (``carried.current`` is ``None``) in one
        transaction; :class:`ConflictError` when the store holds a history of its name."""
        if carried.current is not None:
            msg = f"layer {carried.name!r} has current data: write it with its lineage"
            raise StoreError(msg)
        with self._writing(carried.name) as con:
            lineage.insert(con, self._statement, carried)

    def history(self, name: str) -> list[LayerVersion]:
        """Every version of layer ``name``, oldest first (also of a deleted layer);
        :class:`UnknownLayerError` when it never existed."""
        rows = self._history_rows(name)
        if not rows:
            self.info(name)  # an unknown layer says so
        return _versions.history_rows(name, rows)

    def kept_version(self, name: str, version: int) -> tuple[str, gpd.GeoDataFrame]:
        """``(kind, frame)`` of a kept earlier version; :class:`UnknownLayerError` for a
        layer that never existed, :class:`ConflictError` when the version's data is not
        kept (the current version, one beyond retention, or no such version)."""
        row = self._kept_row(name, version)
        if row is None:
            self.history(name)
            raise _versions.not_kept(name, version)
        return row[0], _versions.decode(row[1])

    def restore(
        self, name: str, version: int, *, source: str = "", within: Within | None = None
    ) -> LayerInfo:
        """Write the data of an earlier version as a new version (itself undoable);
        ``within`` as for :meth:`write`.

        Raises :class:`ConflictError` when that version's data is not kept or it is the
        current version."""
        if version < 1:
            msg = f"version must be ≥ 1, got {version} / 版本号须 ≥ 1"
            raise StoreError(msg)
        current = next((v for v in self.history(name) if v.current), None)
        if current is not None and current.version == version:
            msg = (
                f"version {version} of layer {name!r} is already the current one"
                f" / 版本 {version} 已是图层 {name!r} 的当前版本"
            )
            raise ConflictError(msg)
        kind, frame = self.kept_version(name, version)
        expected = 0 if current is None else current.version
        note = source or f"restore of version {version} / 恢复版本 {version}"
        return self.write(
            name, frame, kind=kind, source=note, expected_version=expected, within=within
        )

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

    def artifact_info(self, name: str) -> ArtifactInfo | None:
        """Key, size and time of artifact ``name``, or ``None`` when there is none."""
        return next((info for info in self.artifacts() if info.name == name), None)

    @abstractmethod
    def artifacts(self) -> list[ArtifactInfo]:
        """Every artifact the store keeps, by name."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(info.name == name for info in self.layers())

    def put_features(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        source: str = "",
        expected_version: int | None = None,
    ) -> LayerInfo:
        """Create or replace features by id (an upsert, :mod:`layers.merge`) as a new
        version of layer ``name``; the features are validated first.

        ``expected_version`` defaults to the version read, so a change made meanwhile by
        someone else is refused (:class:`PreconditionFailedError`), never overwritten."""
        from layers.merge import merge

        info = self.info(name)
        clean, _ = validate(gdf, info.kind)
        merged, _ = merge(self.read(name), clean, kind=info.kind, mode="upsert")
        expected = info.version if expected_version is None else expected_version
        note = source or f"edit of {len(clean)} feature(s) / 编辑要素"
        return self.write(name, merged, kind=info.kind, source=note, expected_version=expected)

    def delete_features(
        self,
        name: str,
        ids: list[str | int],
        *,
        source: str = "",
        expected_version: int | None = None,
    ) -> LayerInfo:
        """Remove features by id as a new version of layer ``name`` (the removed ones stay
        in the version before); :class:`FeatureNotFoundError` for an id it does not hold."""
        from layers._errors import FeatureNotFoundError
        from layers.schema import get_schema

        info = self.info(name)
        frame = self.read(name)
        id_field = get_schema(info.kind).id_field
        stored = frame[id_field].astype(str)
        missing = [i for i in ids if str(i) not in set(stored)]
        if missing:
            raise FeatureNotFoundError(name, missing[0])
        kept = frame[~stored.isin([str(i) for i in ids])].reset_index(drop=True)
        expected = info.version if expected_version is None else expected_version
        note = source or f"deletion of {len(ids)} feature(s) / 删除要素"
        return self.write(name, kept, kind=info.kind, source=note, expected_version=expected)

    def import_frame(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        kind: str,
        region: BBox = CHINA_BOUNDS_LONLAT,
        source: str = "import",
        expected_version: int | None = None,
        within: Within | None = None,
    ) -> ValidationReport:
        """Validate a frame and store it as layer ``name``: all or nothing (the options
        after ``region`` as for :meth:`write`).

        Raises :class:`LayerValidationError` (and writes nothing) when any row is bad.
        """
        clean, report = validate(gdf, kind, region=region)
        self.write(
            name, clean, kind=kind, source=source, expected_version=expected_version, within=within
        )
        return report

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections, pools)."""
