"""OGC API - Features Part 4 on the editable layers: create, replace, update (merge patch)
and delete one feature, each saved as a new version of the layer.

A write goes route (parse the GeoJSON, check the layer is editable, authorise a planner or
admin) → :class:`FeatureEditor` → :meth:`layers.store.Store.write` → the audit log of the
record store. Inside the editor, under the layer's lock in this process (:class:`LayerLocks`):

1. read the layer's version and the feature with its ETag; an ``If-Match`` naming another
   ETag is refused (412), a missing one too (428);
2. validate the new feature alone through the layer schema (:func:`layers.validate`, by
   :mod:`api.layers.feature_rows`): a bad one is refused naming field and value (422), a
   new id already taken too (409);
3. write the whole layer with ``expected_version`` = the version read in step 1. The store
   checks it inside its write transaction, so a write made meanwhile by another process or
   app instance refuses this one, which then starts again at step 1: the feature's own ETag
   decides whether the client's change still applies;
4. append the audit entry inside the layer write's transaction (:class:`_Audit`, given to
   the write as ``within``: the record store's audit log lives in the layer store's own
   database, so the new version and its entry commit together, and an entry that cannot be
   written rolls the version back), then refresh the catalog and drop the cached map pages
   (the walking network is built from ``roads``, which is never editable, so it stays).

An item's ETag is a digest of its GeoJSON as ``GET /collections/{layer}/items/{id}`` serves
it (without links): edits of other features do not make it stale.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import shapely

from api.catalog import Catalog
from api.errors import PreconditionRequiredError, ReadOnlyLayerError
from api.geojson import feature_strings
from api.layers.feature_rows import agree_ids, clean_row, geometry_of, position, stack
from api.layers.schemas import FeatureIn, FeaturePatch
from layers._errors import ConflictError, PreconditionFailedError
from layers.records import RecordStore
from layers.schema import SCHEMAS, get_schema
from layers.store import LayerInfo, Store
from layers.store.base import Written

__all__ = [
    "MAX_ATTEMPTS",
    "FeatureEditor",
    "Item",
    "LayerLocks",
    "check_editable",
    "item_of",
    "read_item",
]

#: tries of a write whose layer another writer changed meanwhile, before a 409: a retry
#: happens only when another write succeeded, so edits as a whole always progress
MAX_ATTEMPTS = 20
#: the longest pause before a retry grows by this much per attempt (jittered), seconds
BACKOFF_STEP_S = 0.01
ETAG_HEX_CHARS = 32


@dataclass(frozen=True)
class Item:
    """One stored feature: its one-row frame, its GeoJSON text and ETag."""

    frame: gpd.GeoDataFrame
    text: str
    etag: str
    feature_id: str


def read_item(store: Store, info: LayerInfo, feature_id: str) -> Item:
    """Feature ``feature_id`` of a layer with its ETag (:class:`FeatureNotFoundError`)."""
    return item_of(store.feature(info.name, feature_id), info, feature_id)


def item_of(found: gpd.GeoDataFrame, info: LayerInfo, feature_id: str) -> Item:
    """The item of a feature read from layer ``info`` (its first row), with its ETag."""
    frame = found.iloc[:1]
    schema = SCHEMAS.get(info.kind)
    (text,) = feature_strings(frame, id_field=schema.id_field if schema else None)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:ETAG_HEX_CHARS]
    return Item(frame, text, f'"{digest}"', str(feature_id))


def check_editable(info: LayerInfo) -> LayerInfo:
    """``info`` when its kind accepts feature writes (what the catalog calls ``editable``);
    :class:`ReadOnlyLayerError` (405) otherwise."""
    schema = SCHEMAS.get(info.kind)
    if schema is None or not schema.editable:
        raise ReadOnlyLayerError(info.name, info.kind)
    return info


def check_if_match(if_match: str | None, item: Item, *, layer: str) -> None:
    """428 without an ``If-Match`` naming an ETag; 412 unless one of its ETags is the
    item's (strong comparison: a weak ``W/`` tag never matches)."""
    tags = [t.strip() for t in (if_match or "").split(",") if t.strip()]
    if not tags or "*" in tags:
        raise PreconditionRequiredError()
    if item.etag not in tags:
        msg = (
            f"feature {item.feature_id!r} of layer {layer!r} has changed since it was read"
            f" (its ETag is now {item.etag}); GET it again and redo the change"
            f" / 图层 {layer} 的要素 {item.feature_id} 在读取后已被修改，请重新读取后再修改"
        )
        raise PreconditionFailedError(msg)


