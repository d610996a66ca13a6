"""Combining incoming features with a stored layer: append, upsert (by id) or replace.

:func:`merge` is pure: the stored frame and the validated incoming frame in, the new
layer and a :class:`MergePlan` (what is added, updated and dropped) out. Imports and
single-feature edits both build the new version with it and write it with
:meth:`layers.Store.write` (``expected_version`` set, so a concurrent change is refused
rather than overwritten).

- ``append``: incoming ids must be new; a clash is an error naming the row.
- ``upsert``: a row whose id exists replaces the stored row in place, keeping stored
  values of columns the incoming file does not have; other rows are appended.
- ``replace``: the incoming rows become the layer; the plan lists every id dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers._errors import LayerValidationError, Problem
from layers.schema import STORE_CRS, get_schema

__all__ = ["MODES", "MergePlan", "merge"]

MODES = ("append", "upsert", "replace")
#: ids listed by :meth:`MergePlan.lines` before "… and N more"
SHOWN_IDS = 20


@dataclass(frozen=True)
class MergePlan:
    """What a write of ``mode`` does to a layer of ``existing`` features."""

    mode: str
    existing: int
    incoming: int
    added: list[Any] = field(default_factory=list)
    updated: list[Any] = field(default_factory=list)
    dropped: list[Any] = field(default_factory=list)

    @property
    def result(self) -> int:
        return self.existing + len(self.added) - len(self.dropped)

    def lines(self) -> list[str]:
        """A bilingual summary, ids of dropped features included."""
        out = [
            f"mode {self.mode}: {self.existing} stored, {self.incoming} in the file"
            f" → {self.result} / 模式 {self.mode}：现有 {self.existing}，文件 {self.incoming}"
            f"，结果 {self.result}",
            f"  added / 新增: {len(self.added)}, updated / 更新: {len(self.updated)},"
            f" dropped / 删除: {len(self.dropped)}",
        ]
        if self.dropped:
            shown = ", ".join(map(str, self.dropped[:SHOWN_IDS]))
            more = len(self.dropped) - SHOWN_IDS
            tail = f" … and {more} more / 等共 {len(self.dropped)} 个" if more > 0 else ""
            out.append(f"  dropped ids / 将删除的编号: {shown}{tail}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "existing": self.existing,
            "incoming": self.incoming,
            "result": self.result,
            "added": self.added,
            "updated": self.updated,
            "dropped": self.dropped,
        }


def merge(
    existing: gpd.GeoDataFrame | None,
    incoming: gpd.GeoDataFrame,
    *,
    kind: str,
    mode: str,
) -> tuple[gpd.GeoDataFrame, MergePlan]:
    """The new content of a layer and what changes, for a write of ``mode``.

    Parameters
    ----------
    existing
        The stored layer (``None`` when there is none: every mode creates it).
    incoming
        Validated features of ``kind``.
    mode
        ``append``, ``upsert`` or ``replace``.

    Raises
    ------
    LayerValidationError
        ``append`` with ids already stored (each such row named).
    ValueError
        An unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    id_field = get_schema(kind).id_field
    new_ids = _ids(incoming, id_field)
    if existing is None or mode == "replace":
        old_ids = [] if existing is None else _ids(existing, id_field)
        stored, kept = set(old_ids), set(new_ids)
        plan = MergePlan(
            mode,
            len(old_ids),
            len(incoming),
            added=[i for i in new_ids if i not in stored],
            updated=[i for i in new_ids if i in stored],
            dropped=[i for i in old_ids if i not in kept],
        )
        return _frame(incoming.reset_index(drop=True)), plan
    positions = pd.Index(existing[id_field]).get_indexer(incoming[id_field])
    found = positions >= 0
    if mode == "append" and found.any():
        raise LayerValidationError(kind, _clashes(incoming, id_field, found))
    return _upsert(existing, incoming, positions), MergePlan(
        mode,
        len(existing),
        len(incoming),
        added=[i for i, f in zip(new_ids, found, strict=True) if not f],
        updated=[i for i, f in zip(new_ids, found, strict=True) if f],
    )


def _ids(frame: gpd.GeoDataFrame, id_field: str) -> list[Any]:
    if id_field not in frame.columns:
        return []
    return [v.item() if isinstance(v, np.generic) else v for v in frame[id_field].tolist()]


def _clashes(incoming: gpd.GeoDataFrame, id_field: str, found: np.ndarray) -> list[Problem]:
    reason = (
        "id already in the layer; use mode upsert to update it"
        " / 编号已存在于图层中，如需更新请使用 upsert 模式"
    )
    values = incoming[id_field]
    return [Problem(int(i), id_field, values.iloc[i], reason) for i in np.flatnonzero(found)]


def _upsert(
    existing: gpd.GeoDataFrame, incoming: gpd.GeoDataFrame, positions: np.ndarray
) -> gpd.GeoDataFrame:
    """Stored rows in their order, those with an incoming id updated in place (columns the
    incoming frame lacks keep their stored values), then the new rows."""
    found = positions >= 0
    updated = existing.iloc[positions[found]].reset_index(drop=True)
    fresh = incoming[found].reset_index(drop=True)
    for column in incoming.columns:
        updated[column] = fresh[column]
    keep = np.ones(len(existing), dtype=bool)
    keep[positions[found]] = False
    order = np.concatenate(
        [
            np.flatnonzero(keep),
            positions[found],
            len(existing) + np.arange(int((~found).sum())),
        ]
    )
    parts = [existing[keep], updated, incoming[~found]]
    combined = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    combined = combined.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    return _frame(combined)


def _frame(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORE_CRS)