class LayerLocks:
    """One lock per layer, so that writes of one layer in this process queue instead of
    refusing each other (other processes are kept apart by the store's version check)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __call__(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name.lower(), threading.Lock())


#: a change: (the layer as stored, the feature before or None) → (new layer, feature id)
Change = Callable[[gpd.GeoDataFrame, Item | None], tuple[gpd.GeoDataFrame, str]]


@dataclass
class FeatureEditor:
    """Part 4 writes on the layers of one store, recorded in its audit log."""

    store: Store
    catalog: Catalog
    records: RecordStore
    locks: LayerLocks
    pages: MutableMapping[Any, Any] | None = None

    def create(self, info: LayerInfo, feature: FeatureIn, *, actor: str) -> Item:
        """Add ``feature`` (its id from the layer's id property or the Feature's ``id``; a
        new UUID when it has neither). 409 when the id is taken."""
        id_field = get_schema(info.kind).id_field
        props = dict(feature.properties or {})
        agree_ids(props, id_field, feature.id, info=info, feature_id=None)
        props.setdefault(id_field, uuid.uuid4().hex if feature.id is None else feature.id)

        def change(frame: gpd.GeoDataFrame, _: Item | None) -> tuple[gpd.GeoDataFrame, str]:
            row = clean_row(info, props, geometry_of(feature.geometry, info), columns=frame.columns)
            new_id = str(row[id_field].iloc[0])
            if position(frame, id_field, new_id) is not None:
                msg = (
                    f"layer {info.name!r} already has a feature {new_id!r}; replace it with"
                    f" PUT …/items/{new_id} and its ETag / 图层 {info.name} 中已有编号为"
                    f" {new_id} 的要素，如需替换请用 PUT 并提交其 ETag"
                )
                raise ConflictError(msg)
            return stack([frame, row]), new_id

        after = self._write(info, "create", None, None, change, actor=actor)
        assert after is not None
        return after

    def replace(
        self, info: LayerInfo, feature_id: str, feature: FeatureIn, *, if_match: str | None,
        actor: str,
    ) -> Item:  # fmt: skip
        """Replace the whole feature (properties not sent become empty)."""
        props = dict(feature.properties or {})
        agree_ids(
            props, get_schema(info.kind).id_field, feature.id, info=info, feature_id=feature_id
        )
        geometry = geometry_of(feature.geometry, info, feature_id=feature_id)
        return self._swap(
            "replace", info, feature_id, if_match, lambda _: (props, geometry), actor=actor
        )

    def patch(
        self, info: LayerInfo, feature_id: str, changes: FeaturePatch, *, if_match: str | None,
        actor: str,
    ) -> Item:  # fmt: skip
        """Change the properties sent (``null`` clears one) and the geometry if sent."""
        id_field = get_schema(info.kind).id_field
        agree_ids(changes.properties, id_field, None, info=info, feature_id=feature_id)
        new_geometry = None
        if "geometry" in changes.model_fields_set:
            new_geometry = geometry_of(changes.geometry, info, feature_id=feature_id)

        def merged(before: Item) -> tuple[dict[str, Any], shapely.Geometry | None]:
            props = {**json.loads(before.text)["properties"], **changes.properties}
            if "geometry" in changes.model_fields_set:
                return props, new_geometry
            return props, before.frame.geometry.iloc[0]

        return self._swap("update", info, feature_id, if_match, merged, actor=actor)

    def delete(self, info: LayerInfo, feature_id: str, *, if_match: str | None, actor: str) -> None:
        """Remove the feature."""
        id_field = get_schema(info.kind).id_field

        def change(frame: gpd.GeoDataFrame, before: Item | None) -> tuple[gpd.GeoDataFrame, str]:
            at = position(frame, id_field, feature_id)
            kept = frame if at is None else frame.drop(index=frame.index[at])
            return stack([kept]), feature_id

        self._write(info, "delete", feature_id, if_match, change, actor=actor)

    # -- the shared steps ------------------------------------------------------------------

    def _swap(
        self,
        action: str,
        info: LayerInfo,
        feature_id: str,
        if_match: str | None,
        content: Callable[[Item], tuple[dict[str, Any], shapely.Geometry | None]],
        *,
        actor: str,
    ) -> Item:
        """Replace feature ``feature_id`` by the properties and geometry ``content`` makes
        of the stored feature."""
        id_field = get_schema(info.kind).id_field

        def change(frame: gpd.GeoDataFrame, before: Item | None) -> tuple[gpd.GeoDataFrame, str]:
            assert before is not None
            props, geometry = content(before)
            props = {**props, id_field: before.frame[id_field].iloc[0]}
            row = clean_row(info, props, geometry, columns=frame.columns, feature_id=feature_id)
            at = position(frame, id_field, feature_id)
            if at is None:  # deleted since it was read: the store's version check refuses
                return stack([frame, row]), feature_id
            return stack([frame.iloc[:at], row, frame.iloc[at + 1 :]]), feature_id

        after = self._write(info, action, feature_id, if_match, change, actor=actor)
        assert after is not None
        return after

    def _write(
        self,
        info: LayerInfo,
        action: str,
        feature_id: str | None,
        if_match: str | None,
        change: Change,
        *,
        actor: str,
    ) -> Item | None:
        with self.locks(info.name):
            for attempt in range(MAX_ATTEMPTS):
                if attempt:
                    time.sleep(random.uniform(0, BACKOFF_STEP_S * attempt))
                current = self.store.info(info.name)
                before = None
                if feature_id is not None:
                    before = read_item(self.store, current, feature_id)
                    check_if_match(if_match, before, layer=info.name)
                new_frame, new_id = change(self.store.read(info.name), before)
                audit = _Audit(self.records, action, current, new_id, before, actor)
                try:
                    self.store.write(
                        info.name,
                        new_frame,
                        kind=current.kind,
                        source=f"OGC API {action} {feature_id or new_id} ({actor})",
                        expected_version=current.version,
                        within=audit,
                    )
                except PreconditionFailedError:
                    continue  # another writer changed the layer: check the feature again
                self.catalog.refresh()
                if self.pages is not None:
                    self.pages.clear()
                return audit.after
        msg = (
            f"layer {info.name!r} kept changing while the edit was saved; try again"
            f" / 图层 {info.name} 正被频繁修改，保存未成功，请重试"
        )
        raise ConflictError(msg)


@dataclass
class _Audit:
    """The audit entry of one feature write, appended inside the write's transaction (the
    store calls it with the new version); ``after`` is the written feature, read there."""

    records: RecordStore
    action: str
    based_on: LayerInfo
    feature_id: str
    before: Item | None
    actor: str
    after: Item | None = None

    def __call__(self, written: Written) -> None:
        info = written.info
        if self.action != "delete":
            self.after = item_of(written.feature(self.feature_id), info, self.feature_id)
        detail = {
            "layer": info.name,
            "kind": info.kind,
            "id": self.feature_id,
            "version": info.version,
            "based_on": self.based_on.version,
            "etag": None if self.after is None else self.after.etag,
            "previous_etag": None if self.before is None else self.before.etag,
        }
        target = f"layer:{info.name}/{self.feature_id}"
        self.records.audit_within(
            written.connection, f"feature.{self.action}", target, detail, actor=self.actor
        )
